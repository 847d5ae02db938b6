/* Unit tests for the JSON decoding engine (src/schema/schema_decode.c) on
 * the test model of schema_fixture.h. The task tables have their own tests
 * in tests/unit/tasks/. */
#include "schema_fixture.h"

/* ---- decoding: the happy path --------------------------------------------- */

static void test_decode_all_types(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_create,
       "{\"name\":\" abc \",\"note\":\"a\\nb\",\"level\":\"high\",\"count\":7,\"big\":100,"
       "\"flag\":true,\"labels\":\"x,y\",\"day\":\"2024-02-29\",\"at\":\"09:30\"}");
    assert_string_equal(f->t.name, "abc");
    assert_string_equal(f->t.note, "a\nb");
    assert_int_equal(f->t.level, 2);
    assert_int_equal(f->t.count, 7);
    assert_int_equal(f->t.big, 100);
    assert_true(f->t.flag);
    assert_string_equal(f->t.labels, "x,y");
    assert_string_equal(f->t.day, "2024-02-29");
    assert_string_equal(f->t.at, "09:30:00");
    assert_true(seen(f, F_NAME) && seen(f, F_AT) && seen(f, F_FLAG));
    assert_false(seen(f, F_ID) || seen(f, F_STAMP));
    assert_int_equal(f->seen.null, 0);
}

static void test_nulls_and_presence(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_patch, "{\"note\":null,\"level\":null,\"count\":null,\"labels\":null}");
    assert_null(f->t.note);
    assert_int_equal(f->t.level, 0);
    assert_int_equal(f->t.count, 0);
    assert_true(seen(f, F_NOTE) && seen_null(f, F_NOTE));
    assert_true(seen(f, F_COUNT) && seen_null(f, F_COUNT));
    assert_false(seen(f, F_NAME) || seen(f, F_FLAG) || seen(f, F_DAY));

    ok(f, &thing_patch, "{}");
    assert_int_equal(f->seen.present, 0);
}

/* ---- decoding: each problem -------------------------------------------------- */

static void test_missing_only_in_create(void **state)
{
    fx_t *f = *state;
    const char *d = one_issue(f, &thing_create, "{}", "name", FIELD_ISSUE_MISSING);
    assert_string_equal(d, "name is required");
    ok(f, &thing_patch, "{}");

    /* No body at all is an empty object. */
    memset(&f->t, 0, sizeof(f->t));
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    assert_int_equal(schema_decode_json(&thing_create, NULL, &f->t, NULL, f->arena, &f->err), 1);
    assert_issue(f, 0, "name", FIELD_ISSUE_MISSING);
}

static void test_wrong_types(void **state)
{
    fx_t *f = *state;
    static const struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{\"name\":null}", "name"}, /* not nullable */
        {"{\"name\":5}", "name"},
        {"{\"name\":[\"ab\"]}", "name"},
        {"{\"note\":true}", "note"},
        {"{\"level\":3}", "level"},     /* enum needs a string */
        {"{\"count\":\"2\"}", "count"}, /* integer needs a number */
        {"{\"count\":1.5}", "count"},
        {"{\"count\":2.0}", "count"},
        {"{\"count\":true}", "count"},
        {"{\"big\":null}", "big"},
        {"{\"flag\":1}", "flag"},
        {"{\"flag\":\"true\"}", "flag"},
        {"{\"flag\":null}", "flag"},
        {"{\"labels\":7}", "labels"},
        {"{\"labels\":{}}", "labels"},
        {"{\"labels\":[\"a\",1]}", "labels"},
        {"{\"labels\":[null]}", "labels"},
        {"{\"day\":20240229}", "day"},
        {"{\"at\":930}", "at"},
    };
    for (size_t i = 0; i < N(cases); i++)
        one_issue(f, &thing_patch, cases[i].body, cases[i].field, FIELD_ISSUE_WRONG_TYPE);

    const char *d =
        one_issue(f, &thing_patch, "{\"count\":\"2\"}", "count", FIELD_ISSUE_WRONG_TYPE);
    assert_string_equal(d, "count must be an integer or null");
    d = one_issue(f, &thing_patch, "{\"name\":null}", "name", FIELD_ISSUE_WRONG_TYPE);
    assert_string_equal(d, "name must be a string");
    d = one_issue(f, &thing_patch, "{\"level\":3}", "level", FIELD_ISSUE_WRONG_TYPE);
    assert_string_equal(d, "level must be one of low, high or null");
}

