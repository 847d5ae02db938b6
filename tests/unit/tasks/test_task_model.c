/* Unit tests for the task field tables (src/tasks/task_model.c): the input
 * rules of API.md 4.2 as the Task schemas enforce them, the list query
 * parameters (4.3), the {id} path parameter, and the Task JSON (4.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tasks/task_model.h"
#include "tasks/tasks.h"

typedef struct fx {
    arena_t *arena;
    api_error_t err;
    store_task_t t;
    schema_seen_t seen;
    json_t *json;
} fx_t;

static int setup(void **state)
{
    fx_t *f = test_calloc(1, sizeof(*f));
    f->arena = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    json_decref(f->json);
    arena_free(f->arena);
    test_free(f);
    return 0;
}

static size_t decode_into(fx_t *f, const schema_t *s, const char *text, void *out)
{
    json_error_t jerr;
    json_decref(f->json);
    f->json = json_loads(text, JSON_ALLOW_NUL, &jerr);
    if (f->json == NULL)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    return schema_decode_json(s, f->json, out, &f->seen, f->arena, &f->err);
}

static size_t decode(fx_t *f, const schema_t *s, const char *text)
{
    memset(&f->t, 0, sizeof(f->t));
    return decode_into(f, s, text, &f->t);
}

static void assert_issue(const fx_t *f, size_t i, const char *field, field_issue_t code)
{
    if (i >= f->err.n_issues)
        fail_msg("no issue %zu (have %zu)", i, f->err.n_issues);
    if (strcmp(f->err.issues[i].field, field) != 0 || f->err.issues[i].issue != code)
        fail_msg("issue %zu is %s/%s (%s), wanted %s/%s", i, f->err.issues[i].field,
                 field_issue_code(f->err.issues[i].issue), f->err.issues[i].detail, field,
                 field_issue_code(code));
}

static const char *one_issue(fx_t *f, const schema_t *s, const char *text, const char *field,
                             field_issue_t code)
{
    size_t n = decode(f, s, text);
    if (n != 1)
        fail_msg("%s: %zu problems, wanted 1 (%s)", text, n, n ? f->err.issues[0].detail : "none");
    assert_issue(f, 0, field, code);
    return f->err.issues[0].detail;
}

static void ok(fx_t *f, const schema_t *s, const char *text)
{
    if (decode(f, s, text) != 0)
        fail_msg("%s: unexpected %s: %s", text, f->err.issues[0].field, f->err.issues[0].detail);
}

/* {"title": "<n copies of unit>"} etc. */
static char *repeat_json(fx_t *f, const char *key, const char *unit, int n, const char *tail)
{
    buf_t b = BUF_INIT;
    buf_printf(&b, "{\"%s\":\"", key);
    for (int i = 0; i < n; i++)
        buf_puts(&b, unit);
    buf_printf(&b, "\"%s}", tail);
    char *s = arena_strdup(f->arena, b.data);
    buf_dispose(&b);
    return s;
}

/* ---- tables ------------------------------------------------------------------ */

static void test_tables_are_consistent(void **state)
{
    (void)state;
    const schema_t *all[] = {&task_schema,          &task_create_schema, &task_patch_schema,
                             &task_complete_schema, &task_query_schema,  &task_path_schema};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *why = NULL;
        if (schema_check(all[i], &why) != 0)
            fail_msg("%s: %s", all[i]->name, why);
    }
    /* The field indexes match the table, and the shared views share it. */
    static const char *const names[TASK_F__COUNT] = {"id",
                                                     "user_id",
                                                     "title",
                                                     "description",
                                                     "completed",
                                                     "completed_at",
                                                     "priority",
                                                     "tags",
                                                     "due_date",
                                                     "due_time",
                                                     "recurrence_pattern",
                                                     "recurrence_day",
                                                     "created_at",
                                                     "updated_at"};
    assert_int_equal(task_schema.n_fields, TASK_F__COUNT);
    for (int i = 0; i < TASK_F__COUNT; i++)
        assert_string_equal(task_schema.fields[i].name, names[i]);
    assert_ptr_equal(task_create_schema.fields, task_schema.fields);
    assert_ptr_equal(task_patch_schema.fields, task_schema.fields);
    /* Read-only fields are exactly the ones API.md names. */
    const char *ro[] = {"id", "user_id", "completed", "completed_at", "created_at", "updated_at"};
    size_t n_ro = 0;
    for (size_t i = 0; i < task_schema.n_fields; i++)
        if (task_schema.fields[i].flags & SCHEMA_READ_ONLY)
            n_ro++;
    assert_int_equal(n_ro, 6);
    for (size_t i = 0; i < 6; i++)
        assert_true(schema_field_find(&task_schema, ro[i], NULL)->flags & SCHEMA_READ_ONLY);
}

