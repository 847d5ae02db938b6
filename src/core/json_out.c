#include "core/json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_put_strn(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    buf_putc(b, '"');
    size_t run = 0; /* start of the current run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_append(b, "\\\"", 2);
            break;
        case '\\':
            buf_append(b, "\\\\", 2);
            break;
        case '\n':
            buf_append(b, "\\n", 2);
            break;
        case '\r':
            buf_append(b, "\\r", 2);
            break;
        case '\t':
            buf_append(b, "\\t", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, sizeof(esc));
        }
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

void json_put_str(buf_t *b, const char *s)
{
    if (s == NULL)
        json_put_null(b);
    else
        json_put_strn(b, s, strlen(s));
}

void json_put_key(buf_t *b, const char *key)
{
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_append(b, "\":", 2);
}

void json_put_int(buf_t *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    buf_append(b, tmp, (size_t)n);
}

void json_put_bool(buf_t *b, bool v)
{
    if (v)
        buf_append(b, "true", 4);
    else
        buf_append(b, "false", 5);
}

void json_put_null(buf_t *b)
{
    buf_append(b, "null", 4);
}
