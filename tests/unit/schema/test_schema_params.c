/* Unit tests for the schema engines beyond JSON decoding: text parameters
 * (schema_decode_params), encoding (schema_encode.c), the iteration API,
 * table checks and whole-field helpers (schema.c). */
#include <stdio.h>

#include "schema_fixture.h"

/* ---- text parameters ------------------------------------------------------ */

typedef struct params {
    int on;           /* BOOLEAN in an int, -1 when absent */
    int sort;         /* ENUM base 0 */
    bool desc;        /* ENUM as bool */
    int64_t limit;    /* 1-50, default 20 */
    int64_t skip;     /* 0-1000, clamped, default 0 */
    const char *word; /* trimmed, empty is null */
    const char *day;  /* DATE */
} params_t;

static const char *const sorts[] = {"made", "name", NULL};
static const char *const orders[] = {"asc", "desc", NULL};

#define PAT(m) .offset = offsetof(params_t, m)

static const schema_field_t param_fields[] = {
    {.name = "on", .type = SCHEMA_BOOLEAN, .ctype = SCHEMA_C_INT, PAT(on)},
    {.name = "sort",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     PAT(sort),
     .choices = sorts,
     .enum_base = 0,
     .default_value = "made"},
    {.name = "order",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_BOOL,
     PAT(desc),
     .choices = orders,
     .default_value = "desc"},
    {.name = "limit",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     PAT(limit),
     .minimum = 1,
     .maximum = 50,
     .default_value = "20"},
    {.name = "skip",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     PAT(skip),
     .flags = SCHEMA_CLAMP,
     .minimum = 0,
     .maximum = 1000,
     .default_value = "0"},
    {.name = "word",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     PAT(word),
     .flags = SCHEMA_TRIM | SCHEMA_EMPTY_NULL | SCHEMA_MULTILINE},
    {.name = "day", .type = SCHEMA_DATE, .ctype = SCHEMA_C_STR, PAT(day)},
};

static const schema_t param_schema = {"Params", NULL, param_fields, N(param_fields),
                                      SCHEMA_MODE_PARAMS};

