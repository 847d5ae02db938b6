/* Writing JSON text into a buf_t. The caller places commas and braces; these
 * helpers get escaping and number formatting right. Parsing uses jansson. */
#ifndef TODO_CORE_JSON_OUT_H
#define TODO_CORE_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/** Writes s as a quoted, escaped JSON string, or null when s is NULL.
 *  Input must be valid UTF-8 (it was validated on the way in). */
void json_put_str(buf_t *b, const char *s);
/** Like json_put_str for n bytes (may contain NUL, written as \u0000). */
void json_put_strn(buf_t *b, const char *s, size_t n);
/** Writes "key": (the key is trusted ASCII and written unescaped). */
void json_put_key(buf_t *b, const char *key);
/** Writes a decimal integer. */
void json_put_int(buf_t *b, int64_t v);
/** Writes true or false. */
void json_put_bool(buf_t *b, bool v);
/** Writes null. */
void json_put_null(buf_t *b);

#endif
