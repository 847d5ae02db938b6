/* Compact JWS tokens (RFC 7515/7519): parsing, signature check and claim
 * rules of API.md section 3, and HS256 signing for tokens this server issues.
 *
 * The key decides the algorithm, never the token: HS256 is checked only with
 * the configured secret (so an HS256 token "signed" with a public key's bytes
 * fails), and EdDSA/ES256/RS256 only with the JWKS key named by the token's
 * kid, whose own algorithm must be the header's. Pure functions: no I/O, no
 * clock (the caller passes `now`), safe to call from any thread. */
#ifndef TODO_AUTH_JWT_H
#define TODO_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/jwk.h"
#include "core/arena.h"

/** Why a token was refused. Every status but JWT_OK means 401. */
typedef enum jwt_status {
    JWT_OK = 0,
    JWT_MALFORMED = -1,     /* not three canonical base64url parts of JSON objects, too long */
    JWT_BAD_ALG = -2,       /* alg missing, none, unsupported, or no key for it */
    JWT_UNKNOWN_KID = -3,   /* asymmetric alg whose kid is not in the key set */
    JWT_KEY_MISMATCH = -4,  /* the kid's key is for another algorithm */
    JWT_BAD_SIGNATURE = -5, /* the signature does not verify */
    JWT_EXPIRED = -6,       /* exp (plus leeway) has passed */
    JWT_NOT_YET_VALID = -7, /* nbf or iat lies beyond now plus leeway */
    JWT_BAD_CLAIMS = -8,    /* exp missing, sub invalid, iss/aud mismatch, bad types */
} jwt_status_t;

enum {
    JWT_MAX_TOKEN = 8192, /* longer tokens are refused unread */
    JWT_MAX_DEPTH = 16,   /* deepest nesting of header or payload JSON */
    JWT_MAX_SUB = 128,    /* sub: 1-128 of [A-Za-z0-9._-] */
    JWT_MAX_EMAIL = 320,  /* a longer email claim makes the token invalid */
    JWT_LEEWAY = 60,      /* seconds of clock skew allowed on exp, nbf and iat */
};

/** What a verifier accepts. Strings are borrowed. */
typedef struct jwt_config {
    const unsigned char *secret; /* HS256 key (BETTER_AUTH_SECRET) or NULL: no HS256 */
    size_t secret_len;
    const char *issuer;   /* when set, iss must equal it */
    const char *audience; /* when set, aud must equal it or (array) contain it */
    EVP_MAC_CTX *hmac;    /* from jwt_config_prepare, or NULL */
} jwt_config_t;

/** Keys an HMAC-SHA256 template with cfg->secret once, so that each HS256
 *  check copies it instead of setting up the key again (the template is only
 *  read, so threads may share it). Optional: without it checks still work.
 *  Returns 0, or -1 when OpenSSL cannot make it. */
int jwt_config_prepare(jwt_config_t *cfg);
/** Frees what jwt_config_prepare made. */
void jwt_config_dispose(jwt_config_t *cfg);

/** The claims a verified token gives; strings live in the arena. */
typedef struct jwt_claims {
    const char *sub;   /* [A-Za-z0-9._-]{1,128}; an integer sub as its decimal string */
    const char *email; /* or NULL */
    double exp;
    jwt_alg_t alg;
    const char *kid; /* header kid or NULL; set for JWT_UNKNOWN_KID too */
} jwt_claims_t;

/** Verifies token (len bytes, need not be NUL-terminated) at time now (Unix
 *  seconds) against cfg and keys (NULL: no JWKS). On JWT_OK fills *out. On
 *  JWT_UNKNOWN_KID the claims were otherwise valid and out->kid names the
 *  missing key, so the caller may refetch the key set and try again. Leeway:
 *  valid while now < exp + 60, from nbf - 60, and with iat <= now + 60. */
jwt_status_t jwt_verify(const jwt_config_t *cfg, const jwk_set_t *keys, const char *token,
                        size_t len, long long now, arena_t *arena, jwt_claims_t *out);

/** A short English reason for a status, for debug logs. */
const char *jwt_status_str(jwt_status_t st);

/** True when s (n bytes) is a valid subject: 1-128 of [A-Za-z0-9._-]. */
bool jwt_sub_valid(const char *s, size_t n);

/** Signs {"sub","email"?,"iat","exp"} with HS256 under the header
 *  {"alg":"HS256","typ":"JWT"}; email may be NULL. Returns the token in arena. */
const char *jwt_sign_hs256(const unsigned char *secret, size_t secret_len, const char *sub,
                           const char *email, long long iat, long long exp, arena_t *arena);

#endif