/* name=value pairs, NULL-terminated. */
static const char *pairs_get(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    for (size_t i = 0; kv[i] != NULL; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

static size_t decode_params(fx_t *f, params_t *p, const char *const *kv)
{
    memset(p, 0, sizeof(*p));
    p->on = -1;
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    return schema_decode_params(&param_schema, pairs_get, (void *)kv, p, &f->seen, f->arena,
                                "query.", &f->err);
}

static void test_params_defaults(void **state)
{
    fx_t *f = *state;
    params_t p;
    const char *none[] = {"unknown", "whatever", NULL};
    assert_int_equal(decode_params(f, &p, none), 0);
    assert_int_equal(p.on, -1); /* no default: left as the caller set it */
    assert_int_equal(p.sort, 0);
    assert_true(p.desc);
    assert_int_equal(p.limit, 20);
    assert_int_equal(p.skip, 0);
    assert_null(p.word);
    assert_null(p.day);
    assert_int_equal(f->seen.present, 0);

    const char *given[] = {"on",   "false", "sort", "name", "order", "asc",        "limit", "50",
                           "skip", "7",     "word", " hi ", "day",   "2024-02-29", NULL};
    assert_int_equal(decode_params(f, &p, given), 0);
    assert_int_equal(p.on, 0);
    assert_int_equal(p.sort, 1);
    assert_false(p.desc);
    assert_int_equal(p.limit, 50);
    assert_int_equal(p.skip, 7);
    assert_string_equal(p.word, "hi");
    assert_string_equal(p.day, "2024-02-29");
    const char *on[] = {"on", "true", "word", "  ", NULL};
    assert_int_equal(decode_params(f, &p, on), 0);
    assert_int_equal(p.on, 1);
    assert_null(p.word); /* empty after trimming: no filter */
}

static void test_params_bad_values(void **state)
{
    fx_t *f = *state;
    params_t p;
    static const struct {
        const char *name, *value;
        field_issue_t code;
    } cases[] = {
        {"on", "TRUE", FIELD_ISSUE_INVALID_FORMAT},
        {"on", "1", FIELD_ISSUE_INVALID_FORMAT},
        {"on", "", FIELD_ISSUE_INVALID_FORMAT},
        {"on", "yes", FIELD_ISSUE_INVALID_FORMAT},
        {"sort", "Name", FIELD_ISSUE_INVALID_CHOICE},
        {"sort", "", FIELD_ISSUE_INVALID_CHOICE},
        {"order", "up", FIELD_ISSUE_INVALID_CHOICE},
        {"limit", "0", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "51", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "-1", FIELD_ISSUE_OUT_OF_RANGE},
        {"limit", "abc", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "1.5", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "+5", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", " 5", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "5 ", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "-", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "1e3", FIELD_ISSUE_INVALID_FORMAT},
        {"limit", "99999999999999999999", FIELD_ISSUE_OUT_OF_RANGE},
        {"skip", "-1", FIELD_ISSUE_OUT_OF_RANGE},
        {"skip", "-99999999999999999999", FIELD_ISSUE_OUT_OF_RANGE},
        {"skip", "x", FIELD_ISSUE_INVALID_FORMAT},
        {"day", "2025-13-01", FIELD_ISSUE_INVALID_FORMAT},
        {"day", "today", FIELD_ISSUE_INVALID_FORMAT},
        {"word", "bad \xff byte", FIELD_ISSUE_INVALID_FORMAT}, /* parameters are not pre-checked */
        {"word", "\xc0\xaf", FIELD_ISSUE_INVALID_FORMAT},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const char *kv[] = {cases[i].name, cases[i].value, NULL};
        if (decode_params(f, &p, kv) != 1)
            fail_msg("%s=%s: %zu problems", cases[i].name, cases[i].value, f->err.n_issues);
        char field[32];
        snprintf(field, sizeof(field), "query.%s", cases[i].name);
        assert_issue(f, 0, field, cases[i].code);
    }
    const char *kv[] = {"limit", "0", NULL};
    decode_params(f, &p, kv);
    assert_string_equal(f->err.issues[0].detail, "limit must be an integer 1-50");
}

static void test_params_clamp_and_all_problems(void **state)
{
    fx_t *f = *state;
    params_t p;
    const char *big[] = {"skip", "1001", NULL};
    assert_int_equal(decode_params(f, &p, big), 0);
    assert_int_equal(p.skip, 1000);
    const char *huge[] = {"skip", "123456789012345678901234567890", NULL};
    assert_int_equal(decode_params(f, &p, huge), 0);
    assert_int_equal(p.skip, 1000);

    const char *bad[] = {"day", "x", "on", "maybe", "limit", "0", NULL};
    assert_int_equal(decode_params(f, &p, bad), 3);
    assert_issue(f, 0, "query.on", FIELD_ISSUE_INVALID_FORMAT); /* table order */
    assert_issue(f, 1, "query.limit", FIELD_ISSUE_OUT_OF_RANGE);
    assert_issue(f, 2, "query.day", FIELD_ISSUE_INVALID_FORMAT);
}

/* ---- encoding -------------------------------------------------------------- */

static void test_encode_key_order_and_nulls(void **state)
{
    (void)state;
    thing_t t = {0};
    t.id = 42;
    t.name = "ab";
    buf_t b = BUF_INIT;
    schema_encode(&thing_out, &t, &b);
    assert_string_equal(b.data, "{\"id\":42,\"name\":\"ab\",\"note\":null,\"level\":null,"
                                "\"count\":null,\"big\":0,\"flag\":false,\"labels\":null,"
                                "\"day\":null,\"at\":null,\"stamp\":null}");
    buf_dispose(&b);

    t.note = "x";
    t.level = 2;
    t.count = 3;
    t.big = INT64_C(-9000000000);
    t.flag = true;
    t.labels = "a,b";
    t.day = "2025-01-02";
    t.at = "09:00:00";
    t.stamp = "2025-01-02T03:04:05Z";
    schema_encode(&thing_out, &t, &b);
    assert_string_equal(b.data, "{\"id\":42,\"name\":\"ab\",\"note\":\"x\",\"level\":\"high\","
                                "\"count\":3,\"big\":-9000000000,\"flag\":true,\"labels\":\"a,b\","
                                "\"day\":\"2025-01-02\",\"at\":\"09:00:00\","
                                "\"stamp\":\"2025-01-02T03:04:05Z\"}");
    buf_dispose(&b);

    t.id = INT64_MIN;
    t.big = INT64_MAX;
    t.name = "del\x7f c1\xc2\x85"; /* valid JSON unescaped */
    schema_encode(&thing_out, &t, &b);
    assert_non_null(
        strstr(b.data, "{\"id\":-9223372036854775808,\"name\":\"del\x7f c1\xc2\x85\","));
    assert_non_null(strstr(b.data, "\"big\":9223372036854775807,"));
    buf_dispose(&b);

    t.level = 9; /* a value the table does not know is written as null */
    schema_encode(&thing_out, &t, &b);
    assert_non_null(strstr(b.data, "\"level\":null"));
    buf_dispose(&b);
}

static void test_encode_escapes_and_round_trips(void **state)
{
    fx_t *f = *state;
    thing_t t = {0};
    t.name = "q\"b\\s";
    t.note = "line\nTab\t\x01 \xc3\xa9 \xf0\x9f\x98\x80 </script>";
    buf_t b = BUF_INIT;
    schema_encode(&thing_out, &t, &b);
    assert_non_null(strstr(b.data, "\"name\":\"q\\\"b\\\\s\""));
    assert_non_null(strstr(b.data, "\"note\":\"line\\nTab\\t\\u0001 \xc3\xa9 \xf0\x9f\x98\x80 "
                                   "</script>\""));
    json_error_t jerr;
    json_t *j = json_loads(b.data, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "note")), t.note);
    assert_string_equal(json_string_value(json_object_get(j, "name")), t.name);
    json_decref(j);
    buf_dispose(&b);
    (void)f;
}

static void test_encode_params_enum_as_bool(void **state)
{
    (void)state;
    params_t p = {.on = 1, .sort = 1, .desc = true, .limit = 5, .skip = 0};
    buf_t b = BUF_INIT;
    schema_encode(&param_schema, &p, &b);
    assert_string_equal(b.data, "{\"on\":true,\"sort\":\"name\",\"order\":\"desc\",\"limit\":5,"
                                "\"skip\":0,\"word\":null,\"day\":null}");
    buf_dispose(&b);
}

/* ---- iteration, checks, helpers -------------------------------------------- */

static void test_iteration_api(void **state)
{
    (void)state;
    assert_int_equal(schema_field_count(&thing_out), N(thing_fields));
    assert_ptr_equal(schema_field_at(&thing_out, 1), &thing_fields[F_NAME]);
    assert_null(schema_field_at(&thing_out, N(thing_fields)));
    size_t i = 99;
    assert_ptr_equal(schema_field_find(&thing_out, "labels", &i), &thing_fields[F_LABELS]);
    assert_int_equal(i, F_LABELS);
    assert_null(schema_field_find(&thing_out, "nope", NULL));

    const schema_field_t *id = &thing_fields[F_ID], *name = &thing_fields[F_NAME];
    assert_true(schema_field_visible(&thing_out, id));
    assert_false(schema_field_visible(&thing_create, id));
    assert_false(schema_field_visible(&thing_patch, id));
    assert_true(schema_field_visible(&thing_patch, name));
    assert_true(schema_field_required(&thing_out, &thing_fields[F_NOTE])); /* always sent */
    assert_true(schema_field_required(&thing_create, name));
    assert_false(schema_field_required(&thing_create, &thing_fields[F_NOTE]));
    assert_false(schema_field_required(&thing_patch, name));
    assert_true(schema_field_nullable(&thing_fields[F_NOTE]));
    assert_false(schema_field_nullable(name));

    assert_string_equal(schema_field_json_type(name), "string");
    assert_string_equal(schema_field_json_type(&thing_fields[F_COUNT]), "integer");
    assert_string_equal(schema_field_json_type(&thing_fields[F_FLAG]), "boolean");
    assert_string_equal(schema_field_json_type(&thing_fields[F_LEVEL]), "string");
    assert_string_equal(schema_field_json_type(&thing_fields[F_LABELS]), "string");
    assert_string_equal(schema_field_format(&thing_fields[F_DAY]), "date");
    assert_string_equal(schema_field_format(&thing_fields[F_AT]), "time");
    assert_string_equal(schema_field_format(&thing_fields[F_STAMP]), "date-time");
    assert_string_equal(schema_field_format(id), "int64");
    assert_string_equal(schema_field_format(&thing_fields[F_COUNT]), "int32");
    assert_null(schema_field_format(name));
    assert_non_null(strstr(schema_field_pattern(&thing_fields[F_AT], true), ")?$"));
    assert_null(strstr(schema_field_pattern(&thing_fields[F_AT], false), ")?$"));
    assert_null(schema_field_pattern(name, true));
    assert_int_equal(schema_field_choice_count(&thing_fields[F_LEVEL]), 2);
    assert_int_equal(schema_field_choice_count(name), 0);
}

static void test_schema_check(void **state)
{
    (void)state;
    const char *why = "unset";
    assert_int_equal(schema_check(&thing_out, &why), 0);
    assert_null(why);
    assert_int_equal(schema_check(&param_schema, NULL), 0);

    schema_field_t fields[N(thing_fields)];
    schema_t s = {"Broken", NULL, fields, N(fields), SCHEMA_MODE_RESPONSE};
    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_COUNT].minimum = 0; /* 0 is how null is stored */
    assert_int_equal(schema_check(&s, &why), -1);
    assert_non_null(why);

    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_LEVEL].enum_base = 0;
    assert_int_equal(schema_check(&s, &why), -1);

    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_LEVEL].choices = NULL;
    assert_int_equal(schema_check(&s, &why), -1);

    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_NOTE].name = "name";
    assert_int_equal(schema_check(&s, &why), -1);

    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_NAME].ctype = SCHEMA_C_INT;
    assert_int_equal(schema_check(&s, &why), -1);

    memcpy(fields, thing_fields, sizeof(fields));
    fields[F_NAME].min_length = 6;
    assert_int_equal(schema_check(&s, &why), -1);

    schema_field_t pf[N(param_fields)];
    memcpy(pf, param_fields, sizeof(pf));
    schema_t ps = {"BrokenParams", NULL, pf, N(pf), SCHEMA_MODE_PARAMS};
    pf[3].default_value = "5000"; /* outside 1-50 */
    assert_int_equal(schema_check(&ps, &why), -1);
}

