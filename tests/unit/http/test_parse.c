/* Unit tests for src/http/parse.c: query strings and path percent-decoding,
 * X-Request-ID, Content-Type and Authorization parsing, UTF-8 checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "http/parse.h"

static arena_t *arena;

static int setup(void **state)
{
    (void)state;
    arena = arena_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(arena);
    return 0;
}

static const char *q(const char *query, const char *name)
{
    return http_query_get(arena, query, strlen(query), name);
}

static const char *path_decode(const char *s)
{
    return http_percent_decode(arena, s, strlen(s), false);
}

/* ---- query strings ------------------------------------------------------- */

static void test_query_first_occurrence(void **state)
{
    (void)state;
    assert_string_equal(q("a=1&b=2", "a"), "1");
    assert_string_equal(q("a=1&b=2", "b"), "2");
    assert_string_equal(q("tag=x&tag=y", "tag"), "x");
    assert_null(q("a=1&b=2", "c"));
    assert_null(q("", "a"));
    assert_null(q("ab=1", "a"));
    assert_null(q("a1=1", "a"));
    assert_string_equal(q("&&a=1&", "a"), "1");
    assert_string_equal(q("a=b=c", "a"), "b=c");
}

static void test_query_bare_and_empty_values(void **state)
{
    (void)state;
    assert_string_equal(q("search", "search"), "");
    assert_string_equal(q("search=", "search"), "");
    assert_string_equal(q("x=1&search=&y=2", "search"), "");
    assert_null(q("=1", ""));
}

static void test_query_decoding(void **state)
{
    (void)state;
    assert_string_equal(q("search=buy+milk", "search"), "buy milk");
    assert_string_equal(q("search=100%25+done", "search"), "100% done");
    assert_string_equal(q("search=caf%C3%A9", "search"), "caf\xc3\xa9");
    assert_string_equal(q("search=a%2Bb", "search"), "a+b");
    assert_string_equal(q("search=%26%3D", "search"), "&=");
    /* names are compared after decoding */
    assert_string_equal(q("sort%5Fby=title", "sort_by"), "title");
    assert_string_equal(q("s%6frt_by=title&sort_by=x", "sort_by"), "title");
}

static void test_query_bad_escapes_give_raw_text(void **state)
{
    (void)state;
    assert_string_equal(q("limit=%zz", "limit"), "%zz");
    assert_string_equal(q("limit=5%", "limit"), "5%");
    assert_string_equal(q("limit=5%4", "limit"), "5%4");
    /* not UTF-8 once decoded, or a NUL: the raw text */
    assert_string_equal(q("tag=%FF", "tag"), "%FF");
    assert_string_equal(q("tag=%C3%28", "tag"), "%C3%28");
    assert_string_equal(q("tag=a%00b", "tag"), "a%00b");
    /* the raw text keeps the '+' rather than a half-decoded mix */
    assert_string_equal(q("tag=a+b%zz", "tag"), "a+b%zz");
}

/* ---- path segments ------------------------------------------------------- */

static void test_path_decoding(void **state)
{
    (void)state;
    assert_string_equal(path_decode("u1"), "u1");
    assert_string_equal(path_decode("u%31"), "u1");
    assert_string_equal(path_decode("a+b"), "a+b"); /* '+' is literal in a path */
    assert_string_equal(path_decode("caf%c3%a9"), "caf\xc3\xa9");
    assert_string_equal(path_decode("%2F"), "/");
    assert_string_equal(path_decode(""), "");
}

static void test_path_bad_input_is_printable_raw_text(void **state)
{
    (void)state;
    assert_string_equal(path_decode("%zz"), "%zz");
    assert_string_equal(path_decode("%00"), "%00");
    assert_string_equal(path_decode("%ff"), "%ff");
    /* raw bytes that are not UTF-8 come back escaped, so the result is ASCII */
    assert_string_equal(path_decode("a\xff"), "a%FF");
    assert_string_equal(path_decode("\x01%zz"), "%01%zz");
    /* raw UTF-8 is kept as it is */
    assert_string_equal(path_decode("caf\xc3\xa9"), "caf\xc3\xa9");
}

