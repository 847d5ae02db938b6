/* Small pure parsers for the pieces of a request that come from the client:
 * query strings, percent-encoded path segments, X-Request-ID, Content-Type
 * and Authorization. No I/O and no h2o, so they are easy to test and fuzz. */
#ifndef TODO_HTTP_PARSE_H
#define TODO_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/ipnet.h"

/** Longest X-Request-ID echoed back. */
enum { HTTP_REQUEST_ID_MAX = 128 };

/** Percent-decodes n bytes of s into the arena ('+' becomes a space when
 *  plus_is_space). When s holds an invalid escape, or decodes to bytes that
 *  are not valid UTF-8 or contain NUL, returns the text undecoded instead,
 *  with bytes outside printable ASCII written as %XX, so the result is always
 *  a NUL-terminated string a handler can reject as invalid. */
const char *http_percent_decode(arena_t *arena, const char *s, size_t n, bool plus_is_space);

/** The first value of parameter name in a raw query string (without '?'),
 *  decoded by http_percent_decode; "" for a bare "name" or "name=";
 *  NULL when absent. Names are compared after decoding. */
const char *http_query_get(arena_t *arena, const char *query, size_t len, const char *name);

/** An absolute-form request target ("http://host:port/path?q", scheme
 *  http or https in any case) narrowed to its path and query ("/path?q";
 *  *n is 0 when it has neither, which means "/"). Any other target is left
 *  as it is. Returns true when the target was in absolute form. */
bool http_target_origin_form(const char **s, size_t *n);

/** The client's address behind trusted proxies (API.md section 5), from
 *  the X-Forwarded-For field values values[0..n) (lens[i] bytes each), in
 *  the order they were received: walking their comma-separated entries from
 *  the right, the first address not in `trusted` is the client's; when all
 *  are trusted, the leftmost. An entry is an IPv4 or IPv6 address, with
 *  optional brackets and port ("[::1]:80", "1.2.3.4:80"). Returns true and
 *  fills out; false when there is no entry, or when an entry met on the way
 *  is not an address (the caller then keeps the peer's address). */
bool http_forwarded_for(const ipnet_list_t *trusted, const char *const *values, const size_t *lens,
                        size_t n, uint8_t out[16]);

/** True when s (n bytes) is a client request id we echo: 1-128 characters
 *  of [A-Za-z0-9._:-]. */
bool http_request_id_is_valid(const char *s, size_t n);

/** True when a Content-Type value names application/json (case-insensitive,
 *  parameters such as "; charset=utf-8" allowed). */
bool http_content_type_is_json(const char *s, size_t n);

/** Extracts the token of an "Authorization: Bearer <token>" value (scheme
 *  case-insensitive, one or more spaces, then a non-empty token without
 *  spaces). Returns 0 and sets *tok and *tok_len, or -1 when malformed. */
int http_bearer_token(const char *s, size_t n, const char **tok, size_t *tok_len);

/** Copies n bytes of s into the arena with every byte outside printable
 *  ASCII (and space) written as %XX: safe for logs and JSON. */
const char *http_escape_nonprintable(arena_t *arena, const char *s, size_t n);

#endif
