/* Fuzz target: the JWT parser and verifier, and the JWKS reader.
 *
 * Input: byte 0 picks a mode, the rest is the data.
 *   0: the data is a bearer token, verified as is.
 *   1: the data is "header JSON \0 payload JSON", signed here with HS256 and
 *      the configured secret, then verified.
 *   2: the same, signed with the Ed25519 key whose kid is "k1".
 *   3: the data is a JWKS document.
 * Properties: nothing crashes or leaks; a token that verifies has a valid sub
 * and an unexpired exp, and still fails when one byte of its signing input
 * or signature changes; a JWKS never yields more keys than it lists. */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/b64url.h"
#include "auth/jwk.h"
#include "auth/jwt.h"
#include "core/arena.h"
#include "core/log.h"
#include "fuzz.h"

#define NOW 1765000000LL

static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret!";
static const unsigned char ed_seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                          12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                          23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static EVP_PKEY *ed_key;
static jwk_set_t *keys;
static jwt_config_t cfg;

#define check(ok) check_at((ok), #ok, __LINE__)

static void check_at(bool ok, const char *what, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_jwt.c:%d: check failed: %s\n", line, what);
        abort();
    }
}

static void init(void)
{
    if (ed_key != NULL)
        return;
    log_configure(LOG_ERROR, LOG_FORMAT_TEXT);
    ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ed_seed, sizeof(ed_seed));
    unsigned char pub[32];
    size_t n = sizeof(pub);
    char x[64], doc[256], err[128];
    check(ed_key != NULL && EVP_PKEY_get_raw_public_key(ed_key, pub, &n) == 1);
    b64url_encode(pub, n, x);
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kty\":\"OKP\","
             "\"kid\":\"k1\"}]}",
             x);
    keys = jwk_set_new();
    check(jwk_set_add_json(keys, doc, strlen(doc), "fuzz", err, sizeof(err)) == 1);
    cfg = (jwt_config_t){.secret = (const unsigned char *)secret,
                         .secret_len = sizeof(secret) - 1,
                         .issuer = "https://issuer.test",
                         .audience = "https://aud.test"};
    check(jwt_config_prepare(&cfg) == 0);
}

/* Verifies tok; when it passes, checks the claims and that any one-byte
 * change breaks it. */
static void verify(char *tok, size_t len)
{
    arena_t *arena = arena_new();
    jwt_claims_t c;
    jwt_status_t st = jwt_verify(&cfg, keys, tok, len, NOW, arena, &c);
    if (st == JWT_OK) {
        check(c.sub != NULL && jwt_sub_valid(c.sub, strlen(c.sub)));
        check(c.exp + JWT_LEEWAY > (double)NOW);
        check(c.alg == JWT_ALG_HS256 || c.alg == JWT_ALG_EDDSA);
        for (size_t i = 0; i < len; i += 1 + len / 16) {
            if (tok[i] == '.')
                continue;
            char saved = tok[i];
            tok[i] = saved == 'A' ? 'B' : 'A';
            jwt_claims_t c2;
            check(jwt_verify(&cfg, keys, tok, len, NOW, arena, &c2) != JWT_OK);
            tok[i] = saved;
        }
    } else {
        check(c.sub == NULL);
    }
    arena_free(arena);
}

/* b64(header).b64(payload) into a new buffer with room for a signature. */
static char *signing_input(const uint8_t *h, size_t hn, const uint8_t *p, size_t pn, size_t *len)
{
    char *out = malloc(B64URL_ENCODED_LEN(hn) + B64URL_ENCODED_LEN(pn) + 600);
    if (out == NULL)
        abort();
    size_t n = b64url_encode(h, hn, out);
    out[n++] = '.';
    n += b64url_encode(p, pn, out + n);
    *len = n;
    return out;
}

static void signed_mode(const uint8_t *data, size_t size, bool ed)
{
    const uint8_t *nul = memchr(data, 0, size);
    if (nul == NULL)
        return;
    size_t hn = (size_t)(nul - data), len;
    char *tok = signing_input(data, hn, nul + 1, size - hn - 1, &len);
    unsigned char sig[64];
    size_t sig_len = sizeof(sig);
    if (ed) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        check(ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, ed_key) == 1);
        check(EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)tok, len) == 1);
        EVP_MD_CTX_free(ctx);
    } else {
        unsigned int n = 0;
        HMAC(EVP_sha256(), secret, (int)sizeof(secret) - 1, (unsigned char *)tok, len, sig, &n);
        sig_len = n;
    }
    tok[len++] = '.';
    len += b64url_encode(sig, sig_len, tok + len);
    verify(tok, len);
    free(tok);
}

static void jwks_mode(const uint8_t *data, size_t size)
{
    jwk_set_t *s = jwk_set_new();
    char err[128];
    int n = jwk_set_add_json(s, (const char *)data, size, "fuzz", err, sizeof(err));
    if (n >= 0) {
        json_t *doc = json_loadb((const char *)data, size, 0, NULL);
        check((size_t)n == jwk_set_count(s));
        check((size_t)n <= json_array_size(json_object_get(doc, "keys")));
        json_decref(doc);
    }
    jwk_set_unref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 4;
    data++;
    size--;
    if (mode == 0) {
        char *tok = malloc(size + 1);
        if (tok == NULL)
            abort();
        memcpy(tok, data, size);
        verify(tok, size);
        free(tok);
    } else if (mode == 1 || mode == 2) {
        signed_mode(data, size, mode == 2);
    } else {
        jwks_mode(data, size);
    }
    return 0;
}
