/* Entity tags and the conditional request headers that carry them
 * (RFC 9110 §8.8.3, §13.1.1, §13.1.2): parsing If-Match / If-None-Match
 * lists and comparing tags. Pure functions, no h2o, easy to test and fuzz. */
#ifndef TODO_HTTP_ETAG_H
#define TODO_HTTP_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/** One entity-tag of a list: its opaque part without the quotes. */
typedef struct http_etag {
    bool weak;          /* W/ prefix */
    const char *opaque; /* points into the parsed value */
    size_t len;
} http_etag_t;

/** What a conditional header's value is. */
typedef enum http_etag_list_kind {
    HTTP_ETAGS_MALFORMED = -1, /* not "*" nor a list of entity-tags */
    HTTP_ETAGS_LIST = 0,       /* one or more entity-tags (empty elements skipped) */
    HTTP_ETAGS_ANY = 1,        /* "*" */
} http_etag_list_kind_t;

/** Parses value (len bytes): "*", or a comma-separated list of entity-tags
 *  ([W/]"<etagc>*", optional whitespace around commas, empty elements
 *  allowed). Up to max tags go into out (the rest are checked, not kept);
 *  *n is how many were kept. An empty list is HTTP_ETAGS_MALFORMED. */
http_etag_list_kind_t http_etag_list_parse(const char *value, size_t len, http_etag_t *out,
                                           size_t max, size_t *n);

/** Whether a conditional header's value matches etag, a full entity-tag
 *  as the server sends it ("\"12-3\"" or "W/\"...\""). weak selects the
 *  weak comparison (If-None-Match: W/ ignored on both sides), else the
 *  strong one (If-Match: both must be strong and equal). "*" matches any
 *  etag; a malformed value matches nothing. */
bool http_etag_match(const char *value, size_t len, const char *etag, bool weak);

#endif
