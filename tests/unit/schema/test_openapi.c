/* Unit tests for the OpenAPI generator (src/schema/openapi.c), on the real
 * route and field tables (app_openapi_write) and on a test-local copy of the
 * Task table with another limit: one limit drives the validator, its error
 * message and the document together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"
#include "auth/jwt.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "schema/openapi.h"
#include "schema/schema.h"
#include "store/store.h"
#include "tasks/task_model.h"
#include "tasks/tasks.h"

/* ---- helpers ---------------------------------------------------------------- */

static json_t *load_doc(void)
{
    buf_t b = BUF_INIT;
    app_openapi_write(&b);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    if (doc == NULL)
        fail_msg("the document is not JSON: %s (line %d)", je.text, je.line);
    buf_dispose(&b);
    return doc;
}

/* doc at a '/'-separated path of keys ("~1" stands for '/', as in JSON Pointer). */
static json_t *at(json_t *doc, const char *path)
{
    char key[256];
    json_t *cur = doc;
    while (*path != '\0' && cur != NULL) {
        size_t n = strcspn(path, "/");
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < sizeof(key); i++) {
            if (path[i] == '~' && i + 1 < n && path[i + 1] == '1') {
                key[o++] = '/';
                i++;
            } else {
                key[o++] = path[i];
            }
        }
        key[o] = '\0';
        cur =
            json_is_array(cur) ? json_array_get(cur, (size_t)atoi(key)) : json_object_get(cur, key);
        path += n;
        if (*path == '/')
            path++;
    }
    return cur;
}

static json_t *must(json_t *doc, const char *path)
{
    json_t *v = at(doc, path);
    if (v == NULL)
        fail_msg("missing in the document: %s", path);
    return v;
}

static long long int_at(json_t *doc, const char *path)
{
    json_t *v = must(doc, path);
    assert_true(json_is_integer(v));
    return (long long)json_integer_value(v);
}

