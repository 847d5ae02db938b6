#include "http/parse.h"

#include <string.h>
#include <strings.h>

#include "core/utf8.h"

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *http_escape_nonprintable(arena_t *arena, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = arena_alloc(arena, n * 3 + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7f) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *http_percent_decode(arena_t *arena, const char *s, size_t n, bool plus_is_space)
{
    char *out = arena_alloc(arena, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3)
                return http_escape_nonprintable(arena, s, n);
            int hi = hex_value((unsigned char)s[i + 1]);
            int lo = hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return http_escape_nonprintable(arena, s, n);
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0)
                return http_escape_nonprintable(arena, s, n);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!utf8_is_valid(out, o))
        return http_escape_nonprintable(arena, s, n);
    return out;
}

const char *http_query_get(arena_t *arena, const char *query, size_t len, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = query, *end = query + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq != NULL ? eq : pair_end;
        size_t key_len = (size_t)(key_end - p);
        bool match;
        if (memchr(p, '%', key_len) == NULL && memchr(p, '+', key_len) == NULL) {
            match = key_len == name_len && memcmp(p, name, name_len) == 0;
        } else {
            const char *key = http_percent_decode(arena, p, key_len, true);
            match = strcmp(key, name) == 0;
        }
        if (match && key_len != 0) {
            if (eq == NULL)
                return "";
            return http_percent_decode(arena, eq + 1, (size_t)(pair_end - eq - 1), true);
        }
        p = pair_end + (amp != NULL);
    }
    return NULL;
}

bool http_target_origin_form(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n, skip;
    if (len >= 7 && strncasecmp(p, "http://", 7) == 0)
        skip = 7;
    else if (len >= 8 && strncasecmp(p, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    while (skip < len && p[skip] != '/' && p[skip] != '?' && p[skip] != '#')
        skip++; /* the authority */
    *s = p + skip;
    *n = len - skip;
    return true;
}

/* One X-Forwarded-For entry (OWS already trimmed) as an address. */
static bool forwarded_entry(const char *s, size_t n, uint8_t out[16])
{
    if (n > 0 && s[0] == '[') { /* [v6] or [v6]:port */
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return false;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest != 0 && (close[1] != ':' || rest == 1))
            return false;
        for (size_t i = 2; i <= rest; i++)
            if (close[i] < '0' || close[i] > '9')
                return false;
        return memchr(s + 1, ':', (size_t)(close - s - 1)) != NULL &&
               ipnet_addr_parse(s + 1, (size_t)(close - s - 1), out);
    }
    const char *colon = memchr(s, ':', n);
    if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL) {
        /* exactly one colon: IPv4 with a port */
        size_t port_len = n - (size_t)(colon - s) - 1;
        if (port_len == 0)
            return false;
        for (size_t i = 1; i <= port_len; i++)
            if (colon[i] < '0' || colon[i] > '9')
                return false;
        n = (size_t)(colon - s);
        if (memchr(s, ':', n) != NULL)
            return false;
    }
    return ipnet_addr_parse(s, n, out);
}

bool http_forwarded_for(const ipnet_list_t *trusted, const char *const *values, const size_t *lens,
                        size_t n, uint8_t out[16])
{
    bool found = false;
    for (size_t v = n; v-- > 0;) {
        const char *s = values[v];
        size_t end = lens[v];
        for (;;) {
            size_t start = end;
            while (start > 0 && s[start - 1] != ',')
                start--;
            size_t a = start, b = end;
            while (a < b && is_ows(s[a]))
                a++;
            while (b > a && is_ows(s[b - 1]))
                b--;
            if (a < b) { /* empty entries (",,") are skipped */
                if (!forwarded_entry(s + a, b - a, out))
                    return false;
                found = true;
                if (!ipnet_list_contains(trusted, out))
                    return true;
            }
            if (start == 0)
                break;
            end = start - 1;
        }
    }
    return found; /* all trusted: out holds the leftmost */
}

bool http_request_id_is_valid(const char *s, size_t n)
{
    if (n == 0 || n > HTTP_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool http_content_type_is_json(const char *s, size_t n)
{
    static const char json[] = "application/json";
    const size_t jlen = sizeof(json) - 1;
    size_t i = 0;
    while (i < n && is_ows(s[i]))
        i++;
    if (n - i < jlen || strncasecmp(s + i, json, jlen) != 0)
        return false;
    i += jlen;
    while (i < n && is_ows(s[i]))
        i++;
    return i == n || s[i] == ';';
}

int http_bearer_token(const char *s, size_t n, const char **tok, size_t *tok_len)
{
    static const char scheme[] = "Bearer";
    const size_t slen = sizeof(scheme) - 1;
    if (n <= slen || strncasecmp(s, scheme, slen) != 0 || s[slen] != ' ')
        return -1;
    size_t i = slen;
    while (i < n && s[i] == ' ')
        i++;
    size_t end = n;
    while (end > i && is_ows(s[end - 1]))
        end--;
    if (end == i)
        return -1;
    for (size_t k = i; k < end; k++)
        if (is_ows(s[k]))
            return -1;
    *tok = s + i;
    *tok_len = end - i;
    return 0;
}
