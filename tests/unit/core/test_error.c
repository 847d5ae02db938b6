/* Unit tests for src/core/error.c: the error table against API.md section 2,
 * and the exact bytes of the error body. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

static void test_table_matches_the_spec(void **state)
{
    (void)state;
    static const struct {
        api_err_t err;
        int status;
        const char *code;
    } want[] = {
        {API_ERR_VALIDATION_ERROR, 400, "VALIDATION_ERROR"},
        {API_ERR_INVALID_JSON, 400, "INVALID_JSON"},
        {API_ERR_UNAUTHORIZED, 401, "UNAUTHORIZED"},
        {API_ERR_FORBIDDEN, 403, "FORBIDDEN"},
        {API_ERR_NOT_FOUND, 404, "NOT_FOUND"},
        {API_ERR_METHOD_NOT_ALLOWED, 405, "METHOD_NOT_ALLOWED"},
        {API_ERR_CONFLICT, 409, "CONFLICT"},
        {API_ERR_PAYLOAD_TOO_LARGE, 413, "PAYLOAD_TOO_LARGE"},
        {API_ERR_UNSUPPORTED_MEDIA_TYPE, 415, "UNSUPPORTED_MEDIA_TYPE"},
        {API_ERR_RULE_VIOLATION, 422, "RULE_VIOLATION"},
        {API_ERR_RATE_LIMITED, 429, "RATE_LIMITED"},
        {API_ERR_HEADERS_TOO_LARGE, 431, "HEADERS_TOO_LARGE"},
        {API_ERR_INTERNAL_ERROR, 500, "INTERNAL_ERROR"},
        {API_ERR_SERVICE_UNAVAILABLE, 503, "SERVICE_UNAVAILABLE"},
        {API_ERR_PRECONDITION_FAILED, 412, "PRECONDITION_FAILED"},
        {API_ERR_IDEMPOTENCY_KEY_IN_USE, 409, "IDEMPOTENCY_KEY_IN_USE"},
        {API_ERR_IDEMPOTENCY_KEY_REUSED, 422, "IDEMPOTENCY_KEY_REUSED"},
    };
    assert_int_equal(sizeof(want) / sizeof(want[0]), API_ERR__COUNT);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(api_err_status(want[i].err), want[i].status);
        assert_string_equal(api_err_code(want[i].err), want[i].code);
        const char *detail = api_err_default_detail(want[i].err);
        assert_non_null(detail);
        assert_true(strlen(detail) > 0);
    }
    assert_string_equal(api_err_default_detail(API_ERR_NOT_FOUND), "Not found");
}

static void test_out_of_range_is_internal_error(void **state)
{
    (void)state;
    assert_int_equal(api_err_status(API_ERR__COUNT), 500);
    assert_string_equal(api_err_code(API_ERR__COUNT), "INTERNAL_ERROR");
    assert_string_equal(api_err_default_detail((api_err_t)1000), "Internal server error");
    assert_string_equal(field_issue_code(FIELD_ISSUE__COUNT), "invalid_format");
}

static void test_issue_codes_match_the_spec(void **state)
{
    (void)state;
    static const char *const want[] = {
        "missing",           "unknown_field",  "wrong_type",     "too_short",
        "too_long",          "out_of_range",   "invalid_format", "invalid_choice",
        "control_character", "requires_field", "does_not_fit",
    };
    assert_int_equal(sizeof(want) / sizeof(want[0]), FIELD_ISSUE__COUNT);
    for (size_t i = 0; i < FIELD_ISSUE__COUNT; i++)
        assert_string_equal(field_issue_code((field_issue_t)i), want[i]);
}

static void test_body_without_issues(void **state)
{
    (void)state;
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_NOT_FOUND);
    api_error_to_json(&e, &b);
    assert_string_equal(b.data, "{\"detail\":\"Not found\",\"code\":\"NOT_FOUND\"}");

    buf_clear(&b);
    e.detail = "Task \"7\" not found";
    api_error_to_json(&e, &b);
    assert_string_equal(b.data, "{\"detail\":\"Task \\\"7\\\" not found\",\"code\":\"NOT_FOUND\"}");
    buf_dispose(&b);
}

static void test_init_clears_previous_state(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    api_error_t e;
    api_error_init(&e, API_ERR_VALIDATION_ERROR);
    api_error_add(&e, a, "title", FIELD_ISSUE_MISSING, "title is required");
    e.detail = "x";
    api_error_init(&e, API_ERR_CONFLICT);
    assert_int_equal(e.err, API_ERR_CONFLICT);
    assert_int_equal(e.n_issues, 0);
    assert_null(e.detail);
    assert_null(e.field);
    arena_free(a);
}

static void test_body_with_one_issue(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_VALIDATION_ERROR);
    api_error_add(&e, a, "title", FIELD_ISSUE_TOO_LONG, "title must be %d-%d characters", 1, 200);
    api_error_to_json(&e, &b);
    /* API.md section 2, byte for byte (without the spaces). */
    assert_string_equal(b.data, "{\"detail\":\"title must be 1-200 characters\","
                                "\"code\":\"VALIDATION_ERROR\",\"field\":\"title\","
                                "\"errors\":[{\"field\":\"title\",\"code\":\"too_long\","
                                "\"detail\":\"title must be 1-200 characters\"}]}");
    buf_dispose(&b);
    arena_free(a);
}