static const char *str_at(json_t *doc, const char *path)
{
    json_t *v = must(doc, path);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static bool array_has_str(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* The operation of app route rt. */
static json_t *operation_of(json_t *doc, const route_t *rt)
{
    json_t *item = json_object_get(must(doc, "paths"), rt->pattern);
    if (item == NULL)
        fail_msg("route %s %s is not in paths", rt->method, rt->pattern);
    char m[16];
    size_t i = 0;
    for (; rt->method[i] != '\0' && i + 1 < sizeof(m); i++)
        m[i] = (char)(rt->method[i] - 'A' + 'a');
    m[i] = '\0';
    json_t *op = json_object_get(item, m);
    if (op == NULL)
        fail_msg("route %s %s has no operation", rt->method, rt->pattern);
    return op;
}

static const route_t *route_by_id(const char *operation_id)
{
    for (size_t i = 0; i < app_routes_count; i++)
        if (app_routes[i].operation_id != NULL &&
            strcmp(app_routes[i].operation_id, operation_id) == 0)
            return &app_routes[i];
    fail_msg("no route %s", operation_id);
    return NULL;
}

/* ---- the real document -------------------------------------------------------- */

static void test_shape(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_string_equal(str_at(doc, "openapi"), "3.1.0");
    assert_string_equal(str_at(doc, "info/title"), "todo-server");
    assert_string_equal(str_at(doc, "components/securitySchemes/bearerAuth/type"), "http");
    assert_string_equal(str_at(doc, "components/securitySchemes/bearerAuth/scheme"), "bearer");
    assert_string_equal(str_at(doc, "components/securitySchemes/bearerAuth/bearerFormat"), "JWT");
    json_decref(doc);
}

static void test_every_route_is_an_operation(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    size_t n_ops = 0;
    const char *key;
    json_t *item;
    json_object_foreach(must(doc, "paths"), key, item)
    {
        n_ops += json_object_size(item);
    }
    assert_int_equal(n_ops, app_routes_count);
    for (size_t i = 0; i < app_routes_count; i++) {
        const route_t *rt = &app_routes[i];
        json_t *op = operation_of(doc, rt);
        assert_string_equal(json_string_value(json_object_get(op, "operationId")),
                            rt->operation_id);
        assert_string_equal(json_string_value(json_object_get(op, "summary")), rt->summary);
        assert_true(array_has_str(json_object_get(op, "tags"), rt->tag));
        json_t *security = json_object_get(op, "security");
        assert_non_null(security);
        if (rt->flags & ROUTE_AUTH)
            assert_non_null(at(security, "0/bearerAuth"));
        else
            assert_int_equal(json_array_size(security), 0);

        /* The success status, then every listed error status as the Error body. */
        json_t *responses = json_object_get(op, "responses");
        char status[8];
        snprintf(status, sizeof(status), "%d", rt->status);
        assert_non_null(json_object_get(responses, status));
        for (const int *e = rt->errors; e != NULL && *e != 0; e++) {
            snprintf(status, sizeof(status), "%d", *e);
            json_t *ref = json_object_get(json_object_get(responses, status), "$ref");
            if (ref == NULL)
                fail_msg("%s: error status %d is not documented", rt->operation_id, *e);
            char want[64];
            snprintf(want, sizeof(want), "#/components/responses/Error%d", *e);
            assert_string_equal(json_string_value(ref), want);
        }
    }
    json_decref(doc);
}

/* Each ErrorNNN response allows exactly the API_ERROR_MAP codes of NNN. */
static void test_error_bodies_come_from_the_error_table(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *codes = must(doc, "components/schemas/Error/properties/code/enum");
    assert_int_equal(json_array_size(codes), API_ERR__COUNT);
    for (int e = 0; e < API_ERR__COUNT; e++)
        assert_true(array_has_str(codes, api_err_code((api_err_t)e)));
    json_t *issues = must(doc, "components/schemas/ErrorItem/properties/code/enum");
    assert_int_equal(json_array_size(issues), FIELD_ISSUE__COUNT);
    for (int i = 0; i < FIELD_ISSUE__COUNT; i++)
        assert_true(array_has_str(issues, field_issue_code((field_issue_t)i)));

    const char *name;
    json_t *resp;
    size_t n_responses = 0;
    json_object_foreach(must(doc, "components/responses"), name, resp)
    {
        int status = atoi(name + strlen("Error"));
        json_t *allowed =
            must(resp, "content/application~1json/schema/allOf/1/properties/code/enum");
        size_t want = 0;
        for (int e = 0; e < API_ERR__COUNT; e++) {
            if (api_err_status((api_err_t)e) != status)
                continue;
            want++;
            assert_true(array_has_str(allowed, api_err_code((api_err_t)e)));
        }
        assert_int_equal(json_array_size(allowed), want);
        assert_non_null(must(resp, "headers/X-Request-ID"));
        if (status == 401)
            assert_non_null(must(resp, "headers/WWW-Authenticate"));
        n_responses++;
    }
    assert_true(n_responses >= 5);
    json_decref(doc);
}

static void test_task_schemas(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    /* Response: every field, all required, nullable ones typed with "null". */
    json_t *task = must(doc, "components/schemas/Task");
    assert_int_equal(json_array_size(json_object_get(task, "required")),
                     schema_field_count(&task_schema));
    assert_true(json_is_false(json_object_get(task, "additionalProperties")));
    json_t *desc_type = must(task, "properties/description/type");
    assert_true(json_is_array(desc_type));
    assert_true(array_has_str(desc_type, "string") && array_has_str(desc_type, "null"));
    assert_string_equal(str_at(task, "properties/title/type"), "string");
    json_t *prio = must(task, "properties/priority/enum");
    assert_true(json_is_null(json_array_get(prio, json_array_size(prio) - 1)));
    assert_true(array_has_str(prio, "low") && array_has_str(prio, "high"));
    assert_true(json_is_true(must(task, "properties/id/readOnly")));
    assert_string_equal(str_at(task, "properties/created_at/format"), "date-time");

    /* Create body: no read-only keys, title required, tags a string or an array. */
    json_t *input = must(doc, "components/schemas/TaskInput");
    assert_null(at(input, "properties/id"));
    assert_null(at(input, "properties/created_at"));
    assert_true(array_has_str(json_object_get(input, "required"), "title"));
    json_t *tags_type = must(input, "properties/tags/type");
    assert_true(array_has_str(tags_type, "string") && array_has_str(tags_type, "array") &&
                array_has_str(tags_type, "null"));
    assert_string_equal(
        str_at(input, "properties/due_time/pattern"),
        schema_field_pattern(schema_field_find(&task_schema, "due_time", NULL), true));
    /* Patch body: nothing required. */
    assert_null(at(doc, "components/schemas/TaskPatch/required"));
    json_decref(doc);
}

static void test_parameters_and_headers(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *list = operation_of(doc, route_by_id("listTasks"));
    json_t *params = json_object_get(list, "parameters");
    const schema_field_t *limit = schema_field_find(&task_query_schema, "limit", NULL);
    const schema_field_t *sort = schema_field_find(&task_query_schema, "sort_by", NULL);
    bool saw_limit = false, saw_sort = false, saw_user = false;
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        const char *name = str_at(p, "name");
        if (strcmp(name, "limit") == 0) {
            saw_limit = true;
            assert_string_equal(str_at(p, "in"), "query");
            assert_int_equal(int_at(p, "schema/minimum"), limit->minimum);
            assert_int_equal(int_at(p, "schema/maximum"), limit->maximum);
            assert_int_equal(int_at(p, "schema/default"), atoll(limit->default_value));
        } else if (strcmp(name, "sort_by") == 0) {
            saw_sort = true;
            json_t *choices = must(p, "schema/enum");
            assert_int_equal(json_array_size(choices), schema_field_choice_count(sort));
            assert_string_equal(str_at(p, "schema/default"), sort->default_value);
        } else if (strcmp(name, "user_id") == 0) {
            saw_user = true;
            assert_string_equal(str_at(p, "in"), "path");
            assert_true(json_is_true(json_object_get(p, "required")));
            assert_int_equal(int_at(p, "schema/maxLength"), JWT_MAX_SUB);
        }
    }
    assert_true(saw_limit && saw_sort && saw_user);
    assert_non_null(must(list, "responses/200/headers/X-Total-Count"));
    assert_string_equal(str_at(list, "responses/200/content/application~1json/schema/type"),
                        "array");

    json_t *get = operation_of(doc, route_by_id("getTask"));
    json_t *id = NULL;
    json_array_foreach(json_object_get(get, "parameters"), i, p)
    {
        if (strcmp(str_at(p, "name"), "id") == 0)
            id = p;
    }
    assert_non_null(id);
    assert_string_equal(str_at(id, "schema/type"), "integer");
    assert_string_equal(str_at(id, "schema/format"), "int64");
    assert_int_equal(int_at(id, "schema/minimum"), 1);

    json_t *create = operation_of(doc, route_by_id("createTask"));
    assert_non_null(must(create, "responses/201/headers/Location"));
    assert_true(json_is_true(must(create, "requestBody/required")));
    json_t *del = operation_of(doc, route_by_id("deleteTask"));
    assert_null(at(del, "responses/204/content"));
    json_t *complete = operation_of(doc, route_by_id("completeTask"));
    assert_true(json_is_false(must(complete, "requestBody/required")));
    json_t *metrics = operation_of(doc, route_by_id("metrics"));
    assert_non_null(must(metrics, "responses/200/content/text~1plain; version=0.0.4"));
    json_decref(doc);
}

/* ---- one limit, three effects --------------------------------------------------- */

/* A title of n code points ('x' and a two-byte 'é' in turn). */
static json_t *body_with_title(size_t n)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_puts(&b, i % 2 ? "\xc3\xa9" : "x");
    json_t *obj = json_pack("{ss}", "title", b.data);
    buf_dispose(&b);
    return obj;
}