/* ---- title ------------------------------------------------------------------- */

static void test_title(void **state)
{
    fx_t *f = *state;
    ok(f, &task_create_schema, "{\"title\":\"  Weekly team standup \\n\"}");
    assert_string_equal(f->t.title, "Weekly team standup");

    ok(f, &task_create_schema, repeat_json(f, "title", "\xc3\xa9", 200, "")); /* 400 bytes */
    ok(f, &task_create_schema, repeat_json(f, "title", "x", 200, ""));
    const char *d = one_issue(f, &task_create_schema, repeat_json(f, "title", "x", 201, ""),
                              "title", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "title must be 1-200 characters");
    one_issue(f, &task_create_schema, repeat_json(f, "title", "\xc3\xa9", 201, ""), "title",
              FIELD_ISSUE_TOO_LONG);
    /* 200 characters plus surrounding spaces is fine: trimming comes first. */
    char *padded = repeat_json(f, "title", "y", 200, "");
    padded = arena_printf(f->arena, "{\"title\":\"  \\t%.200s \\n\"}", padded + 10);
    ok(f, &task_create_schema, padded);
    assert_int_equal(strlen(f->t.title), 200);

    d = one_issue(f, &task_create_schema, "{\"title\":\"   \"}", "title", FIELD_ISSUE_TOO_SHORT);
    assert_string_equal(d, "title must be 1-200 characters");
    one_issue(f, &task_create_schema, "{\"title\":\"\"}", "title", FIELD_ISSUE_TOO_SHORT);
    d = one_issue(f, &task_create_schema, "{}", "title", FIELD_ISSUE_MISSING);
    assert_string_equal(d, "title is required");
    one_issue(f, &task_create_schema, "{\"title\":null}", "title", FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &task_create_schema, "{\"title\":5}", "title", FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &task_patch_schema, "{\"title\":null}", "title", FIELD_ISSUE_WRONG_TYPE);
    ok(f, &task_patch_schema, "{}");

    const char *controls[] = {"{\"title\":\"a\\tb\"}",     "{\"title\":\"a\\nb\"}",
                              "{\"title\":\"a\\u0000b\"}", "{\"title\":\"a\\u007fb\"}",
                              "{\"title\":\"a\\u0085b\"}", "{\"title\":\"a\\u009fb\"}",
                              "{\"title\":\"a\\u001bb\"}"};
    for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
        one_issue(f, &task_create_schema, controls[i], "title", FIELD_ISSUE_CONTROL_CHARACTER);
    ok(f, &task_create_schema, "{\"title\":\"\\ttabbed\\r\\n\"}"); /* trimmed away */
    assert_string_equal(f->t.title, "tabbed");
}

static void test_description(void **state)
{
    fx_t *f = *state;
    ok(f, &task_create_schema, "{\"title\":\"t\",\"description\":\"  line 1\\nline 2\\t \"}");
    assert_string_equal(f->t.description, "  line 1\nline 2\t ");
    ok(f, &task_create_schema, "{\"title\":\"t\",\"description\":null}");
    assert_null(f->t.description);
    ok(f, &task_create_schema,
       repeat_json(f, "description", "\xe2\x82\xac", 1000, ",\"title\":\"t\""));
    const char *d = one_issue(f, &task_create_schema,
                              repeat_json(f, "description", "x", 1001, ",\"title\":\"t\""),
                              "description", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "description must be at most 1000 characters");
    one_issue(f, &task_create_schema, "{\"title\":\"t\",\"description\":\"a\\u0000b\"}",
              "description", FIELD_ISSUE_CONTROL_CHARACTER);
    one_issue(f, &task_create_schema, "{\"title\":\"t\",\"description\":7}", "description",
              FIELD_ISSUE_WRONG_TYPE);
}

