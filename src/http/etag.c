#include "http/etag.h"

#include <string.h>

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* Reads one entity-tag at s[*i]; returns false when there is none. */
static bool read_tag(const char *s, size_t len, size_t *i, http_etag_t *tag)
{
    size_t p = *i;
    tag->weak = false;
    if (len - p >= 2 && s[p] == 'W' && s[p + 1] == '/') {
        tag->weak = true;
        p += 2;
    }
    if (p >= len || s[p] != '"')
        return false;
    size_t start = ++p;
    while (p < len && is_etagc((unsigned char)s[p]))
        p++;
    if (p >= len || s[p] != '"')
        return false;
    tag->opaque = s + start;
    tag->len = p - start;
    *i = p + 1;
    return true;
}

http_etag_list_kind_t http_etag_list_parse(const char *value, size_t len, http_etag_t *out,
                                           size_t max, size_t *n)
{
    size_t i = 0, kept = 0, seen = 0;
    *n = 0;
    while (i < len && is_ows(value[i]))
        i++;
    size_t end = len;
    while (end > i && is_ows(value[end - 1]))
        end--;
    if (end - i == 1 && value[i] == '*')
        return HTTP_ETAGS_ANY;
    while (i < end) {
        if (value[i] == ',') { /* an empty element */
            i++;
        } else {
            http_etag_t tag;
            if (!read_tag(value, end, &i, &tag))
                return HTTP_ETAGS_MALFORMED;
            if (kept < max)
                out[kept++] = tag;
            seen++;
            while (i < end && is_ows(value[i]))
                i++;
            if (i < end && value[i] != ',')
                return HTTP_ETAGS_MALFORMED;
        }
        while (i < end && is_ows(value[i]))
            i++;
    }
    *n = kept;
    return seen > 0 ? HTTP_ETAGS_LIST : HTTP_ETAGS_MALFORMED;
}

bool http_etag_match(const char *value, size_t len, const char *etag, bool weak)
{
    http_etag_t mine;
    size_t at = 0;
    if (!read_tag(etag, strlen(etag), &at, &mine))
        return false;
    if (!weak && mine.weak)
        return false;
    enum { CHUNK = 16 };
    http_etag_t tags[CHUNK];
    size_t n;
    /* Compares in chunks, so that a long list needs no allocation. */
    size_t i = 0;
    while (i < len) {
        /* Find a cut after at most CHUNK elements: parse the whole value but
         * look at tags past the first CHUNK by re-parsing from the cut. */
        http_etag_list_kind_t kind = http_etag_list_parse(value + i, len - i, tags, CHUNK, &n);
        if (kind == HTTP_ETAGS_ANY)
            return true;
        if (kind == HTTP_ETAGS_MALFORMED)
            return false;
        for (size_t k = 0; k < n; k++) {
            if (!weak && tags[k].weak)
                continue;
            if (tags[k].len == mine.len && memcmp(tags[k].opaque, mine.opaque, mine.len) == 0)
                return true;
        }
        if (n < CHUNK)
            return false;
        /* Continue right after the last tag kept. */
        i = (size_t)(tags[CHUNK - 1].opaque + tags[CHUNK - 1].len + 1 - value);
        while (i < len && (is_ows(value[i]) || value[i] == ','))
            i++;
    }
    return false;
}