/* Decodes a title of n code points against s: the problems' count, and the
 * first detail into detail. */
static size_t decode_title(const schema_t *s, size_t n, char *detail, size_t detail_len)
{
    arena_t *arena = arena_new();
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    store_task_t task;
    memset(&task, 0, sizeof(task));
    json_t *obj = body_with_title(n);
    size_t bad = schema_decode_json(s, obj, &task, NULL, arena, &err);
    snprintf(detail, detail_len, "%s", bad ? err.issues[0].detail : "");
    if (bad)
        assert_string_equal(field_issue_code(err.issues[0].issue), "too_long");
    json_decref(obj);
    arena_free(arena);
    return bad;
}

/* The maxLength of title in the TaskInput schema of a document. */
static long long doc_title_max(const route_t *routes, size_t n, const schema_t *path_schema)
{
    const openapi_path_param_t params[] = {
        {schema_field_find(path_schema, "id", NULL), NULL},
    };
    const openapi_info_t info = {
        .title = "t", .version = "1", .path_params = params, .n_path_params = 1};
    buf_t b = BUF_INIT;
    openapi_write(&b, routes, n, &info);
    json_t *doc = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(doc);
    long long max = int_at(doc, "components/schemas/TaskInput/properties/title/maxLength");
    json_decref(doc);
    buf_dispose(&b);
    return max;
}