static void test_priority_and_pattern(void **state)
{
    fx_t *f = *state;
    ok(f, &task_patch_schema, "{\"priority\":\"high\",\"recurrence_pattern\":\"monthly\"}");
    assert_int_equal(f->t.priority, PRIORITY_HIGH);
    assert_int_equal(f->t.recurrence_pattern, RECURRENCE_MONTHLY);
    ok(f, &task_patch_schema, "{\"priority\":\"low\",\"recurrence_pattern\":\"daily\"}");
    assert_int_equal(f->t.priority, PRIORITY_LOW);
    assert_int_equal(f->t.recurrence_pattern, RECURRENCE_DAILY);
    ok(f, &task_patch_schema, "{\"priority\":\"medium\",\"recurrence_pattern\":\"weekly\"}");
    assert_int_equal(f->t.priority, PRIORITY_MEDIUM);
    assert_int_equal(f->t.recurrence_pattern, RECURRENCE_WEEKLY);
    ok(f, &task_patch_schema, "{\"priority\":null,\"recurrence_pattern\":null}");
    assert_int_equal(f->t.priority, PRIORITY_NONE);
    assert_int_equal(f->t.recurrence_pattern, RECURRENCE_NONE);
    one_issue(f, &task_patch_schema, "{\"priority\":3}", "priority", FIELD_ISSUE_WRONG_TYPE);
    const char *d = one_issue(f, &task_patch_schema, "{\"priority\":\"urgent\"}", "priority",
                              FIELD_ISSUE_INVALID_CHOICE);
    assert_string_equal(d, "priority must be one of low, medium, high");
    one_issue(f, &task_patch_schema, "{\"priority\":\"High\"}", "priority",
              FIELD_ISSUE_INVALID_CHOICE);
    d = one_issue(f, &task_patch_schema, "{\"recurrence_pattern\":\"yearly\"}",
                  "recurrence_pattern", FIELD_ISSUE_INVALID_CHOICE);
    assert_string_equal(d, "recurrence_pattern must be one of daily, weekly, monthly");
}

static void test_tags(void **state)
{
    fx_t *f = *state;
    ok(f, &task_patch_schema, "{\"tags\":\" work, meeting ,Work,,weekly\"}");
    assert_string_equal(f->t.tags, "work,meeting,weekly");
    ok(f, &task_patch_schema, "{\"tags\":[\"Home\",\" errands \",\"home\",\"\"]}");
    assert_string_equal(f->t.tags, "Home,errands");
    ok(f, &task_patch_schema, "{\"tags\":[]}");
    assert_null(f->t.tags);
    ok(f, &task_patch_schema, "{\"tags\":\",, ,\"}");
    assert_null(f->t.tags);
    ok(f, &task_patch_schema, "{\"tags\":null}");
    assert_null(f->t.tags);

    /* 20 tags, 50 code points each: fine; 21 distinct tags: not. */
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"tags\":\"");
    for (int i = 0; i < 20; i++)
        buf_printf(&b, "%s%02d%s", i ? "," : "", i,
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9\xc3\xa9");
    buf_puts(&b,
             ",01\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"); /* dup */
    buf_puts(&b, "\"}");
    ok(f, &task_patch_schema, b.data);
    buf_clear(&b);
    buf_puts(&b, "{\"tags\":[");
    for (int i = 0; i < 21; i++)
        buf_printf(&b, "%s\"t%d\"", i ? "," : "", i);
    buf_puts(&b, "]}");
    const char *d = one_issue(f, &task_patch_schema, b.data, "tags", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "tags must hold at most 20 tags");
    buf_dispose(&b);

    d = one_issue(f, &task_patch_schema, repeat_json(f, "tags", "x", 51, ""), "tags",
                  FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "each tag in tags must be at most 50 characters");
    one_issue(f, &task_patch_schema, "{\"tags\":[\"a\",\"b,c\"]}", "tags",
              FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &task_patch_schema, "{\"tags\":[\"a\",2]}", "tags", FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &task_patch_schema, "{\"tags\":5}", "tags", FIELD_ISSUE_WRONG_TYPE);
}

