/* A bump allocator: many small allocations, one free. Each request owns one;
 * the store writes its results into the arena its caller passes. Not thread-safe. */
#ifndef TODO_CORE_ARENA_H
#define TODO_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena_t;

/** Creates an empty arena. Never NULL (out of memory aborts). */
arena_t *arena_new(void);
/** Frees the arena and everything allocated from it; arena_free(NULL) is fine. */
void arena_free(arena_t *a);
/** Releases every allocation but keeps the first block for reuse. */
void arena_reset(arena_t *a);
/** Returns size bytes aligned for any type; the memory is not zeroed. */
void *arena_alloc(arena_t *a, size_t size);
/** Like arena_alloc, zeroed. */
void *arena_calloc(arena_t *a, size_t n, size_t size);
/** Copies n bytes of s and a terminating NUL into the arena. */
char *arena_strndup(arena_t *a, const char *s, size_t n);
/** Copies a NUL-terminated string into the arena; NULL gives NULL. */
char *arena_strdup(arena_t *a, const char *s);
/** printf into a string that lives in the arena. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** vprintf into a string that lives in the arena. */
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
