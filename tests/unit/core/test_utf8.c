/* Unit tests for src/core/utf8.c: the validator on hand-picked edge cases and
 * on every code point encoded in every length, and the code-point count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* Encodes cp in exactly len bytes (1-4), overlong when len is more than cp
 * needs; cp must fit in len bytes. Returns len. */
static size_t encode_as(uint32_t cp, size_t len, char *out)
{
    static const unsigned char lead[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    for (size_t k = len - 1; k > 0; k--) {
        out[k] = (char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    out[0] = (char)(lead[len] | cp);
    return len;
}

/* The shortest length that holds cp. */
static size_t shortest(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static void test_ascii_and_empty(void **state)
{
    (void)state;
    assert_true(utf8_is_valid(LIT("")));
    assert_true(utf8_is_valid(LIT("plain text, 0-9 ~")));
    assert_true(utf8_is_valid(LIT("a\0b"))); /* NUL is a character */
    assert_true(utf8_is_valid(LIT("\x7f")));
}

static void test_valid_multibyte(void **state)
{
    (void)state;
    assert_true(utf8_is_valid(LIT("\xc2\x80")));         /* U+0080: first of 2 bytes */
    assert_true(utf8_is_valid(LIT("caf\xc3\xa9")));      /* é */
    assert_true(utf8_is_valid(LIT("\xdf\xbf")));         /* U+07FF: last of 2 bytes */
    assert_true(utf8_is_valid(LIT("\xe0\xa0\x80")));     /* U+0800: first of 3 bytes */
    assert_true(utf8_is_valid(LIT("\xe2\x82\xac")));     /* € */
    assert_true(utf8_is_valid(LIT("\xed\x9f\xbf")));     /* U+D7FF: just below surrogates */
    assert_true(utf8_is_valid(LIT("\xee\x80\x80")));     /* U+E000: just above them */
    assert_true(utf8_is_valid(LIT("\xef\xbf\xbf")));     /* U+FFFF */
    assert_true(utf8_is_valid(LIT("\xf0\x90\x80\x80"))); /* U+10000: first of 4 bytes */
    assert_true(utf8_is_valid(LIT("\xf0\x9f\x98\x80"))); /* emoji */
    assert_true(utf8_is_valid(LIT("\xf4\x8f\xbf\xbf"))); /* U+10FFFF: the last code point */
    assert_true(utf8_is_valid(LIT("a\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80z")));
}

static void test_overlong_forms_rejected(void **state)
{
    (void)state;
    assert_false(utf8_is_valid(LIT("\xc0\x80")));         /* NUL in 2 bytes */
    assert_false(utf8_is_valid(LIT("\xc0\xaf")));         /* '/' in 2 bytes */
    assert_false(utf8_is_valid(LIT("\xc1\xbf")));         /* U+007F in 2 bytes */
    assert_false(utf8_is_valid(LIT("\xe0\x80\xaf")));     /* '/' in 3 bytes */
    assert_false(utf8_is_valid(LIT("\xe0\x9f\xbf")));     /* U+07FF in 3 bytes */
    assert_false(utf8_is_valid(LIT("\xf0\x80\x80\xaf"))); /* '/' in 4 bytes */
    assert_false(utf8_is_valid(LIT("\xf0\x8f\xbf\xbf"))); /* U+FFFF in 4 bytes */
}

static void test_surrogates_rejected(void **state)
{
    (void)state;
    assert_false(utf8_is_valid(LIT("\xed\xa0\x80")));             /* U+D800 */
    assert_false(utf8_is_valid(LIT("\xed\xaf\xbf")));             /* U+DBFF */
    assert_false(utf8_is_valid(LIT("\xed\xb0\x80")));             /* U+DC00 */
    assert_false(utf8_is_valid(LIT("\xed\xbf\xbf")));             /* U+DFFF */
    assert_false(utf8_is_valid(LIT("\xed\xa0\xbd\xed\xb8\x80"))); /* a CESU-8 pair */
}

static void test_above_max_rejected(void **state)
{
    (void)state;
    assert_false(utf8_is_valid(LIT("\xf4\x90\x80\x80"))); /* U+110000 */
    assert_false(utf8_is_valid(LIT("\xf7\xbf\xbf\xbf"))); /* U+1FFFFF */
    assert_false(utf8_is_valid(LIT("\xf5\x80\x80\x80")));
    assert_false(utf8_is_valid(LIT("\xf8\x88\x80\x80\x80"))); /* old 5-byte form */
    assert_false(utf8_is_valid(LIT("\xfc\x84\x80\x80\x80\x80")));
    assert_false(utf8_is_valid(LIT("\xfe")));
    assert_false(utf8_is_valid(LIT("\xff")));
}

static void test_truncated_and_broken_sequences_rejected(void **state)
{
    (void)state;
    assert_false(utf8_is_valid(LIT("\xc3"))); /* cut at the end */
    assert_false(utf8_is_valid(LIT("caf\xc3")));
    assert_false(utf8_is_valid(LIT("\xe2\x82")));
    assert_false(utf8_is_valid(LIT("\xf0\x9f\x98")));
    assert_false(utf8_is_valid(LIT("\xe2\x82x"))); /* cut in the middle */
    assert_false(utf8_is_valid(LIT("\xf0\x9f\x98 ")));
    assert_false(utf8_is_valid(LIT("\x80"))); /* lone continuation */
    assert_false(utf8_is_valid(LIT("a\xbf")));
    assert_false(utf8_is_valid(LIT("\xc3\x28"))); /* second byte not a continuation */
    assert_false(utf8_is_valid(LIT("\xe2\x28\xa1")));
    assert_false(utf8_is_valid(LIT("\xe2\x82\x28"))); /* third byte not a continuation */
    assert_false(utf8_is_valid(LIT("\xf0\x9f\x98\x28")));
    assert_false(utf8_is_valid(LIT("\xc3\xa9\xa9"))); /* one continuation too many */
    /* Only n bytes are read: a valid sequence cut by n is truncated. */
    assert_false(utf8_is_valid("\xe2\x82\xac", 2));
    assert_true(utf8_is_valid("\xe2\x82\xac", 3));
}

/* Every code point, in its shortest form and in every longer (overlong) one,
 * whole and cut short: valid exactly when shortest, whole and not a
 * surrogate. Then everything that 4 bytes encode above U+10FFFF. */
static void test_every_code_point(void **state)
{
    (void)state;
    char b[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t len = encode_as(cp, shortest(cp), b);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (utf8_is_valid(b, len) == surrogate)
            fail_msg("U+%04X: wrong verdict", (unsigned)cp);
        for (size_t cut = 1; cut < len; cut++)
            if (utf8_is_valid(b, cut))
                fail_msg("U+%04X cut to %zu bytes: accepted", (unsigned)cp, cut);
        for (size_t longer = len + 1; longer <= 4; longer++)
            if (utf8_is_valid(b, encode_as(cp, longer, b)))
                fail_msg("U+%04X in %zu bytes: overlong accepted", (unsigned)cp, longer);
    }
    for (uint32_t cp = 0x110000; cp <= 0x1FFFFF; cp++)
        if (utf8_is_valid(b, encode_as(cp, 4, b)))
            fail_msg("U+%X: above U+10FFFF accepted", (unsigned)cp);
}

static void test_count_codepoints(void **state)
{
    (void)state;
    assert_int_equal(utf8_count_codepoints(LIT("")), 0);
    assert_int_equal(utf8_count_codepoints(LIT("abc")), 3);
    assert_int_equal(utf8_count_codepoints(LIT("\xc3\xa9")), 1);         /* é: 2 bytes */
    assert_int_equal(utf8_count_codepoints(LIT("\xe2\x82\xac")), 1);     /* €: 3 bytes */
    assert_int_equal(utf8_count_codepoints(LIT("\xf0\x9f\x98\x80")), 1); /* emoji: 4 bytes */
    assert_int_equal(utf8_count_codepoints(LIT("a\xc3\xa9\xf0\x9f\x98\x80z")), 4);
    assert_int_equal(utf8_count_codepoints(LIT("a\0b")), 3); /* NUL is a character */
    /* 200 characters of 1 to 4 bytes each: the length limits count these. */
    static const char unit[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* 4 of them */
    char big[800];
    size_t n = 0;
    for (int i = 0; i < 50; i++) {
        memcpy(big + n, unit, sizeof(unit) - 1);
        n += sizeof(unit) - 1;
    }
    assert_int_equal(n, 500);
    assert_true(utf8_is_valid(big, n));
    assert_int_equal(utf8_count_codepoints(big, n), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_and_empty),
        cmocka_unit_test(test_valid_multibyte),
        cmocka_unit_test(test_overlong_forms_rejected),
        cmocka_unit_test(test_surrogates_rejected),
        cmocka_unit_test(test_above_max_rejected),
        cmocka_unit_test(test_truncated_and_broken_sequences_rejected),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_count_codepoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
