/* Cross-origin resource sharing: which origins may read our responses
 * (CORS_ORIGINS), and the headers that say so. */
#ifndef TODO_HTTP_CORS_H
#define TODO_HTTP_CORS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cors cors_t;

/** Headers a browser may send on a cross-origin request (preflight answer). */
#define CORS_ALLOW_HEADERS                                                                         \
    "Authorization, Content-Type, X-Request-ID, If-Match, If-None-Match, Idempotency-Key"
/** Response headers a cross-origin script may read. */
#define CORS_EXPOSE_HEADERS "X-Total-Count, X-Request-ID, Location, ETag, Link, Idempotent-Replayed"
/** How long a browser may cache a preflight answer, in seconds. */
#define CORS_MAX_AGE "600"

/** Builds the origin list from a comma-separated CORS_ORIGINS value
 *  (entries trimmed, empty ones skipped; "*" anywhere allows any origin,
 *  without credentials). The value was validated by settings_load. Never
 *  NULL; origins is copied. */
cors_t *cors_new(const char *origins);
/** Frees it; NULL is fine. */
void cors_free(cors_t *c);

/** What to answer an Origin request header with. */
typedef struct cors_decision {
    bool allowed;     /* false: add no CORS header at all */
    bool credentials; /* add Access-Control-Allow-Credentials: true */
    bool wildcard;    /* Access-Control-Allow-Origin is "*" (else the origin) */
} cors_decision_t;

/** Decides for origin (len bytes; NULL when the request has none).
 *  Origins compare case-insensitively. */
cors_decision_t cors_check(const cors_t *c, const char *origin, size_t len);

#endif
