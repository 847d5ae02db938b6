/* Base64url: round trips and the strictness JWS parsing relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/b64url.h"

static long dec(const char *s, unsigned char *out)
{
    return b64url_decode(s, strlen(s), out);
}

static void test_round_trip_all_lengths(void **state)
{
    (void)state;
    unsigned char in[64], out[64];
    char enc[128];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 250);
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t m = b64url_encode(in, n, enc);
        assert_int_equal(m, B64URL_ENCODED_LEN(n));
        assert_int_equal(strlen(enc), m);
        assert_null(strpbrk(enc, "+/="));
        assert_int_equal(b64url_decode(enc, m, out), (long)n);
        assert_memory_equal(in, out, n);
    }
}

static void test_known_vectors(void **state)
{
    (void)state;
    unsigned char out[16];
    char enc[16];
    b64url_encode((const unsigned char *)"\xfb\xff", 2, enc);
    assert_string_equal(enc, "-_8");
    assert_int_equal(dec("-_8", out), 2);
    assert_memory_equal(out, "\xfb\xff", 2);
    assert_int_equal(dec("Zm9vYmFy", out), 6);
    assert_memory_equal(out, "foobar", 6);
    assert_int_equal(dec("", out), 0);
}

static void test_rejects_non_canonical(void **state)
{
    (void)state;
    unsigned char out[16];
    assert_int_equal(dec("Zm9vYg==", out), -1); /* padding */
    assert_int_equal(dec("+/8", out), -1);      /* standard alphabet */
    assert_int_equal(dec("Zm9v Yg", out), -1);  /* whitespace */
    assert_int_equal(dec("Zm9vY", out), -1);    /* length 1 mod 4 */
    assert_int_equal(dec("Zh", out), -1);       /* unused bits set ("Zg" is canonical) */
    assert_int_equal(dec("Zg", out), 1);
    assert_int_equal(dec("Zm9", out), -1); /* "Zm8" is canonical */
    assert_int_equal(dec("Zm8", out), 2);
    assert_int_equal(b64url_decode("Zg\0A", 4, out), -1); /* embedded NUL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_lengths),
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_rejects_non_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
