/* Unit tests for src/core/arena.c. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"

static void test_alloc_is_aligned_and_distinct(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    char *prev = NULL;
    for (size_t size = 1; size < 100; size++) {
        char *p = arena_alloc(a, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        if (prev != NULL)
            assert_ptr_not_equal(p, prev);
        memset(p, 0xab, size);
        prev = p;
    }
    arena_free(a);
}

static void test_allocations_survive_new_blocks(void **state)
{
    (void)state;
    /* Far more than one 8 KiB block: earlier strings must stay intact. */
    arena_t *a = arena_new();
    enum { N = 2000 };
    char *strs[N];
    for (int i = 0; i < N; i++)
        strs[i] = arena_printf(a, "string number %d", i);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "string number %d", i);
        assert_string_equal(strs[i], want);
    }
    arena_free(a);
}

static void test_large_allocation(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    char *small1 = arena_strdup(a, "before");
    size_t big_size = 1 << 20;
    unsigned char *big = arena_alloc(a, big_size);
    memset(big, 0x5a, big_size);
    char *small2 = arena_strdup(a, "after");
    assert_string_equal(small1, "before");
    assert_string_equal(small2, "after");
    assert_int_equal(big[0], 0x5a);
    assert_int_equal(big[big_size - 1], 0x5a);
    /* The small allocations after the big one still come from the first block. */
    assert_true(small2 > small1 && small2 - small1 < 8192);
    arena_free(a);
}

static void test_calloc_zeroes(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    /* Dirty some memory, reset, and make sure calloc clears what it hands back. */
    memset(arena_alloc(a, 4000), 0xff, 4000);
    arena_reset(a);
    unsigned char *p = arena_calloc(a, 1000, 4);
    for (size_t i = 0; i < 4000; i++)
        assert_int_equal(p[i], 0);
    arena_free(a);
}

static void test_calloc_overflow_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Child: keep the expected "fatal:" line out of the test output. */
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        arena_t *a = arena_new();
        arena_calloc(a, SIZE_MAX / 2, 4);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_strdup_and_strndup(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    assert_null(arena_strdup(a, NULL));
    char *s = arena_strdup(a, "hello");
    assert_string_equal(s, "hello");
    char *t = arena_strndup(a, "hello world", 5);
    assert_string_equal(t, "hello");
    char *e = arena_strndup(a, "", 0);
    assert_string_equal(e, "");
    /* A copy, not the same pointer. */
    const char *orig = "copy me";
    char *c = arena_strdup(a, orig);
    assert_ptr_not_equal(c, orig);
    assert_string_equal(c, orig);
    arena_free(a);
}

static void test_printf_long_output(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    char *fill = malloc(20001);
    assert_non_null(fill);
    memset(fill, 'x', 20000);
    fill[20000] = '\0';
    char *s = arena_printf(a, "<%s|%d>", fill, 42);
    assert_int_equal(strlen(s), 20000 + 5);
    assert_int_equal(s[0], '<');
    assert_string_equal(s + 20001, "|42>");
    free(fill);
    arena_free(a);
}

static void test_reset_reuses_memory(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    char *first = arena_alloc(a, 16);
    for (int i = 0; i < 5000; i++)
        arena_alloc(a, 64);
    arena_alloc(a, 100000);
    arena_reset(a);
    /* After a reset the arena starts again at the start of its first block. */
    char *again = arena_alloc(a, 16);
    assert_ptr_equal(again, first);
    assert_string_equal(arena_strdup(a, "still works"), "still works");
    arena_free(a);
}

static void test_free_null(void **state)
{
    (void)state;
    arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_is_aligned_and_distinct),
        cmocka_unit_test(test_allocations_survive_new_blocks),
        cmocka_unit_test(test_large_allocation),
        cmocka_unit_test(test_calloc_zeroes),
        cmocka_unit_test(test_calloc_overflow_aborts),
        cmocka_unit_test(test_strdup_and_strndup),
        cmocka_unit_test(test_printf_long_output),
        cmocka_unit_test(test_reset_reuses_memory),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests_name("core_arena", tests, NULL, NULL);
}
