/* Unit tests for src/http/etag.c: If-Match / If-None-Match lists and the
 * strong and weak comparisons of RFC 9110 §8.8.3.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/etag.h"

static http_etag_list_kind_t parse(const char *v, http_etag_t *tags, size_t max, size_t *n)
{
    return http_etag_list_parse(v, strlen(v), tags, max, n);
}

static bool match(const char *value, const char *etag, bool weak)
{
    return http_etag_match(value, strlen(value), etag, weak);
}

static void test_parse_lists(void **state)
{
    (void)state;
    http_etag_t t[4];
    size_t n;
    assert_int_equal(parse("\"1-2\"", t, 4, &n), HTTP_ETAGS_LIST);
    assert_int_equal(n, 1);
    assert_false(t[0].weak);
    assert_int_equal(t[0].len, 3);
    assert_memory_equal(t[0].opaque, "1-2", 3);

    assert_int_equal(parse(" W/\"a\" ,\t\"b\",,\"\" , ", t, 4, &n), HTTP_ETAGS_LIST);
    assert_int_equal(n, 3);
    assert_true(t[0].weak);
    assert_memory_equal(t[0].opaque, "a", 1);
    assert_false(t[1].weak);
    assert_memory_equal(t[1].opaque, "b", 1);
    assert_int_equal(t[2].len, 0); /* "" is a valid (empty) opaque tag */

    /* more tags than room: counted as valid, only max kept */
    assert_int_equal(parse("\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"", t, 4, &n), HTTP_ETAGS_LIST);
    assert_int_equal(n, 4);
    assert_memory_equal(t[3].opaque, "d", 1);
}

static void test_parse_star(void **state)
{
    (void)state;
    http_etag_t t[2];
    size_t n = 9;
    assert_int_equal(parse("*", t, 2, &n), HTTP_ETAGS_ANY);
    assert_int_equal(n, 0);
    assert_int_equal(parse("  *\t", t, 2, &n), HTTP_ETAGS_ANY);
    /* "*" is only valid alone */
    assert_int_equal(parse("*, \"a\"", t, 2, &n), HTTP_ETAGS_MALFORMED);
    assert_int_equal(parse("\"a\", *", t, 2, &n), HTTP_ETAGS_MALFORMED);
    assert_int_equal(parse("**", t, 2, &n), HTTP_ETAGS_MALFORMED);
}

static void test_parse_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        ",",
        ", ,",
        "abc",
        "\"unterminated",
        "W/",
        "W/abc",
        "w/\"a\"",
        "\"a\" \"b\"",
        "\"a\"b",
        "\"a\";q=1",
        "W /\"a\"",
        "\"a\nb\"",
        "\"a b\"",
        "\"a\"\"b\"",
        "'a'",
        "\"a\",b",
        "\"in\"side\"",
        "\"\x7f\"",
        "W/W/\"a\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_etag_t t[4];
        size_t n = 7;
        if (parse(bad[i], t, 4, &n) != HTTP_ETAGS_MALFORMED)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(n, 0);
    }
    /* obs-text (bytes >= 0x80) is allowed inside the quotes */
    http_etag_t t[1];
    size_t n;
    assert_int_equal(parse("\"\xc3\xa9\"", t, 1, &n), HTTP_ETAGS_LIST);
}

static void test_strong_comparison(void **state)
{
    (void)state;
    assert_true(match("\"1-2\"", "\"1-2\"", false));
    assert_true(match("\"x\", \"1-2\"", "\"1-2\"", false));
    assert_false(match("\"1-3\"", "\"1-2\"", false));
    assert_false(match("\"1-2 \"", "\"1-2\"", false));
    /* strong: a weak tag on either side never matches */
    assert_false(match("W/\"1-2\"", "\"1-2\"", false));
    assert_false(match("\"1-2\"", "W/\"1-2\"", false));
    assert_true(match("*", "\"1-2\"", false));
    /* garbage matches nothing, even when the right tag is inside it */
    assert_false(match("\"1-2\", garbage", "\"1-2\"", false));
    assert_false(match("1-2", "\"1-2\"", false));
}

static void test_weak_comparison(void **state)
{
    (void)state;
    assert_true(match("\"1-2\"", "\"1-2\"", true));
    assert_true(match("W/\"1-2\"", "\"1-2\"", true));
    assert_true(match("\"1-2\"", "W/\"1-2\"", true));
    assert_true(match("W/\"1-2\"", "W/\"1-2\"", true));
    assert_false(match("W/\"1-3\"", "\"1-2\"", true));
    assert_true(match("*", "W/\"l\"", true));
    assert_false(match("", "\"1-2\"", true));
}

static void test_long_lists(void **state)
{
    (void)state;
    /* the tag sits past the first chunk of tags compared */
    char value[4096];
    size_t o = 0;
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(value + o, sizeof(value) - o, "%s\"t%d\"", i ? ", " : "", i);
    assert_true(match(value, "\"t0\"", false));
    assert_true(match(value, "\"t15\"", false));
    assert_true(match(value, "\"t16\"", false));
    assert_true(match(value, "\"t99\"", false));
    assert_false(match(value, "\"t100\"", false));
    /* a bad element anywhere spoils the whole list */
    snprintf(value + o, sizeof(value) - o, ", bad");
    assert_false(match(value, "\"t0\"", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_lists),     cmocka_unit_test(test_parse_star),
        cmocka_unit_test(test_parse_garbage),   cmocka_unit_test(test_strong_comparison),
        cmocka_unit_test(test_weak_comparison), cmocka_unit_test(test_long_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
