/* Public keys from a JSON Web Key Set (RFC 7517), as Better Auth's jwt plugin
 * serves them at /api/auth/jwks: OKP/Ed25519 (EdDSA), EC/P-256 (ES256) and
 * RSA (RS256). A set is immutable once built and reference-counted, so one
 * thread can swap in a new set while others still verify with the old one. */
#ifndef TODO_AUTH_JWK_H
#define TODO_AUTH_JWK_H

#include <openssl/types.h>
#include <stddef.h>

/** The signature algorithms this server accepts. */
typedef enum jwt_alg {
    JWT_ALG_UNKNOWN = 0,
    JWT_ALG_HS256, /* HMAC-SHA256 with BETTER_AUTH_SECRET only */
    JWT_ALG_EDDSA, /* Ed25519 */
    JWT_ALG_ES256, /* ECDSA P-256 with SHA-256 */
    JWT_ALG_RS256, /* RSASSA-PKCS1-v1_5 with SHA-256 */
} jwt_alg_t;

/** The "alg" name of a JWS algorithm ("EdDSA"), or NULL for JWT_ALG_UNKNOWN. */
const char *jwt_alg_name(jwt_alg_t alg);
/** The algorithm named by a JWS "alg" value (case-sensitive), or JWT_ALG_UNKNOWN. */
jwt_alg_t jwt_alg_parse(const char *name);

/** One usable public key. */
typedef struct jwk_key {
    char *kid;      /* never NULL */
    jwt_alg_t alg;  /* agrees with the key type: a token must use exactly this alg */
    EVP_PKEY *pkey; /* public key */
} jwk_key_t;

typedef struct jwk_set jwk_set_t;

/** Smallest accepted RSA modulus, in bits. */
enum { JWK_RSA_MIN_BITS = 2048 };

/** Makes an empty set with one reference. */
jwk_set_t *jwk_set_new(void);
/** Takes one more reference; returns s. */
jwk_set_t *jwk_set_ref(jwk_set_t *s);
/** Drops one reference and frees the set with the last; NULL is fine. */
void jwk_set_unref(jwk_set_t *s);

/** Adds the keys of a JWKS document ({"keys": [...]}) to s, which the caller
 *  must not have shared yet. Keys this server cannot use (other algorithms or
 *  curves, "use" other than "sig", no kid, a kid already in the set, RSA below
 *  JWK_RSA_MIN_BITS, bad encodings) are skipped with a warning naming their
 *  kid. Returns the number of keys added, or -1 with a message in err when the
 *  document itself is not a JWKS. source names the document in messages. */
int jwk_set_add_json(jwk_set_t *s, const char *json, size_t len, const char *source, char *err,
                     size_t errlen);

/** The key with this kid, or NULL. Valid while the caller holds a reference. */
const jwk_key_t *jwk_set_find(const jwk_set_t *s, const char *kid);
/** Number of keys in the set. */
size_t jwk_set_count(const jwk_set_t *s);

#endif
