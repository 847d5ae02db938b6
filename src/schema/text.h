/* Small helpers for validated UTF-8 text: trimming, control characters,
 * ASCII case (validation and code points are in core/utf8.h). Input is
 * always valid UTF-8, so none of these re-validate it. Lengths are byte
 * counts; a NUL byte is an ordinary byte here (strings from JSON may hold
 * one). */
#ifndef TODO_SCHEMA_TEXT_H
#define TODO_SCHEMA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

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
