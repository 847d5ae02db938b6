/* Where JWKS documents come from: a local file (JWKS_FILE) or an HTTP(S) URL
 * (JWKS_URL, fetched with libcurl). Both block: call them at start-up or on
 * the blocking-work pool, never on an event loop. */
#ifndef TODO_AUTH_JWKS_SOURCE_H
#define TODO_AUTH_JWKS_SOURCE_H

#include <stddef.h>

#include "auth/jwk.h"

enum {
    JWKS_MAX_BYTES = 1 << 20, /* a larger document is refused */
    JWKS_TIMEOUT_MS = 5000,   /* whole fetch, connection included */
};

/** True when url is an http:// or https:// URL (the only schemes fetched). */
int jwks_url_ok(const char *url);

/** Adds the keys of the JWKS file at path to s. Returns the number of keys
 *  added or -1 with one line in err. */
int jwks_read_file(jwk_set_t *s, const char *path, char *err, size_t errlen);

/** Fetches url (GET, 200 only, at most JWKS_MAX_BYTES, JWKS_TIMEOUT_MS, up to
 *  3 redirects within http/https) and adds its keys to s. Returns the number
 *  of keys added or -1 with one line in err (the URL itself is not repeated,
 *  as it may carry credentials). curl_global_init must have run. */
int jwks_fetch_url(jwk_set_t *s, const char *url, char *err, size_t errlen);

#endif
