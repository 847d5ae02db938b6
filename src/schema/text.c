#include "schema/text.h"

#include <string.h>

static bool is_trim_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void text_trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len > 0 && is_trim_space(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && is_trim_space(p[len - 1]))
        len--;
    *s = p;
    *n = len;
}

bool text_has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return true;
        /* C1 controls U+0080-U+009F are encoded as C2 80 .. C2 9F. */
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9F &&
            (unsigned char)s[i + 1] >= 0x80)
            return true;
    }
    return false;
}

bool text_has_nul(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool text_equal_ascii_ci(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}