static void test_dates_times_days(void **state)
{
    fx_t *f = *state;
    ok(f, &task_patch_schema, "{\"due_date\":\"2024-02-29\",\"due_time\":\"09:00\"}");
    assert_string_equal(f->t.due_date, "2024-02-29");
    assert_string_equal(f->t.due_time, "09:00:00");
    ok(f, &task_patch_schema, "{\"due_time\":\"23:59:59\"}");
    assert_string_equal(f->t.due_time, "23:59:59");
    const char *d = one_issue(f, &task_patch_schema, "{\"due_date\":\"2025-02-29\"}", "due_date",
                              FIELD_ISSUE_INVALID_FORMAT);
    assert_string_equal(d, "due_date must be a real date in the form YYYY-MM-DD");
    one_issue(f, &task_patch_schema, "{\"due_date\":\"2025-02-30\"}", "due_date",
              FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &task_patch_schema, "{\"due_date\":\"11/12/2025\"}", "due_date",
              FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &task_patch_schema, "{\"due_time\":\"9:00\"}", "due_time",
              FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &task_patch_schema, "{\"due_time\":\"24:00\"}", "due_time",
              FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &task_patch_schema, "{\"due_time\":\"09:00:00Z\"}", "due_time",
              FIELD_ISSUE_INVALID_FORMAT);

    ok(f, &task_patch_schema, "{\"recurrence_day\":31}");
    assert_int_equal(f->t.recurrence_day, 31);
    ok(f, &task_patch_schema, "{\"recurrence_day\":1}");
    d = one_issue(f, &task_patch_schema, "{\"recurrence_day\":0}", "recurrence_day",
                  FIELD_ISSUE_OUT_OF_RANGE);
    assert_string_equal(d, "recurrence_day must be an integer 1-31");
    one_issue(f, &task_patch_schema, "{\"recurrence_day\":32}", "recurrence_day",
              FIELD_ISSUE_OUT_OF_RANGE);
    one_issue(f, &task_patch_schema, "{\"recurrence_day\":\"2\"}", "recurrence_day",
              FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &task_patch_schema, "{\"recurrence_day\":1.5}", "recurrence_day",
              FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &task_patch_schema, "{\"recurrence_day\":true}", "recurrence_day",
              FIELD_ISSUE_WRONG_TYPE);
}

static void test_all_problems_and_ignored_keys(void **state)
{
    fx_t *f = *state;
    /* API.md's example: three problems in one answer. */
    size_t n = decode(f, &task_create_schema,
                      "{\"title\":\"x\",\"priority\":3,\"recurrence_day\":\"2\",\"foo\":1}");
    assert_int_equal(n, 3);
    assert_issue(f, 0, "priority", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 1, "recurrence_day", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 2, "foo", FIELD_ISSUE_UNKNOWN_FIELD);

    /* A fetched Task sent back is accepted; its read-only keys are ignored. */
    ok(f, &task_create_schema,
       "{\"id\":99,\"user_id\":\"other\",\"title\":\"t\",\"description\":null,"
       "\"completed\":true,\"completed_at\":\"zzz\",\"priority\":null,\"tags\":null,"
       "\"due_date\":null,\"due_time\":null,\"recurrence_pattern\":null,"
       "\"recurrence_day\":null,\"created_at\":5,\"updated_at\":[]}");
    assert_int_equal(f->t.id, 0);
    assert_null(f->t.user_id);
    assert_false(f->t.completed);
    assert_null(f->t.completed_at);
    assert_null(f->t.created_at);
    ok(f, &task_patch_schema, "{\"completed\":true}");
    assert_false(f->t.completed);
    assert_int_equal(f->seen.present, 0);
}

static void test_complete_body(void **state)
{
    fx_t *f = *state;
    task_complete_body_t body = {false};
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"completed\":true}", &body), 0);
    assert_true(body.completed);
    assert_true(f->seen.present & 1U);
    assert_false(f->seen.null & 1U);
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"completed\":null}", &body), 0);
    assert_true(f->seen.null & 1U);
    assert_int_equal(decode_into(f, &task_complete_schema, "{}", &body), 0);
    assert_false(f->seen.present & 1U);
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"completed\":\"yes\"}", &body), 1);
    assert_issue(f, 0, "completed", FIELD_ISSUE_WRONG_TYPE);
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"completed\":1}", &body), 1);
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"done\":true}", &body), 1);
    assert_issue(f, 0, "done", FIELD_ISSUE_UNKNOWN_FIELD);
    /* Not the Task object: its read-only keys are unknown here. */
    assert_int_equal(decode_into(f, &task_complete_schema, "{\"id\":1}", &body), 1);
    assert_issue(f, 0, "id", FIELD_ISSUE_UNKNOWN_FIELD);
}

