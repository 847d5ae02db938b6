/* Small helpers for validated UTF-8 text: code points, trimming, control
 * characters. Input is always valid UTF-8 (the JSON parser checked it), so
 * none of these re-validate it. Lengths are byte counts; a NUL byte is an
 * ordinary byte here (strings from JSON may hold one). */
#ifndef TODO_SCHEMA_TEXT_H
#define TODO_SCHEMA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/** True when n bytes are well-formed UTF-8 (no overlong forms, no
 *  surrogates, nothing above U+10FFFF). For text that did not come through
 *  the JSON parser, such as percent-decoded query parameters. */
bool text_valid_utf8(const char *s, size_t n);

/** Number of Unicode code points in n bytes of valid UTF-8. */
size_t text_codepoints(const char *s, size_t n);

/** Narrows [*s, *s + *n) by dropping leading and trailing space, tab, CR
 *  and LF (API.md's "whitespace" for titles and tags). */
void text_trim(const char **s, size_t *n);

/** True when the text holds a control character: C0 (U+0000-U+001F), DEL
 *  (U+007F) or C1 (U+0080-U+009F). */
bool text_has_control(const char *s, size_t n);

/** True when the text holds a NUL byte. */
bool text_has_nul(const char *s, size_t n);

/** Compares two byte strings ignoring ASCII case (other bytes exactly);
 *  true when equal. Independent of the C locale. */
bool text_equal_ascii_ci(const char *a, size_t an, const char *b, size_t bn);

#endif
