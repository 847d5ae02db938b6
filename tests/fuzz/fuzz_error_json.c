/* Fuzz target: error bodies and JSON string output must be JSON that jansson
 * reads back to exactly the strings that went in.
 *
 * Input: byte 0 picks the error kind (out-of-range values included), byte 1
 * the first issue code and whether detail/field are set explicitly; the rest is
 * split at NUL bytes into detail, then (field, issue detail) pairs. Text that is
 * not valid UTF-8 is skipped: json_put_str requires valid UTF-8. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json_out.h"
#include "core/utf8.h"
#include "fuzz.h"

enum { MAX_PIECES = 33 };

/* Aborts (a crash for libFuzzer) naming the property that broke. */
#define check(ok) check_at((ok), #ok, __LINE__)

static void check_at(bool ok, const char *what, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_error_json.c:%d: check failed: %s\n", line, what);
        abort();
    }
}

static void check_str(json_t *obj, const char *key, const char *want)
{
    json_t *v = json_object_get(obj, key);
    check(json_is_string(v));
    check(strcmp(json_string_value(v), want) == 0);
}

/* json_put_strn on the whole input, NULs included, must round-trip. */
static void fuzz_strn(const uint8_t *data, size_t size)
{
    buf_t b = BUF_INIT;
    json_put_strn(&b, (const char *)data, size);
    for (size_t i = 0; i < b.len; i++)
        check((unsigned char)b.data[i] >= 0x20);
    json_error_t err;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    check(json_is_string(v));
    check(json_string_length(v) == size);
    check(size == 0 || memcmp(json_string_value(v), data, size) == 0);
    json_decref(v);
    buf_dispose(&b);
}

static void fuzz_error(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    api_err_t kind = (api_err_t)(data[0] % (API_ERR__COUNT + 2));
    unsigned flags = data[1];
    data += 2;
    size -= 2;
    if (!utf8_is_valid((const char *)data, size))
        return;

    /* Split into NUL-terminated pieces. */
    char *copy = malloc(size + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *pieces[MAX_PIECES];
    size_t n = 0;
    pieces[n++] = copy;
    for (size_t i = 0; i < size && n < MAX_PIECES; i++) {
        if (copy[i] == '\0')
            pieces[n++] = copy + i + 1;
    }

    arena_t *arena = arena_new();
    api_error_t e;
    api_error_init(&e, kind);
    if (flags & 1)
        e.detail = pieces[0];
    if (flags & 2)
        e.field = "explicit.field";
    size_t n_issues = (n - 1) / 2;
    for (size_t k = 0; k < n_issues; k++) {
        field_issue_t issue = (field_issue_t)(((flags >> 2) + k) % (FIELD_ISSUE__COUNT + 1));
        api_error_add(&e, arena, pieces[1 + 2 * k], issue, "%s", pieces[2 + 2 * k]);
    }

    buf_t b = BUF_INIT;
    api_error_to_json(&e, &b);
    json_error_t err;
    json_t *root = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &err);
    check(json_is_object(root));

    const char *want_detail = (flags & 1) ? pieces[0]
                              : n_issues  ? pieces[2]
                                          : api_err_default_detail(kind);
    check_str(root, "detail", want_detail);
    check_str(root, "code", api_err_code(kind));
    const char *want_field = (flags & 2) ? "explicit.field" : n_issues ? pieces[1] : NULL;
    if (want_field != NULL)
        check_str(root, "field", want_field);
    else
        check(json_object_get(root, "field") == NULL);

    json_t *errors = json_object_get(root, "errors");
    if (n_issues == 0) {
        check(errors == NULL);
        check(json_object_size(root) == (want_field != NULL ? 3 : 2));
    } else {
        check(json_array_size(errors) == n_issues);
        check(json_object_size(root) == 4);
        for (size_t k = 0; k < n_issues; k++) {
            json_t *it = json_array_get(errors, k);
            check(json_object_size(it) == 3);
            check_str(it, "field", pieces[1 + 2 * k]);
            check_str(it, "code", field_issue_code(e.issues[k].issue));
            check_str(it, "detail", pieces[2 + 2 * k]);
        }
    }
    json_decref(root);
    buf_dispose(&b);
    arena_free(arena);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (utf8_is_valid((const char *)data, size))
        fuzz_strn(data, size);
    fuzz_error(data, size);
    return 0;
}
