#include "core/error.h"

#include <string.h>

#include "core/json_out.h"

static const struct {
    int status;
    const char *code;
    const char *detail;
} error_table[] = {
#define X(name, status, detail) {status, #name, detail},
    API_ERROR_MAP(X)
#undef X
};

static const char *const issue_codes[] = {
#define X(name, code) code,
    FIELD_ISSUE_MAP(X)
#undef X
};

int api_err_status(api_err_t err)
{
    return err < API_ERR__COUNT ? error_table[err].status : 500;
}

const char *api_err_code(api_err_t err)
{
    return err < API_ERR__COUNT ? error_table[err].code : "INTERNAL_ERROR";
}

const char *api_err_default_detail(api_err_t err)
{
    return err < API_ERR__COUNT ? error_table[err].detail : "Internal server error";
}

const char *field_issue_code(field_issue_t issue)
{
    return issue < FIELD_ISSUE__COUNT ? issue_codes[issue] : "invalid_format";
}

void api_error_init(api_error_t *e, api_err_t err)
{
    memset(e, 0, sizeof(*e));
    e->err = err;
}

void api_error_add(api_error_t *e, arena_t *arena, const char *field, field_issue_t issue,
                   const char *fmt, ...)
{
    if (e->n_issues == e->cap_issues) {
        size_t cap = e->cap_issues ? e->cap_issues * 2 : 4;
        api_issue_t *grown = arena_alloc(arena, cap * sizeof(*grown));
        if (e->n_issues != 0)
            memcpy(grown, e->issues, e->n_issues * sizeof(*grown));
        e->issues = grown;
        e->cap_issues = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    api_issue_t *it = &e->issues[e->n_issues++];
    it->field = arena_strdup(arena, field);
    it->issue = issue;
    it->detail = arena_vprintf(arena, fmt, ap);
    va_end(ap);
}

void api_error_to_json(const api_error_t *e, buf_t *out)
{
    const char *detail = e->detail;
    const char *field = e->field;
    if (detail == NULL)
        detail = e->n_issues ? e->issues[0].detail : api_err_default_detail(e->err);
    if (field == NULL && e->n_issues)
        field = e->issues[0].field;

    buf_putc(out, '{');
    json_put_key(out, "detail");
    json_put_str(out, detail);
    buf_putc(out, ',');
    json_put_key(out, "code");
    json_put_str(out, api_err_code(e->err));
    if (field != NULL) {
        buf_putc(out, ',');
        json_put_key(out, "field");
        json_put_str(out, field);
    }
    if (e->n_issues) {
        buf_putc(out, ',');
        json_put_key(out, "errors");
        buf_putc(out, '[');
        for (size_t i = 0; i < e->n_issues; i++) {
            if (i)
                buf_putc(out, ',');
            buf_putc(out, '{');
            json_put_key(out, "field");
            json_put_str(out, e->issues[i].field);
            buf_putc(out, ',');
            json_put_key(out, "code");
            json_put_str(out, field_issue_code(e->issues[i].issue));
            buf_putc(out, ',');
            json_put_key(out, "detail");
            json_put_str(out, e->issues[i].detail);
            buf_putc(out, '}');
        }
        buf_putc(out, ']');
    }
    buf_putc(out, '}');
}
