#include "testkit.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/b64url.h"

static void *must(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "testkit: out of memory or OpenSSL failure\n");
        abort();
    }
    return p;
}

char *tk_b64(const void *p, size_t n)
{
    char *out = must(malloc(B64URL_ENCODED_LEN(n) + 1));
    b64url_encode(p, n, out);
    return out;
}

EVP_PKEY *tk_keygen(jwt_alg_t alg)
{
    switch (alg) {
    case JWT_ALG_EDDSA:
        return must(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
    case JWT_ALG_ES256:
        return must(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
    case JWT_ALG_RS256:
        return must(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
    default:
        abort();
    }
}

static char *bn_b64(EVP_PKEY *key, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        abort();
    int n = pad > 0 ? pad : BN_num_bytes(bn);
    unsigned char *raw = must(malloc((size_t)n));
    BN_bn2binpad(bn, raw, n);
    char *out = tk_b64(raw, (size_t)n);
    free(raw);
    BN_free(bn);
    return out;
}

char *tk_jwk(EVP_PKEY *key, const char *kid, const char *alg_member)
{
    char *out = must(malloc(4096));
    char alg[64] = "";
    if (alg_member != NULL)
        snprintf(alg, sizeof(alg), "\"alg\":\"%s\",", alg_member);
    if (EVP_PKEY_is_a(key, "ED25519")) {
        unsigned char raw[32];
        size_t n = sizeof(raw);
        EVP_PKEY_get_raw_public_key(key, raw, &n);
        char *x = tk_b64(raw, n);
        snprintf(out, 4096, "{%s\"crv\":\"Ed25519\",\"x\":\"%s\",\"kty\":\"OKP\",\"kid\":\"%s\"}",
                 alg, x, kid);
        free(x);
    } else if (EVP_PKEY_is_a(key, "EC")) {
        char *x = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        char *y = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        snprintf(out, 4096,
                 "{%s\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\"}",
                 alg, x, y, kid);
        free(x);
        free(y);
    } else {
        char *n = bn_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
        char *e = bn_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        snprintf(out, 4096, "{%s\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":\"%s\"}", alg, n,
                 e, kid);
        free(n);
        free(e);
    }
    return out;
}

char *tk_jwks(const char *const *jwks, size_t n)
{
    size_t len = 16;
    for (size_t i = 0; i < n; i++)
        len += strlen(jwks[i]) + 1;
    char *out = must(malloc(len));
    strcpy(out, "{\"keys\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, ",");
        strcat(out, jwks[i]);
    }
    strcat(out, "]}");
    return out;
}

/* header.payload with both parts base64url-encoded. */
static char *signing_input(const char *header, const char *payload)
{
    char *h = tk_b64(header, strlen(header));
    char *p = tk_b64(payload, strlen(payload));
    char *out = must(malloc(strlen(h) + strlen(p) + 2));
    sprintf(out, "%s.%s", h, p);
    free(h);
    free(p);
    return out;
}

static char *join_sig(char *input, const unsigned char *sig, size_t n)
{
    char *s = tk_b64(sig, n);
    char *out = must(malloc(strlen(input) + strlen(s) + 2));
    sprintf(out, "%s.%s", input, s);
    free(s);
    free(input);
    return out;
}

char *tk_sign_hmac(const void *key, size_t key_len, const char *header, const char *payload)
{
    char *input = signing_input(header, payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (unsigned char *)input, strlen(input), mac, &n);
    return join_sig(input, mac, n);
}

char *tk_sign_pkey(EVP_PKEY *key, const char *header, const char *payload)
{
    char *input = signing_input(header, payload);
    bool ed = EVP_PKEY_is_a(key, "ED25519");
    EVP_MD_CTX *ctx = must(EVP_MD_CTX_new());
    if (EVP_DigestSignInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, key) != 1)
        abort();
    size_t n = 0;
    EVP_DigestSign(ctx, NULL, &n, (unsigned char *)input, strlen(input));
    unsigned char *sig = must(malloc(n));
    if (EVP_DigestSign(ctx, sig, &n, (unsigned char *)input, strlen(input)) != 1)
        abort();
    EVP_MD_CTX_free(ctx);
    if (EVP_PKEY_is_a(key, "EC")) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = must(d2i_ECDSA_SIG(NULL, &p, (long)n));
        unsigned char raw[64];
        BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        n = 64;
    }
    char *out = join_sig(input, sig, n);
    free(sig);
    return out;
}
