/* Unit tests for src/core/buf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_init_is_empty(void **state)
{
    (void)state;
    buf_t a = BUF_INIT;
    buf_t b;
    buf_init(&b);
    assert_null(a.data);
    assert_null(b.data);
    assert_int_equal(a.len, 0);
    assert_int_equal(b.cap, 0);
    buf_dispose(&a); /* disposing an untouched buffer is fine */
    assert_null(a.data);
}

static void test_append_keeps_nul_terminated(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_append(&b, "", 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_puts(&b, "abc");
    buf_putc(&b, 'd');
    buf_append(&b, "efgh", 2);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    buf_dispose(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_binary_data(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    const char bytes[] = {'a', '\0', 'b', '\xff'};
    buf_append(&b, bytes, sizeof(bytes));
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, bytes, 4);
    assert_int_equal(b.data[4], '\0');
    buf_dispose(&b);
}

static void test_grows_past_many_doublings(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    assert_int_equal(b.data[b.len], '\0');
    buf_dispose(&b);
}

static void test_reserve_does_not_change_content(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_puts(&b, "keep");
    buf_reserve(&b, 10000);
    assert_true(b.cap >= b.len + 10000 + 1);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    size_t cap = b.cap;
    buf_reserve(&b, 10); /* enough room already: nothing moves */
    assert_int_equal(b.cap, cap);
    buf_dispose(&b);
}

static void test_printf_short_and_long(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_printf(&b, "%d-%s", 7, "x");
    assert_string_equal(b.data, "7-x");
    char big[1000];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* Longer than the 256-byte fast path. */
    buf_printf(&b, "[%s]%u", big, 12345u);
    assert_int_equal(b.len, 3 + 1 + 999 + 1 + 5);
    assert_int_equal(b.data[4], 'y');
    assert_string_equal(b.data + b.len - 6, "]12345");
    buf_dispose(&b);
}

static void test_clear_keeps_memory(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_puts(&b, "something");
    char *data = b.data;
    size_t cap = b.cap;
    buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    buf_puts(&b, "new");
    assert_string_equal(b.data, "new");
    buf_dispose(&b);

    buf_t empty = BUF_INIT;
    buf_clear(&empty); /* no memory yet: stays that way */
    assert_null(empty.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_append_keeps_nul_terminated),
        cmocka_unit_test(test_binary_data),
        cmocka_unit_test(test_grows_past_many_doublings),
        cmocka_unit_test(test_reserve_does_not_change_content),
        cmocka_unit_test(test_printf_short_and_long),
        cmocka_unit_test(test_clear_keeps_memory),
    };
    return cmocka_run_group_tests_name("core_buf", tests, NULL, NULL);
}
