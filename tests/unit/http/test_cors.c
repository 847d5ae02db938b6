/* Unit tests for src/http/cors.c: which Origin values get CORS headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/cors.h"

static cors_decision_t check(const cors_t *c, const char *origin)
{
    return cors_check(c, origin, origin != NULL ? strlen(origin) : 0);
}

static void test_listed_origins_with_credentials(void **state)
{
    (void)state;
    cors_t *c = cors_new("http://localhost:3000,https://app.example.test");
    cors_decision_t d = check(c, "http://localhost:3000");
    assert_true(d.allowed);
    assert_true(d.credentials);
    assert_false(d.wildcard);
    d = check(c, "https://app.example.test");
    assert_true(d.allowed && d.credentials && !d.wildcard);
    /* scheme and host compare case-insensitively */
    assert_true(check(c, "HTTPS://App.Example.Test").allowed);
    cors_free(c);
}

static void test_other_origins_get_nothing(void **state)
{
    (void)state;
    static const char *const others[] = {
        "https://evil.example",
        "http://localhost:3001",
        "http://localhost:3000.evil.test",
        "http://localhost:300",
        "http://localhost",
        "https://localhost:3000",
        "null",
        "http://localhost:3000/",
        " http://localhost:3000",
        "https://app.example.test.evil",
    };
    cors_t *c = cors_new("http://localhost:3000,https://app.example.test");
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        cors_decision_t d = check(c, others[i]);
        assert_false(d.allowed);
        assert_false(d.credentials);
        assert_false(d.wildcard);
    }
    assert_false(check(c, NULL).allowed);
    assert_false(check(c, "").allowed);
    cors_free(c);
}

static void test_wildcard_allows_any_without_credentials(void **state)
{
    (void)state;
    cors_t *c = cors_new("*");
    cors_decision_t d = check(c, "https://anything.example");
    assert_true(d.allowed);
    assert_true(d.wildcard);
    assert_false(d.credentials);
    assert_true(check(c, "null").allowed);
    assert_false(check(c, NULL).allowed); /* no Origin header: not a CORS request */
    cors_free(c);

    /* "*" anywhere in the list wins */
    c = cors_new("http://localhost:3000, *");
    d = check(c, "http://localhost:3000");
    assert_true(d.allowed && d.wildcard && !d.credentials);
    cors_free(c);
}

static void test_list_is_trimmed_and_empty_entries_skipped(void **state)
{
    (void)state;
    cors_t *c = cors_new("  http://a.test , ,\thttps://b.test:8443 ,");
    assert_true(check(c, "http://a.test").allowed);
    assert_true(check(c, "https://b.test:8443").allowed);
    assert_false(check(c, "").allowed);
    assert_false(check(c, " http://a.test ").allowed);
    cors_free(c);
}

static void test_empty_list_allows_nothing(void **state)
{
    (void)state;
    cors_t *c = cors_new("");
    assert_false(check(c, "http://localhost:3000").allowed);
    cors_free(c);
    c = cors_new(NULL);
    assert_false(check(c, "http://localhost:3000").allowed);
    cors_free(c);
    cors_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listed_origins_with_credentials),
        cmocka_unit_test(test_other_origins_get_nothing),
        cmocka_unit_test(test_wildcard_allows_any_without_credentials),
        cmocka_unit_test(test_list_is_trimmed_and_empty_entries_skipped),
        cmocka_unit_test(test_empty_list_allows_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