static void test_lengths_count_code_points(void **state)
{
    fx_t *f = *state;
    /* 5 code points, 10 bytes: fits max_length 5. */
    ok(f, &thing_patch, "{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
    assert_int_equal(strlen(f->t.name), 10);
    /* 6 code points. */
    const char *d = one_issue(f, &thing_patch,
                              "{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                              "\xc3\xa9\"}",
                              "name", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "name must be 2-5 characters");
    /* 1 code point of 4 bytes is still too short. */
    d = one_issue(f, &thing_patch, "{\"name\":\"\xf0\x9f\x98\x80\"}", "name",
                  FIELD_ISSUE_TOO_SHORT);
    assert_string_equal(d, "name must be 2-5 characters");
    ok(f, &thing_patch, "{\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}");
    /* Max only. */
    d = one_issue(f, &thing_patch, "{\"note\":\"12345\"}", "note", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "note must be at most 4 characters");
    ok(f, &thing_patch, "{\"note\":\"\"}");
    assert_string_equal(f->t.note, "");
}

static void test_trimming_comes_first(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_patch, "{\"name\":\" \\t\\r\\n ab \\n\"}");
    assert_string_equal(f->t.name, "ab");
    /* Length is measured after trimming. */
    ok(f, &thing_patch, "{\"name\":\"     abcde     \"}");
    one_issue(f, &thing_patch, "{\"name\":\"   a   \"}", "name", FIELD_ISSUE_TOO_SHORT);
    one_issue(f, &thing_patch, "{\"name\":\" \\t \"}", "name", FIELD_ISSUE_TOO_SHORT);
    /* Notes are not trimmed. */
    ok(f, &thing_patch, "{\"note\":\" a \"}");
    assert_string_equal(f->t.note, " a ");
}

static void test_control_characters(void **state)
{
    fx_t *f = *state;
    const char *bad[] = {"{\"name\":\"a\\tb\"}",     "{\"name\":\"a\\nb\"}",
                         "{\"name\":\"a\\u0000b\"}", "{\"name\":\"a\\u001fb\"}",
                         "{\"name\":\"a\\u007fb\"}", "{\"name\":\"a\\u0080b\"}",
                         "{\"name\":\"a\\u0085b\"}", "{\"name\":\"a\\u009fb\"}"};
    for (size_t i = 0; i < N(bad); i++) {
        const char *d = one_issue(f, &thing_patch, bad[i], "name", FIELD_ISSUE_CONTROL_CHARACTER);
        assert_string_equal(d, "name must not contain control characters");
    }
    ok(f, &thing_patch, "{\"name\":\"a\\u00a0b\"}"); /* U+00A0 is fine */
    /* Multiline text keeps newlines and tabs but not NUL. */
    ok(f, &thing_patch, "{\"note\":\"a\\n\\tb\"}");
    ok(f, &thing_patch, "{\"note\":\"\\u007f\\u0085\"}");
    const char *d = one_issue(f, &thing_patch, "{\"note\":\"a\\u0000\"}", "note",
                              FIELD_ISSUE_CONTROL_CHARACTER);
    assert_string_equal(d, "note must not contain NUL characters");
}

static void test_enum_choices(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_patch, "{\"level\":\"low\"}");
    assert_int_equal(f->t.level, 1);
    const char *d =
        one_issue(f, &thing_patch, "{\"level\":\"LOW\"}", "level", FIELD_ISSUE_INVALID_CHOICE);
    assert_string_equal(d, "level must be one of low, high");
    one_issue(f, &thing_patch, "{\"level\":\"\"}", "level", FIELD_ISSUE_INVALID_CHOICE);
    one_issue(f, &thing_patch, "{\"level\":\"lo\"}", "level", FIELD_ISSUE_INVALID_CHOICE);
    one_issue(f, &thing_patch, "{\"level\":\"low \"}", "level", FIELD_ISSUE_INVALID_CHOICE);
}

static void test_integer_ranges(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_patch, "{\"count\":1}");
    ok(f, &thing_patch, "{\"count\":10}");
    const char *d = one_issue(f, &thing_patch, "{\"count\":0}", "count", FIELD_ISSUE_OUT_OF_RANGE);
    assert_string_equal(d, "count must be an integer 1-10");
    one_issue(f, &thing_patch, "{\"count\":11}", "count", FIELD_ISSUE_OUT_OF_RANGE);
    one_issue(f, &thing_patch, "{\"count\":-3}", "count", FIELD_ISSUE_OUT_OF_RANGE);
    one_issue(f, &thing_patch, "{\"count\":9223372036854775807}", "count",
              FIELD_ISSUE_OUT_OF_RANGE);
    ok(f, &thing_patch, "{\"big\":0}");
    assert_int_equal(f->t.big, 0);
    assert_true(seen(f, F_BIG));
    assert_false(seen_null(f, F_BIG));
}