static void test_escape_nonprintable(void **state)
{
    (void)state;
    assert_string_equal(http_escape_nonprintable(arena, "a b\n\x7f\xc3", 6), "a%20b%0A%7F%C3");
    assert_string_equal(http_escape_nonprintable(arena, "/x?y=1", 6), "/x?y=1");
}

/* ---- request ids --------------------------------------------------------- */

static void test_request_id(void **state)
{
    (void)state;
    static const char *const good[] = {"0", "abc-123", "A.b:c_d-9", "req:2025-12-10T10:05"};
    static const char *const bad[] = {"",          "has space", "a/b",         "a,b",  "semi;colon",
                                      "tab\there", "quote\"",   "caf\xc3\xa9", "\x7f", "a\nb"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(http_request_id_is_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(http_request_id_is_valid(bad[i], strlen(bad[i])));

    char longest[HTTP_REQUEST_ID_MAX + 1];
    memset(longest, 'x', sizeof(longest));
    assert_true(http_request_id_is_valid(longest, HTTP_REQUEST_ID_MAX));
    assert_false(http_request_id_is_valid(longest, HTTP_REQUEST_ID_MAX + 1));
    /* length-delimited: a NUL inside is a bad character */
    assert_false(http_request_id_is_valid("ab\0cd", 5));
}

/* ---- content type -------------------------------------------------------- */

static void test_content_type(void **state)
{
    (void)state;
    static const char *const json[] = {
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "  application/json",
        "application/json ;charset=UTF-8",
        "application/json;",
    };
    static const char *const other[] = {
        "",
        "text/plain",
        "application/jsonx",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/x-www-form-urlencoded",
        "application/json, text/plain",
        "json",
        "application/",
    };
    for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++)
        assert_true(http_content_type_is_json(json[i], strlen(json[i])));
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        assert_false(http_content_type_is_json(other[i], strlen(other[i])));
}

/* ---- Authorization ------------------------------------------------------- */

static void test_bearer(void **state)
{
    (void)state;
    const char *tok;
    size_t len;
    static const struct {
        const char *header, *token;
    } good[] = {
        {"Bearer abc.def.ghi", "abc.def.ghi"},
        {"bearer abc", "abc"},
        {"BEARER   abc  ", "abc"},
        {"Bearer abc\t", "abc"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(http_bearer_token(good[i].header, strlen(good[i].header), &tok, &len), 0);
        assert_int_equal(len, strlen(good[i].token));
        assert_memory_equal(tok, good[i].token, len);
    }
    static const char *const bad[] = {
        "",          "Bearer",     "Bearer ",   "Bearer    ",  "Basic abc",
        "Bearerabc", "Bearer a b", "Token abc", "Bearer\tabc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(http_bearer_token(bad[i], strlen(bad[i]), &tok, &len), -1);
}

static const char *origin_form(const char *target, bool *absolute)
{
    const char *s = target;
    size_t n = strlen(target);
    *absolute = http_target_origin_form(&s, &n);
    assert_true(s + n == target + strlen(target)); /* a suffix of the target */
    return arena_strndup(arena, s, n);
}

static void test_target_origin_form(void **state)
{
    (void)state;
    bool abs;
    assert_string_equal(origin_form("http://h:8000/api/u/tasks?x=1", &abs), "/api/u/tasks?x=1");
    assert_true(abs);
    assert_string_equal(origin_form("HTTPS://[::1]:8000/health", &abs), "/health");
    assert_true(abs);
    assert_string_equal(origin_form("http://h", &abs), "");
    assert_true(abs);
    assert_string_equal(origin_form("http://h?q=1", &abs), "?q=1");
    assert_true(abs);
    assert_string_equal(origin_form("/health", &abs), "/health");
    assert_false(abs);
    assert_string_equal(origin_form("/http://h/x", &abs), "/http://h/x");
    assert_false(abs);
    assert_string_equal(origin_form("ftp://h/x", &abs), "ftp://h/x");
    assert_false(abs);
    assert_string_equal(origin_form("http:/x", &abs), "http:/x");
    assert_false(abs);
}

static const char *client(const char *trusted, const char *const *fields, size_t n)
{
    static char buf[64];
    ipnet_list_t l;
    char why[160];
    size_t lens[8];
    uint8_t out[16];
    assert_int_equal(ipnet_list_parse(trusted, &l, why, sizeof(why)), 0);
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(fields[i]);
    bool ok = http_forwarded_for(&l, fields, lens, n, out);
    ipnet_list_dispose(&l);
    return ok ? ipnet_addr_format(out, buf, sizeof(buf)) : NULL;
}

static void test_forwarded_for(void **state)
{
    (void)state;
    const char *one[] = {"203.0.113.7"};
    assert_string_equal(client("127.0.0.1", one, 1), "203.0.113.7");
    /* the rightmost untrusted entry: what the client wrote itself is left of it */
    const char *spoof[] = {"1.1.1.1, 203.0.113.7"};
    assert_string_equal(client("127.0.0.1", spoof, 1), "203.0.113.7");
    const char *chain[] = {"1.1.1.1, 203.0.113.7, 10.0.0.2 ,10.0.0.3"};
    assert_string_equal(client("127.0.0.1,10.0.0.0/8", chain, 1), "203.0.113.7");
    /* several fields are one list, in order */
    const char *fields[] = {"1.1.1.1", "203.0.113.8,10.0.0.2", " 10.0.0.3 "};
    assert_string_equal(client("10.0.0.0/8", fields, 3), "203.0.113.8");
    /* all trusted: the leftmost */
    const char *all[] = {"10.0.0.5, 10.0.0.6", "10.0.0.7"};
    assert_string_equal(client("10.0.0.0/8", all, 2), "10.0.0.5");
    /* ports and brackets */
    const char *ports[] = {"[2001:db8::1]:4711, 198.51.100.2:80"};
    assert_string_equal(client("::1", ports, 1), "198.51.100.2");
    const char *v6[] = {"[2001:db8::1]:4711, ::ffff:10.0.0.1"};
    assert_string_equal(client("10.0.0.0/8", v6, 1), "2001:db8::1");
    const char *v6plain[] = {"2001:DB8::2"};
    assert_string_equal(client("::1", v6plain, 1), "2001:db8::2");
    /* empty entries are skipped */
    const char *empties[] = {",203.0.113.9,, "};
    assert_string_equal(client("::1", empties, 1), "203.0.113.9");
    /* a malformed entry met on the way: none (the caller keeps the peer) */
    const char *junk[] = {"203.0.113.7, unknown"};
    assert_null(client("127.0.0.1", junk, 1));
    const char *junk2[] = {"203.0.113.7, 10.0.0.1:", "10.0.0.2"};
    assert_null(client("10.0.0.0/8", junk2, 2));
    const char *junk3[] = {"[::1"};
    assert_null(client("10.0.0.0/8", junk3, 1));
    /* a malformed entry left of the answer does not matter */
    const char *left[] = {"junk, 203.0.113.7"};
    assert_string_equal(client("127.0.0.1", left, 1), "203.0.113.7");
    /* no entry at all */
    const char *blank[] = {" , "};
    assert_null(client("127.0.0.1", blank, 1));
    assert_null(client("127.0.0.1", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_first_occurrence),
        cmocka_unit_test(test_query_bare_and_empty_values),
        cmocka_unit_test(test_query_decoding),
        cmocka_unit_test(test_query_bad_escapes_give_raw_text),
        cmocka_unit_test(test_path_decoding),
        cmocka_unit_test(test_path_bad_input_is_printable_raw_text),
        cmocka_unit_test(test_escape_nonprintable),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_target_origin_form),
        cmocka_unit_test(test_forwarded_for),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
