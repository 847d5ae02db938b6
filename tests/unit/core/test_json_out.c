/* Unit tests for src/core/json_out.c: the output must be JSON that a real
 * parser (jansson) reads back to the very same bytes. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/json_out.h"

/* Writes s (n bytes) with json_put_strn and returns the text in *out. */
static const char *put_strn(buf_t *b, const char *s, size_t n)
{
    buf_clear(b);
    json_put_strn(b, s, n);
    return b->data;
}

/* Parses text as one JSON string and checks it decodes to s (n bytes). */
static void assert_decodes_to(const char *text, const char *s, size_t n)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (v == NULL)
        fail_msg("not JSON: %s (%s)", text, err.text);
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), n);
    assert_memory_equal(json_string_value(v), s, n);
    json_decref(v);
}

static void test_plain_string(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    json_put_str(&b, "hello world");
    assert_string_equal(b.data, "\"hello world\"");
    buf_clear(&b);
    json_put_str(&b, "");
    assert_string_equal(b.data, "\"\"");
    buf_dispose(&b);
}

static void test_null_string(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    json_put_str(&b, NULL);
    assert_string_equal(b.data, "null");
    buf_dispose(&b);
}

static void test_quotes_and_backslashes(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    const char *s = "say \"hi\" \\ back\\slash \"";
    json_put_str(&b, s);
    assert_string_equal(b.data, "\"say \\\"hi\\\" \\\\ back\\\\slash \\\"\"");
    assert_decodes_to(b.data, s, strlen(s));
    buf_dispose(&b);
}

static void test_short_escapes(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    json_put_str(&b, "a\nb\rc\td");
    assert_string_equal(b.data, "\"a\\nb\\rc\\td\"");
    buf_dispose(&b);
}

static void test_every_control_character(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    for (int c = 0; c < 0x20; c++) {
        char s[3] = {'x', (char)c, 'y'};
        const char *text = put_strn(&b, s, sizeof(s));
        /* No raw control byte may reach the output. */
        for (const char *p = text; *p; p++)
            assert_true((unsigned char)*p >= 0x20);
        assert_decodes_to(text, s, sizeof(s));
    }
    assert_string_equal(put_strn(&b, "\x01", 1), "\"\\u0001\"");
    assert_string_equal(put_strn(&b, "\x1f", 1), "\"\\u001f\"");
    assert_string_equal(put_strn(&b, "\b\f", 2), "\"\\u0008\\u000c\"");
    buf_dispose(&b);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    const char s[] = {'a', '\0', 'b'};
    assert_string_equal(put_strn(&b, s, sizeof(s)), "\"a\\u0000b\"");
    assert_decodes_to(b.data, s, sizeof(s));
    buf_dispose(&b);
}

static void test_unicode_passes_through(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    /* é, ✓, an emoji (4 bytes), DEL and U+0085 (a C1 control): all valid
     * JSON as raw UTF-8, written unchanged. */
    const char *s = "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \x7f \xc2\x85";
    json_put_str(&b, s);
    assert_int_equal(b.len, strlen(s) + 2);
    assert_memory_equal(b.data + 1, s, strlen(s));
    assert_decodes_to(b.data, s, strlen(s));
    buf_dispose(&b);
}

static void test_long_string_round_trip(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    enum { N = 5000 };
    char s[N];
    for (int i = 0; i < N; i++)
        s[i] = (char)(i % 128); /* ASCII including every control char */
    put_strn(&b, s, N);
    assert_decodes_to(b.data, s, N);
    buf_dispose(&b);
}

static void test_appends_to_existing_content(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_putc(&b, '[');
    json_put_str(&b, "a");
    buf_putc(&b, ',');
    json_put_str(&b, "b\"");
    buf_putc(&b, ']');
    assert_string_equal(b.data, "[\"a\",\"b\\\"\"]");
    buf_dispose(&b);
}

static void test_key(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_putc(&b, '{');
    json_put_key(&b, "title");
    json_put_str(&b, "x");
    buf_putc(&b, '}');
    assert_string_equal(b.data, "{\"title\":\"x\"}");
    buf_dispose(&b);
}

static void test_numbers_bools_null(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    json_put_int(&b, 0);
    buf_putc(&b, ' ');
    json_put_int(&b, -42);
    buf_putc(&b, ' ');
    json_put_int(&b, INT64_MAX);
    buf_putc(&b, ' ');
    json_put_int(&b, INT64_MIN);
    buf_putc(&b, ' ');
    json_put_bool(&b, true);
    buf_putc(&b, ' ');
    json_put_bool(&b, false);
    buf_putc(&b, ' ');
    json_put_null(&b);
    assert_string_equal(b.data, "0 -42 9223372036854775807 -9223372036854775808 true false null");
    buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_string),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_quotes_and_backslashes),
        cmocka_unit_test(test_short_escapes),
        cmocka_unit_test(test_every_control_character),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_unicode_passes_through),
        cmocka_unit_test(test_long_string_round_trip),
        cmocka_unit_test(test_appends_to_existing_content),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_numbers_bools_null),
    };
    return cmocka_run_group_tests_name("core_json_out", tests, NULL, NULL);
}
