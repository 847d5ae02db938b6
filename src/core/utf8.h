/* UTF-8 as RFC 3629 defines it: the one validator behind request text
 * (percent-decoded parameters, JSON output checks) and the code-point count
 * behind every length limit. Lengths are byte counts; NUL is an ordinary
 * character. */
#ifndef TODO_CORE_UTF8_H
#define TODO_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when the n bytes at s are well-formed UTF-8: no overlong forms, no
 *  surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated
 *  sequence. NUL bytes are allowed; n == 0 is valid. */
bool utf8_is_valid(const char *s, size_t n);

/** The number of code points in n bytes of valid UTF-8 (every byte that is
 *  not a continuation byte starts one). On invalid input the result is
 *  meaningless but the call is safe. */
size_t utf8_count_codepoints(const char *s, size_t n);

#endif
