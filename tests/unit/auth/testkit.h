/* Test helpers: make keys with OpenSSL, write them as JWKs, sign tokens with
 * any algorithm (including wrong ones on purpose). Everything returned is
 * malloc'ed; the caller frees it. */
#ifndef TODO_TESTS_AUTH_TESTKIT_H
#define TODO_TESTS_AUTH_TESTKIT_H

#include <openssl/evp.h>
#include <stddef.h>

#include "auth/jwk.h"

/** A fresh key pair for alg (EdDSA, ES256 or RS256). */
EVP_PKEY *tk_keygen(jwt_alg_t alg);
/** The public JWK of key as JSON text; alg_member NULL leaves "alg" out. */
char *tk_jwk(EVP_PKEY *key, const char *kid, const char *alg_member);
/** {"keys":[jwk1,jwk2,...]} from n JWK texts. */
char *tk_jwks(const char *const *jwks, size_t n);
/** Signs header.payload (JSON texts) with key (EdDSA/ES256/RS256 by its
 *  type; ES256 as raw r||s) and returns the compact token. */
char *tk_sign_pkey(EVP_PKEY *key, const char *header, const char *payload);
/** Signs header.payload with HMAC-SHA256 under key. */
char *tk_sign_hmac(const void *key, size_t key_len, const char *header, const char *payload);
/** base64url of a string (no padding). */
char *tk_b64(const void *p, size_t n);

#endif