static void noop_handler(api_req_t *r)
{
    (void)r;
}

/* Reads the limit from the real table: the document and the error message
 * carry that same number, and the validator draws the line there. */
static void test_real_limit_shows_everywhere(void **state)
{
    (void)state;
    const schema_field_t *title = schema_field_find(&task_create_schema, "title", NULL);
    int max = title->max_length;
    assert_true(max > 0);
    char detail[256], number[32];
    snprintf(number, sizeof(number), "%d", max);

    assert_int_equal(decode_title(&task_create_schema, (size_t)max, detail, sizeof(detail)), 0);
    assert_int_equal(decode_title(&task_create_schema, (size_t)max + 1, detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, number));

    json_t *doc = load_doc();
    assert_int_equal(int_at(doc, "components/schemas/TaskInput/properties/title/maxLength"), max);
    json_decref(doc);
}

/* A copy of the Task table whose title limit is different: validation, the
 * error text and the document all move to the new number. */
static void test_changed_limit_changes_everything(void **state)
{
    (void)state;
    schema_field_t fields[SCHEMA_MAX_FIELDS];
    size_t n = schema_field_count(&task_create_schema);
    assert_true(n <= SCHEMA_MAX_FIELDS);
    for (size_t i = 0; i < n; i++)
        fields[i] = *schema_field_at(&task_create_schema, i);
    size_t title_index;
    assert_non_null(schema_field_find(&task_create_schema, "title", &title_index));
    int old_max = fields[title_index].max_length;
    int new_max = old_max + 37;
    fields[title_index].max_length = new_max;
    schema_t changed = task_create_schema;
    changed.fields = fields;
    assert_int_equal(schema_check(&changed, NULL), 0);

    char detail[256], new_number[32], old_number[32];
    snprintf(new_number, sizeof(new_number), "%d", new_max);
    snprintf(old_number, sizeof(old_number), "-%d ", old_max);
    /* The validator: the old limit plus one is fine now, the new one plus one is not. */
    assert_int_equal(decode_title(&changed, (size_t)old_max + 1, detail, sizeof(detail)), 0);
    assert_int_equal(decode_title(&changed, (size_t)new_max, detail, sizeof(detail)), 0);
    assert_int_equal(decode_title(&changed, (size_t)new_max + 1, detail, sizeof(detail)), 1);
    /* The error text names the new limit, not the old one. */
    assert_non_null(strstr(detail, new_number));
    assert_null(strstr(detail, old_number));
    /* The document. */
    const route_t routes[] = {
        {.method = "POST",
         .pattern = "/tasks/{id}",
         .handler = noop_handler,
         .status = 201,
         .request = &changed,
         .summary = "Create",
         .operation_id = "create"},
    };
    assert_int_equal(doc_title_max(routes, 1, &task_path_schema), new_max);
    const route_t real[] = {
        {.method = "POST",
         .pattern = "/tasks/{id}",
         .handler = noop_handler,
         .status = 201,
         .request = &task_create_schema,
         .summary = "Create",
         .operation_id = "create"},
    };
    assert_int_equal(doc_title_max(real, 1, &task_path_schema), old_max);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_every_route_is_an_operation),
        cmocka_unit_test(test_error_bodies_come_from_the_error_table),
        cmocka_unit_test(test_task_schemas),
        cmocka_unit_test(test_parameters_and_headers),
        cmocka_unit_test(test_real_limit_shows_everywhere),
        cmocka_unit_test(test_changed_limit_changes_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
