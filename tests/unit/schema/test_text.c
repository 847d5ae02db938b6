/* Unit tests for src/schema/text.c: trimming, control characters, ASCII case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schema/text.h"

#define LIT(s) (s), (sizeof(s) - 1)

static void test_trim_only_space_tab_cr_lf(void **state)
{
    (void)state;
    const char *s = " \t\r\n hi there \n\t";
    size_t n = strlen(s);
    text_trim(&s, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(s, "hi there", 8);

    const char *v = "\vx\f"; /* vertical tab and form feed are not trimmed */
    n = 3;
    text_trim(&v, &n);
    assert_int_equal(n, 3);

    const char *nbsp = "\xc2\xa0x"; /* U+00A0 is not trimmed */
    n = 3;
    text_trim(&nbsp, &n);
    assert_int_equal(n, 3);

    const char *all = " \t \r\n";
    n = strlen(all);
    text_trim(&all, &n);
    assert_int_equal(n, 0);
}

static void test_control_characters(void **state)
{
    (void)state;
    assert_false(text_has_control(LIT("plain text \xc3\xa9 \xe2\x82\xac")));
    assert_true(text_has_control(LIT("a\tb")));
    assert_true(text_has_control(LIT("a\nb")));
    assert_true(text_has_control(LIT("a\0b")));
    assert_true(text_has_control(LIT("\x1f")));
    assert_true(text_has_control(LIT("del\x7f")));
    assert_true(text_has_control(LIT("c1 \xc2\x80")));   /* U+0080 */
    assert_true(text_has_control(LIT("c1 \xc2\x9f")));   /* U+009F */
    assert_false(text_has_control(LIT("\xc2\xa0")));     /* U+00A0 is not a control */
    assert_false(text_has_control(LIT("\xc4\x80")));     /* U+0100 */
    assert_false(text_has_control(LIT("\xe2\x80\x8b"))); /* U+200B: not C0/C1 */
}

static void test_nul(void **state)
{
    (void)state;
    assert_false(text_has_nul(LIT("a\tb\n")));
    assert_true(text_has_nul(LIT("a\0b")));
}

static void test_ascii_case_insensitive(void **state)
{
    (void)state;
    assert_true(text_equal_ascii_ci(LIT("Work"), LIT("wORK")));
    assert_false(text_equal_ascii_ci(LIT("work"), LIT("works")));
    assert_false(text_equal_ascii_ci(LIT("a"), LIT("b")));
    /* Only ASCII folds: É and é differ. */
    assert_false(text_equal_ascii_ci(LIT("\xc3\x89"), LIT("\xc3\xa9")));
    assert_true(text_equal_ascii_ci(LIT("\xc3\xa9x"), LIT("\xc3\xa9X")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_only_space_tab_cr_lf),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_ascii_case_insensitive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
