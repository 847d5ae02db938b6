/* Allocation that never returns NULL: running out of memory aborts (STYLE.md). */
#ifndef TODO_CORE_XALLOC_H
#define TODO_CORE_XALLOC_H

#include <stddef.h>

/** malloc() that aborts with a message when memory is exhausted. */
void *xmalloc(size_t size);
/** calloc() that aborts when memory is exhausted or n * size overflows. */
void *xcalloc(size_t n, size_t size);
/** realloc() that aborts when memory is exhausted. */
void *xrealloc(void *ptr, size_t size);
/** strdup() that aborts when memory is exhausted; xstrdup(NULL) is NULL. */
char *xstrdup(const char *s);
/** strndup() that aborts when memory is exhausted. */
char *xstrndup(const char *s, size_t n);

#endif
