/* Fuzz target: what a client sends to the task routes, through the field
 * tables (src/schema/) and the task rules (src/tasks/task_rules.c).
 *
 * Input: the data is parsed as a JSON body the way the HTTP layer does, and
 * decoded against the create and the patch schema; it is also split on '&'
 * and '=' into query parameters decoded against the list-query schema.
 * Properties: nothing crashes or leaks; a body that decodes without problems
 * goes through the create rules and a PATCH merge onto a stored task, and the
 * result encodes to JSON that jansson parses back as an object whose title
 * is 1-200 code points; every reported problem names a field and has a
 * detail. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"
#include "fuzz.h"
#include "schema/schema.h"
#include "store/store.h"
#include "tasks/task_model.h"
#include "tasks/task_rules.h"
#include "tasks/tasks.h"

#define check(ok)                                                                                  \
    do {                                                                                           \
        if (!(ok))                                                                                 \
            abort();                                                                               \
    } while (0)

static const char NOW[] = "2025-12-10T10:05:00Z";

static void check_issues(const api_error_t *err)
{
    for (size_t i = 0; i < err->n_issues; i++)
        check(err->issues[i].field != NULL && err->issues[i].detail != NULL &&
              err->issues[i].detail[0] != '\0');
}

static void check_encodes(const store_task_t *t)
{
    buf_t b = BUF_INIT;
    task_encode(t, &b);
    json_error_t jerr;
    json_t *back = json_loadb(b.data, b.len, 0, &jerr);
    check(json_is_object(back));
    const char *title = json_string_value(json_object_get(back, "title"));
    check(title != NULL);
    size_t n = utf8_count_codepoints(title, strlen(title));
    check(n >= 1 && n <= 200);
    json_decref(back);
    buf_dispose(&b);
}

static void fuzz_body(const uint8_t *data, size_t size, arena_t *arena)
{
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, size,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        return;
    }
    date_t today = {2025, 12, 10};

    store_task_t created = {0};
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    size_t problems = schema_decode_json(&task_create_schema, body, &created, NULL, arena, &err);
    check_issues(&err);
    if (problems == 0) {
        api_error_init(&err, API_ERR_RULE_VIOLATION);
        if (task_prepare_create(&created, "fuzz-user", NOW, today, arena, &err) == 0) {
            created.id = 1;
            check_encodes(&created);
        }
        check_issues(&err);
    }

    task_change_t change = {.kind = TASK_CHANGE_PATCH, .now = NOW, .today = today};
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    problems =
        schema_decode_json(&task_patch_schema, body, &change.body, &change.seen, arena, &err);
    check_issues(&err);
    if (problems == 0) {
        store_task_t cur = {.id = 7,
                            .user_id = "fuzz-user",
                            .title = "stored",
                            .due_date = "2025-12-11",
                            .due_time = "09:00:00",
                            .recurrence_pattern = RECURRENCE_WEEKLY,
                            .recurrence_day = 4,
                            .created_at = NOW,
                            .updated_at = NOW};
        store_task_t next = cur;
        store_task_t *successor = NULL;
        int rc = task_change_apply(&change, arena, &cur, &next, &successor);
        check(successor == NULL);
        if (rc >= 0)
            check_encodes(&next);
        else
            check_issues(&change.rule_error);
    }
    json_decref(body);
}

typedef struct query {
    const char *names[16];
    const char *values[16];
    size_t n;
} query_t;

static const char *query_get(void *ctx, const char *name)
{
    const query_t *q = ctx;
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    return NULL;
}

static void fuzz_query(const uint8_t *data, size_t size, arena_t *arena)
{
    char *text = arena_strndup(arena, (const char *)data, size);
    if (strlen(text) != size || !utf8_is_valid(text, size))
        return; /* the HTTP layer hands over NUL-free, decoded UTF-8 values */
    query_t q = {.n = 0};
    char *save = NULL;
    for (char *pair = strtok_r(text, "&", &save); pair != NULL && q.n < 16;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        q.names[q.n] = pair;
        q.values[q.n++] = eq + 1;
    }
    store_task_query_t out = {0};
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    size_t problems =
        schema_decode_params(&task_query_schema, query_get, &q, &out, NULL, arena, "query.", &err);
    check_issues(&err);
    if (problems == 0) {
        check(out.limit >= 1 && out.limit <= 1000);
        check(out.offset >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *arena = arena_new();
    fuzz_body(data, size, arena);
    fuzz_query(data, size, arena);
    arena_free(arena);
    return 0;
}