/* ---- encoding ------------------------------------------------------------------ */

static void test_encode_task(void **state)
{
    (void)state;
    store_task_t t = {
        .id = 2,
        .user_id = "u_8f2k",
        .title = "Weekly team standup",
        .description = "Discuss sprint progress",
        .completed = false,
        .priority = PRIORITY_HIGH,
        .tags = "work,meeting,weekly",
        .due_date = "2025-12-11",
        .due_time = "09:00:00",
        .recurrence_pattern = RECURRENCE_WEEKLY,
        .recurrence_day = 1,
        .created_at = "2025-12-10T10:10:00Z",
        .updated_at = "2025-12-10T10:10:00Z",
        .successor_id = 77, /* internal: never sent */
    };
    buf_t b = BUF_INIT;
    task_encode(&t, &b);
    assert_string_equal(
        b.data,
        "{\"id\":2,\"user_id\":\"u_8f2k\",\"title\":\"Weekly team standup\","
        "\"description\":\"Discuss sprint progress\",\"completed\":false,\"completed_at\":null,"
        "\"priority\":\"high\",\"tags\":\"work,meeting,weekly\",\"due_date\":\"2025-12-11\","
        "\"due_time\":\"09:00:00\",\"recurrence_pattern\":\"weekly\",\"recurrence_day\":1,"
        "\"created_at\":\"2025-12-10T10:10:00Z\",\"updated_at\":\"2025-12-10T10:10:00Z\"}");
    buf_dispose(&b);

    store_task_t bare = {.id = 9223372036854775807,
                         .user_id = "u",
                         .title = "say \"hi\"\\",
                         .completed = true,
                         .completed_at = "2025-12-10T10:10:00Z",
                         .created_at = "c",
                         .updated_at = "u"};
    task_encode(&bare, &b);
    assert_string_equal(b.data, "{\"id\":9223372036854775807,\"user_id\":\"u\",\"title\":\"say "
                                "\\\"hi\\\"\\\\\",\"description\":null,\"completed\":true,"
                                "\"completed_at\":\"2025-12-10T10:10:00Z\",\"priority\":null,"
                                "\"tags\":null,\"due_date\":null,\"due_time\":null,"
                                "\"recurrence_pattern\":null,\"recurrence_day\":null,"
                                "\"created_at\":\"c\",\"updated_at\":\"u\"}");
    buf_dispose(&b);
}

static void test_encode_list(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    task_encode_list(NULL, 0, &b);
    assert_string_equal(b.data, "[]");
    buf_dispose(&b);

    store_task_t ts[150];
    memset(ts, 0, sizeof(ts));
    for (int i = 0; i < 150; i++) {
        ts[i].id = i + 1;
        ts[i].user_id = "u";
        ts[i].title = "t";
        ts[i].created_at = ts[i].updated_at = "2025-12-10T10:10:00Z";
    }
    task_encode_list(ts, 150, &b);
    json_error_t jerr;
    json_t *arr = json_loads(b.data, 0, &jerr);
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), 150);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 149), "id")), 150);
    assert_int_equal(json_object_size(json_array_get(arr, 0)), 14);
    json_decref(arr);
    buf_dispose(&b);
}

/* ---- list query --------------------------------------------------------------- */

