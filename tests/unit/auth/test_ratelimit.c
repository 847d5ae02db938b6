/* The failed-login limiter: limits per key, the sliding window, Retry-After,
 * forgiveness, and a bounded table under a flood of distinct keys. */
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/ratelimit.h"

#define T0 1000000LL
#define WINDOW 900

static long take(ratelimit_t *rl, const char *key, long long now)
{
    return ratelimit_take(rl, key, strlen(key), now);
}

static void test_limit_per_key(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(64, 10, WINDOW);
    for (int i = 0; i < 10; i++)
        assert_int_equal(take(rl, "a@x.io", T0 + i), 0);
    /* The 11th attempt within 15 minutes waits until the first one leaves. */
    assert_int_equal(take(rl, "a@x.io", T0 + 10), WINDOW - 10);
    assert_int_equal(take(rl, "a@x.io", T0 + 899), 1);
    /* Other keys are not affected. */
    assert_int_equal(take(rl, "b@x.io", T0 + 10), 0);
    /* At T0 + 900 the first attempt has left the window: one more is allowed. */
    assert_int_equal(take(rl, "a@x.io", T0 + WINDOW), 0);
    assert_int_equal(take(rl, "a@x.io", T0 + WINDOW), 1);
    /* Refused attempts were not counted: after the window, all ten again. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(take(rl, "a@x.io", T0 + 2 * WINDOW + 10), 0);
    ratelimit_free(rl);
    ratelimit_free(NULL);
}

static void test_sliding_not_fixed_window(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(64, 3, WINDOW);
    assert_int_equal(take(rl, "k", T0), 0);
    assert_int_equal(take(rl, "k", T0 + 800), 0);
    assert_int_equal(take(rl, "k", T0 + 890), 0);
    /* A fixed window would reset at T0 + 900; a sliding one lets only one in. */
    assert_int_equal(take(rl, "k", T0 + 901), 0);
    assert_int_equal(take(rl, "k", T0 + 902), 800 + WINDOW - 902);
    ratelimit_free(rl);
}

static void test_forgive_and_reset(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(64, 2, WINDOW);
    assert_int_equal(take(rl, "k", T0), 0);
    assert_int_equal(take(rl, "k", T0), 0);
    assert_true(take(rl, "k", T0) > 0);
    ratelimit_forgive(rl, "k", 1);
    assert_int_equal(take(rl, "k", T0), 0);
    assert_true(take(rl, "k", T0) > 0);
    ratelimit_reset(rl, "k", 1);
    assert_int_equal(take(rl, "k", T0), 0);
    assert_int_equal(take(rl, "k", T0), 0);
    ratelimit_forgive(rl, "unknown", 7); /* harmless */
    ratelimit_reset(rl, "unknown", 7);
    ratelimit_free(rl);
}

static void test_flood_stays_bounded(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(128, 2, WINDOW);
    assert_int_equal(take(rl, "victim", T0), 0);
    assert_int_equal(take(rl, "victim", T0), 0);
    assert_true(take(rl, "victim", T0) > 0);
    /* A flood of distinct keys: each is limited on its own, memory is fixed. */
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "flood-%d", i);
        assert_int_equal(take(rl, key, T0 + 1), 0);
    }
    /* Keys whose attempts expired are reused first. */
    assert_int_equal(take(rl, "late", T0 + 2 * WINDOW), 0);
    assert_int_equal(take(rl, "late", T0 + 2 * WINDOW), 0);
    assert_true(take(rl, "late", T0 + 2 * WINDOW) > 0);
    ratelimit_free(rl);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_per_key),
        cmocka_unit_test(test_sliding_not_fixed_window),
        cmocka_unit_test(test_forgive_and_reset),
        cmocka_unit_test(test_flood_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
