#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

enum { ARENA_BLOCK = 8192, ARENA_ALIGN = 16 };

typedef struct block {
    struct block *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
} block_t;

struct arena {
    block_t *head;
};

static block_t *block_new(size_t cap)
{
    block_t *b = xmalloc(sizeof(*b) + cap);
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

arena_t *arena_new(void)
{
    arena_t *a = xmalloc(sizeof(*a));
    a->head = block_new(ARENA_BLOCK);
    return a;
}

static void free_blocks(block_t *b)
{
    while (b != NULL) {
        block_t *next = b->next;
        free(b);
        b = next;
    }
}

void arena_free(arena_t *a)
{
    if (a == NULL)
        return;
    free_blocks(a->head);
    free(a);
}

void arena_reset(arena_t *a)
{
    block_t *last = a->head;
    while (last->next != NULL)
        last = last->next;
    /* The first block allocated is the last in the list; keep it. */
    block_t *b = a->head;
    while (b != last) {
        block_t *next = b->next;
        free(b);
        b = next;
    }
    last->used = 0;
    a->head = last;
}

void *arena_alloc(arena_t *a, size_t size)
{
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    block_t *b = a->head;
    if (b->cap - b->used < size) {
        if (size > ARENA_BLOCK / 4) {
            /* Large allocation: its own block, placed behind the head so the
             * head's free space stays usable. */
            block_t *big = block_new(size);
            big->used = size;
            big->next = b->next;
            b->next = big;
            return big->data;
        }
        b = block_new(ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *arena_calloc(arena_t *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        fprintf(stderr, "fatal: arena_calloc overflow\n");
        abort();
    }
    void *p = arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena_t *a, const char *fmt, va_list ap)
{
    /* Most strings fit a small buffer: format once; else measure, then
     * format again into the arena. */
    char small[256];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof(small), fmt, copy);
    va_end(copy);
    if (n < 0)
        return arena_strdup(a, "");
    if ((size_t)n < sizeof(small))
        return arena_strndup(a, small, (size_t)n);
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