static const char *pairs_get(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    for (size_t i = 0; kv[i] != NULL; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

static size_t query(fx_t *f, store_task_query_t *q, const char *const *kv)
{
    memset(q, 0, sizeof(*q));
    q->completed = -1;
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    return schema_decode_params(&task_query_schema, pairs_get, (void *)kv, q, NULL, f->arena,
                                "query.", &f->err);
}

static void test_query_defaults(void **state)
{
    fx_t *f = *state;
    store_task_query_t q;
    const char *kv[] = {"unknown", "ignored", "page", "7", NULL};
    assert_int_equal(query(f, &q, kv), 0);
    assert_int_equal(q.completed, -1);
    assert_int_equal(q.priority, PRIORITY_NONE);
    assert_null(q.tag);
    assert_null(q.search);
    assert_int_equal(q.due_filter, DUE_FILTER_ANY);
    assert_null(q.today); /* the handler fills in the server's date */
    assert_int_equal(q.sort_by, SORT_CREATED_AT);
    assert_true(q.descending);
    assert_int_equal(q.limit, 1000);
    assert_int_equal(q.offset, 0);
}

static void test_query_values(void **state)
{
    fx_t *f = *state;
    store_task_query_t q;
    const char *kv[] = {"completed", "true",       "priority", "medium",          "tag",
                        "  Work ",   "search",     " 50%_ ",   "due_date_filter", "this_week",
                        "today",     "2024-02-29", "sort_by",  "due_date",        "sort_order",
                        "asc",       "limit",      "1",        "offset",          "20",
                        NULL};
    assert_int_equal(query(f, &q, kv), 0);
    assert_int_equal(q.completed, 1);
    assert_int_equal(q.priority, PRIORITY_MEDIUM);
    assert_string_equal(q.tag, "Work");
    assert_string_equal(q.search, " 50%_ "); /* searched as given */
    assert_int_equal(q.due_filter, DUE_FILTER_THIS_WEEK);
    assert_string_equal(q.today, "2024-02-29");
    assert_int_equal(q.sort_by, SORT_DUE_DATE);
    assert_false(q.descending);
    assert_int_equal(q.limit, 1);
    assert_int_equal(q.offset, 20);

    static const struct {
        const char *name, *value;
        int64_t want;
        size_t off;
        bool is64;
    } each[] = {
        {"completed", "false", 0, offsetof(store_task_query_t, completed), false},
        {"priority", "low", PRIORITY_LOW, offsetof(store_task_query_t, priority), false},
        {"priority", "high", PRIORITY_HIGH, offsetof(store_task_query_t, priority), false},
        {"due_date_filter", "overdue", DUE_FILTER_OVERDUE, offsetof(store_task_query_t, due_filter),
         false},
        {"due_date_filter", "today", DUE_FILTER_TODAY, offsetof(store_task_query_t, due_filter),
         false},
        {"due_date_filter", "upcoming", DUE_FILTER_UPCOMING,
         offsetof(store_task_query_t, due_filter), false},
        {"due_date_filter", "none", DUE_FILTER_NONE, offsetof(store_task_query_t, due_filter),
         false},
        {"sort_by", "created_at", SORT_CREATED_AT, offsetof(store_task_query_t, sort_by), false},
        {"sort_by", "updated_at", SORT_UPDATED_AT, offsetof(store_task_query_t, sort_by), false},
        {"sort_by", "priority", SORT_PRIORITY, offsetof(store_task_query_t, sort_by), false},
        {"sort_by", "title", SORT_TITLE, offsetof(store_task_query_t, sort_by), false},
        {"sort_by", "completed", SORT_COMPLETED, offsetof(store_task_query_t, sort_by), false},
        {"limit", "1000", 1000, offsetof(store_task_query_t, limit), true},
        {"offset", "0", 0, offsetof(store_task_query_t, offset), true},
        {"offset", "4611686018427387904", INT64_C(1) << 62, offsetof(store_task_query_t, offset),
         true},
        {"offset", "99999999999999999999999", INT64_C(1) << 62,
         offsetof(store_task_query_t, offset), true},
    };
    for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
        const char *one[] = {each[i].name, each[i].value, NULL};
        if (query(f, &q, one) != 0)
            fail_msg("%s=%s refused", each[i].name, each[i].value);
        int64_t got;
        if (each[i].is64) {
            memcpy(&got, (char *)&q + each[i].off, sizeof(got));
        } else {
            int v;
            memcpy(&v, (char *)&q + each[i].off, sizeof(v));
            got = v;
        }
        if (got != each[i].want)
            fail_msg("%s=%s gave %lld", each[i].name, each[i].value, (long long)got);
    }
    const char *empty[] = {"tag", "   ", "search", "", NULL};
    assert_int_equal(query(f, &q, empty), 0);
    assert_null(q.tag);
    assert_null(q.search);
}

static void test_query_bad_values(void **state)
{
    fx_t *f = *state;
    store_task_query_t q;
    static const struct {
        const char *name, *value;
        field_issue_t code;
    } cases[] = {
        {"completed", "yes", FIELD_ISSUE_INVALID_FORMAT},
        {"completed", "True", FIELD_ISSUE_INVALID_FORMAT},
        {"completed", "1", FIELD_ISSUE_INVALID_FORMAT},
        {"completed", "", FIELD_ISSUE_INVALID_FORMAT},
        {"priority", "urgent", FIELD_ISSUE_INVALID_CHOICE},
        {"priority", "", FIELD_ISSUE_INVALID_CHOICE},
        {"due_date_filter", "later", FIELD_ISSUE_INVALID_CHOICE},
        {"today", "2025-13-01", FIELD_ISSUE_INVALID_FORMAT},
        {"today", "2025-02-29", FIELD_ISSUE_INVALID_FORMAT},
        {"today", "now", FIELD_ISSUE_INVALID_FORMAT},
        {"sort_by", "id", FIELD_ISSUE_INVALID_CHOICE},
        {"sort_order", "descending", FIELD_ISSUE_INVALID_CHOICE},
        {"limit", "0", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "1001", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "-5", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "ten", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "10.0", FIELD_ISSUE_INVALID_FORMAT},
        {"offset", "-1", FIELD_ISSUE_OUT_OF_RANGE},
        {"offset", "1e2", FIELD_ISSUE_INVALID_FORMAT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {cases[i].name, cases[i].value, NULL};
        if (query(f, &q, kv) != 1)
            fail_msg("%s=%s: %zu problems", cases[i].name, cases[i].value, f->err.n_issues);
        char field[48];
        snprintf(field, sizeof(field), "query.%s", cases[i].name);
        assert_issue(f, 0, field, cases[i].code);
    }
    const char *lim[] = {"limit", "0", NULL};
    query(f, &q, lim);
    assert_string_equal(f->err.issues[0].detail, "limit must be an integer 1-1000");

    const char *many[] = {"limit", "0", "priority", "urgent", "completed", "maybe", NULL};
    assert_int_equal(query(f, &q, many), 3);
    assert_issue(f, 0, "query.completed", FIELD_ISSUE_INVALID_FORMAT);
    assert_issue(f, 1, "query.priority", FIELD_ISSUE_INVALID_CHOICE);
    assert_issue(f, 2, "query.limit", FIELD_ISSUE_OUT_OF_RANGE);
}

/* ---- path id ------------------------------------------------------------------ */

static void test_path_id(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *text;
        int64_t want;
    } good[] = {{"1", 1}, {"42", 42}, {"9223372036854775807", INT64_MAX}, {"007", 7}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *kv[] = {"id", good[i].text, NULL};
        task_path_t p = {0};
        api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
        assert_int_equal(schema_decode_params(&task_path_schema, pairs_get, (void *)kv, &p, NULL,
                                              f->arena, "path.", &f->err),
                         0);
        assert_int_equal(p.id, good[i].want);
    }
    const char *bad[] = {"0",
                         "-1",
                         "9223372036854775808",
                         "99999999999999999999999",
                         "abc",
                         "1.0",
                         "+1",
                         "",
                         " 1",
                         "1a",
                         "0x10",
                         "-0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *kv[] = {"id", bad[i], NULL};
        task_path_t p = {0};
        api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
        if (schema_decode_params(&task_path_schema, pairs_get, (void *)kv, &p, NULL, f->arena,
                                 "path.", &f->err) != 1)
            fail_msg("id %s accepted", bad[i]);
        assert_string_equal(f->err.issues[0].field, "path.id");
        assert_string_equal(f->err.issues[0].detail, "id must be a positive integer");
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tables_are_consistent),
        T(test_title),
        T(test_description),
        T(test_priority_and_pattern),
        T(test_tags),
        T(test_dates_times_days),
        T(test_all_problems_and_ignored_keys),
        T(test_complete_body),
        T(test_encode_task),
        T(test_encode_list),
        T(test_query_defaults),
        T(test_query_values),
        T(test_query_bad_values),
        T(test_path_id),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