static void test_dates_and_times(void **state)
{
    fx_t *f = *state;
    const char *d =
        one_issue(f, &thing_patch, "{\"day\":\"2025-02-29\"}", "day", FIELD_ISSUE_INVALID_FORMAT);
    assert_string_equal(d, "day must be a real date in the form YYYY-MM-DD");
    one_issue(f, &thing_patch, "{\"day\":\"2025-2-01\"}", "day", FIELD_ISSUE_INVALID_FORMAT);
    one_issue(f, &thing_patch, "{\"day\":\"\"}", "day", FIELD_ISSUE_INVALID_FORMAT);
    d = one_issue(f, &thing_patch, "{\"at\":\"24:00\"}", "at", FIELD_ISSUE_INVALID_FORMAT);
    assert_string_equal(d, "at must be a time HH:MM or HH:MM:SS");
    ok(f, &thing_patch, "{\"at\":\"23:59:59\"}");
    assert_string_equal(f->t.at, "23:59:59");
}

static void test_tags_normalised(void **state)
{
    fx_t *f = *state;
    ok(f, &thing_patch, "{\"labels\":\" b , a ,B,, A ,c\"}");
    assert_string_equal(f->t.labels, "b,a,c"); /* trimmed, empties and repeats dropped */
    ok(f, &thing_patch, "{\"labels\":[\" Work\",\"work \",\"x\"]}");
    assert_string_equal(f->t.labels, "Work,x"); /* the first spelling wins */
    /* Nothing left is null. */
    ok(f, &thing_patch, "{\"labels\":\" , ,\"}");
    assert_null(f->t.labels);
    assert_true(seen_null(f, F_LABELS));
    ok(f, &thing_patch, "{\"labels\":[]}");
    assert_null(f->t.labels);
    ok(f, &thing_patch, "{\"labels\":\"\"}");
    assert_null(f->t.labels);
    /* Case folding is ASCII only. */
    ok(f, &thing_patch, "{\"labels\":\"\xc3\xa9,\xc3\x89\"}");
    assert_string_equal(f->t.labels, "\xc3\xa9,\xc3\x89");
}

