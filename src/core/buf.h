/* A growable byte buffer on the heap, always NUL-terminated. */
#ifndef TODO_CORE_BUF_H
#define TODO_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data; /* NUL-terminated once anything was written; NULL before */
    size_t len;
    size_t cap;
} buf_t;

/* clang-format off */
#define BUF_INIT {NULL, 0, 0}
/* clang-format on */

/** Makes an empty buffer (no allocation yet). */
void buf_init(buf_t *b);
/** Frees the buffer's memory; the buffer is empty afterwards. */
void buf_dispose(buf_t *b);
/** Makes room for at least extra more bytes (plus the NUL). */
void buf_reserve(buf_t *b, size_t extra);
/** Appends n bytes. */
void buf_append(buf_t *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
void buf_puts(buf_t *b, const char *s);
/** Appends one byte. */
void buf_putc(buf_t *b, char c);
/** Appends printf output. */
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Empties the buffer and keeps its memory. */
void buf_clear(buf_t *b);

#endif