static void test_copy_equal_null(void **state)
{
    (void)state;
    char x1[] = "same", x2[] = "same";
    thing_t a = {.name = x1, .count = 3, .flag = true}, b = {.name = x2};
    const schema_field_t *name = &thing_fields[F_NAME], *count = &thing_fields[F_COUNT];
    assert_true(schema_field_equal(name, &a, &b)); /* by content */
    assert_false(schema_field_equal(count, &a, &b));
    assert_true(schema_field_is_null(count, &b));
    assert_false(schema_field_is_null(count, &a));
    assert_false(schema_field_is_null(&thing_fields[F_BIG], &b)); /* not nullable: 0 is 0 */
    assert_true(schema_field_is_null(&thing_fields[F_NOTE], &b));
    schema_field_copy(count, &b, &a);
    schema_field_copy(&thing_fields[F_FLAG], &b, &a);
    assert_int_equal(b.count, 3);
    assert_true(b.flag);
    assert_true(schema_field_equal(count, &a, &b));
    a.note = "n";
    assert_false(schema_field_equal(&thing_fields[F_NOTE], &a, &b)); /* NULL vs text */
    schema_field_copy(&thing_fields[F_NOTE], &b, &a);
    assert_ptr_equal(b.note, a.note);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_params_defaults),
        T(test_params_bad_values),
        T(test_params_clamp_and_all_problems),
        T(test_encode_key_order_and_nulls),
        T(test_encode_escapes_and_round_trips),
        T(test_encode_params_enum_as_bool),
        T(test_iteration_api),
        T(test_schema_check),
        T(test_copy_equal_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