static void test_tags_limits(void **state)
{
    fx_t *f = *state;
    /* The limit counts tags after normalisation. */
    ok(f, &thing_patch, "{\"labels\":\"a,b,A,c,B,,c\"}");
    assert_string_equal(f->t.labels, "a,b,c");
    const char *d =
        one_issue(f, &thing_patch, "{\"labels\":\"a,b,c,d\"}", "labels", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "labels must hold at most 3 tags");
    one_issue(f, &thing_patch, "{\"labels\":[\"a\",\"b\",\"c\",\"d\"]}", "labels",
              FIELD_ISSUE_TOO_LONG);
    /* Each tag: 4 code points, counted after trimming. */
    ok(f, &thing_patch, "{\"labels\":\" abcd ,\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
    d = one_issue(f, &thing_patch, "{\"labels\":\"abcde\"}", "labels", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "each tag in labels must be at most 4 characters");
    /* Commas inside an array element. */
    d = one_issue(f, &thing_patch, "{\"labels\":[\"a\",\"b,c\"]}", "labels",
                  FIELD_ISSUE_INVALID_FORMAT);
    assert_string_equal(d, "a tag in the labels array must not contain a comma");
    one_issue(f, &thing_patch, "{\"labels\":\"a\\tb\"}", "labels", FIELD_ISSUE_CONTROL_CHARACTER);
    /* Many repeats of one tag are one tag. */
    ok(f, &thing_patch, "{\"labels\":\"x,x,x,x,x,x,x,x,x,X,x\"}");
    assert_string_equal(f->t.labels, "x");
}

static void test_unknown_and_read_only_keys(void **state)
{
    fx_t *f = *state;
    /* Read-only keys are ignored whatever they hold. */
    ok(f, &thing_create, "{\"name\":\"ab\",\"id\":\"zzz\",\"stamp\":12}");
    assert_int_equal(f->t.id, 0);
    assert_null(f->t.stamp);
    assert_false(seen(f, F_ID));
    /* Other keys are unknown. */
    const char *d = one_issue(f, &thing_patch, "{\"nope\":1}", "nope", FIELD_ISSUE_UNKNOWN_FIELD);
    assert_string_equal(d, "unknown field nope");
    one_issue(f, &thing_patch, "{\"Name\":\"ab\"}", "Name", FIELD_ISSUE_UNKNOWN_FIELD);
    one_issue(f, &thing_patch, "{\"name \":\"ab\"}", "name ", FIELD_ISSUE_UNKNOWN_FIELD);
}

static void test_every_problem_at_once_in_table_order(void **state)
{
    fx_t *f = *state;
    size_t n = decode(f, &thing_create,
                      "{\"zz\":1,\"labels\":5,\"count\":\"2\",\"level\":3,\"flag\":null,"
                      "\"aa\":true,\"day\":\"x\",\"id\":\"ignored\"}");
    assert_int_equal(n, 8);
    assert_int_equal(f->err.n_issues, 8);
    assert_issue(f, 0, "name", FIELD_ISSUE_MISSING);
    assert_issue(f, 1, "level", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 2, "count", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 3, "flag", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 4, "labels", FIELD_ISSUE_WRONG_TYPE);
    assert_issue(f, 5, "day", FIELD_ISSUE_INVALID_FORMAT);
    assert_issue(f, 6, "zz", FIELD_ISSUE_UNKNOWN_FIELD); /* then unknown keys, body order */
    assert_issue(f, 7, "aa", FIELD_ISSUE_UNKNOWN_FIELD);
}

static void test_error_body_names_first_problem(void **state)
{
    fx_t *f = *state;
    decode(f, &thing_create, "{\"name\":\"abcdefg\",\"count\":99}");
    buf_t b = BUF_INIT;
    api_error_to_json(&f->err, &b);
    assert_string_equal(b.data,
                        "{\"detail\":\"name must be 2-5 characters\",\"code\":\"VALIDATION_ERROR\","
                        "\"field\":\"name\",\"errors\":[{\"field\":\"name\",\"code\":\"too_long\","
                        "\"detail\":\"name must be 2-5 characters\"},{\"field\":\"count\",\"code\":"
                        "\"out_of_range\",\"detail\":\"count must be an integer 1-10\"}]}");
    buf_dispose(&b);
}

static void test_body_must_be_object(void **state)
{
    fx_t *f = *state;
    one_issue(f, &thing_patch, "[1,2]", "body", FIELD_ISSUE_WRONG_TYPE);
    one_issue(f, &thing_create, "\"x\"", "body", FIELD_ISSUE_WRONG_TYPE);
}

static void test_messages_follow_the_table(void **state)
{
    fx_t *f = *state;
    schema_field_t fields[N(thing_fields)];
    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_NAME].min_length = 3;
    fields[F_NAME].max_length = 9;
    fields[F_COUNT].maximum = 12;
    fields[F_LABELS].max_items = 1;
    schema_t s = {"Changed", NULL, fields, N(fields), SCHEMA_MODE_PATCH};

    ok(f, &s, "{\"name\":\"abcdefghi\",\"count\":12}");
    const char *d = one_issue(f, &s, "{\"name\":\"ab\"}", "name", FIELD_ISSUE_TOO_SHORT);
    assert_string_equal(d, "name must be 3-9 characters");
    d = one_issue(f, &s, "{\"count\":13}", "count", FIELD_ISSUE_OUT_OF_RANGE);
    assert_string_equal(d, "count must be an integer 1-12");
    d = one_issue(f, &s, "{\"labels\":\"a,b\"}", "labels", FIELD_ISSUE_TOO_LONG);
    assert_string_equal(d, "labels must hold at most 1 tags");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_decode_all_types),
        T(test_nulls_and_presence),
        T(test_missing_only_in_create),
        T(test_wrong_types),
        T(test_lengths_count_code_points),
        T(test_trimming_comes_first),
        T(test_control_characters),
        T(test_enum_choices),
        T(test_integer_ranges),
        T(test_dates_and_times),
        T(test_tags_normalised),
        T(test_tags_limits),
        T(test_unknown_and_read_only_keys),
        T(test_every_problem_at_once_in_table_order),
        T(test_error_body_names_first_problem),
        T(test_body_must_be_object),
        T(test_messages_follow_the_table),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