static void test_body_with_many_issues(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_VALIDATION_ERROR);
    /* More than the first allocation of 4 issues, so the array grows. */
    for (int i = 0; i < 9; i++) {
        char field[16];
        snprintf(field, sizeof(field), "f%d", i); /* copied by api_error_add */
        api_error_add(&e, a, field, (field_issue_t)(i % FIELD_ISSUE__COUNT), "problem %d", i);
    }
    assert_int_equal(e.n_issues, 9);
    api_error_to_json(&e, &b);

    json_error_t jerr;
    json_t *root = json_loads(b.data, 0, &jerr);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "detail")), "problem 0");
    assert_string_equal(json_string_value(json_object_get(root, "code")), "VALIDATION_ERROR");
    assert_string_equal(json_string_value(json_object_get(root, "field")), "f0");
    json_t *errors = json_object_get(root, "errors");
    assert_int_equal(json_array_size(errors), 9);
    for (size_t i = 0; i < 9; i++) {
        json_t *it = json_array_get(errors, i);
        char want[16];
        snprintf(want, sizeof(want), "f%zu", i);
        assert_string_equal(json_string_value(json_object_get(it, "field")), want);
        assert_string_equal(json_string_value(json_object_get(it, "code")),
                            field_issue_code((field_issue_t)(i % FIELD_ISSUE__COUNT)));
        snprintf(want, sizeof(want), "problem %zu", i);
        assert_string_equal(json_string_value(json_object_get(it, "detail")), want);
    }
    json_decref(root);
    buf_dispose(&b);
    arena_free(a);
}

static void test_explicit_detail_and_field_win(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_RULE_VIOLATION);
    api_error_add(&e, a, "recurrence_day", FIELD_ISSUE_DOES_NOT_FIT, "weekly needs 1-7");
    e.detail = "recurrence_day must fit the pattern";
    e.field = "recurrence_day";
    api_error_to_json(&e, &b);
    assert_string_equal(b.data, "{\"detail\":\"recurrence_day must fit the pattern\","
                                "\"code\":\"RULE_VIOLATION\",\"field\":\"recurrence_day\","
                                "\"errors\":[{\"field\":\"recurrence_day\","
                                "\"code\":\"does_not_fit\",\"detail\":\"weekly needs 1-7\"}]}");
    buf_dispose(&b);
    arena_free(a);
}

static void test_field_without_issues(void **state)
{
    (void)state;
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_RULE_VIOLATION);
    e.field = "due_time";
    e.detail = "due_time needs due_date";
    api_error_to_json(&e, &b);
    assert_string_equal(b.data, "{\"detail\":\"due_time needs due_date\","
                                "\"code\":\"RULE_VIOLATION\",\"field\":\"due_time\"}");
    buf_dispose(&b);
}

static void test_issue_text_is_escaped(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    api_error_t e;
    buf_t b = BUF_INIT;
    api_error_init(&e, API_ERR_VALIDATION_ERROR);
    const char *evil = "a\"b\\c\n\x01";
    api_error_add(&e, a, "query.search", FIELD_ISSUE_INVALID_FORMAT, "bad value %s", evil);
    api_error_to_json(&e, &b);
    json_error_t jerr;
    json_t *root = json_loads(b.data, 0, &jerr);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "detail")),
                        "bad value a\"b\\c\n\x01");
    assert_string_equal(json_string_value(json_object_get(root, "field")), "query.search");
    json_decref(root);
    buf_dispose(&b);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_the_spec),
        cmocka_unit_test(test_out_of_range_is_internal_error),
        cmocka_unit_test(test_issue_codes_match_the_spec),
        cmocka_unit_test(test_body_without_issues),
        cmocka_unit_test(test_init_clears_previous_state),
        cmocka_unit_test(test_body_with_one_issue),
        cmocka_unit_test(test_body_with_many_issues),
        cmocka_unit_test(test_explicit_detail_and_field_win),
        cmocka_unit_test(test_field_without_issues),
        cmocka_unit_test(test_issue_text_is_escaped),
    };
    return cmocka_run_group_tests_name("core_error", tests, NULL, NULL);
}
