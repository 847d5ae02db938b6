/* Argon2id hashing: round trip, wrong passwords, the dummy for unknown
 * accounts, and the encoded form stored in the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/password.h"

static void test_hash_and_verify(void **state)
{
    (void)state;
    assert_int_equal(password_init(), 0);
    assert_int_equal(password_init(), 0);
    char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    const char *pw = "correct horse battery staple";
    assert_int_equal(password_hash(pw, strlen(pw), h1), 0);
    assert_int_equal(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
    assert_true(password_verify(h1, pw, strlen(pw)));
    assert_false(password_verify(h1, "correct horse battery stapl", strlen(pw) - 1));
    assert_false(password_verify(h1, "Correct horse battery staple", strlen(pw)));
    assert_false(password_verify(NULL, pw, strlen(pw)));
    assert_false(password_verify("not a hash", pw, strlen(pw)));
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(password_hash(pw, strlen(pw), h2), 0);
    assert_string_not_equal(h1, h2);
    assert_true(password_verify(h2, pw, strlen(pw)));
}

static void test_bytes_after_nul_count(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash("abc\0def1", 8, h), 0);
    assert_true(password_verify(h, "abc\0def1", 8));
    assert_false(password_verify(h, "abc\0xyz1", 8));
    assert_false(password_verify(h, "abc", 3));
}

static void test_dummy_never_matches(void **state)
{
    (void)state;
    assert_false(password_verify_dummy("", 0));
    assert_false(password_verify_dummy("password", 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_bytes_after_nul_count),
        cmocka_unit_test(test_dummy_never_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
