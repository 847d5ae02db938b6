#include "auth/jwk.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/b64url.h"
#include "core/log.h"
#include "core/xalloc.h"

struct jwk_set {
    atomic_int refs;
    size_t n, cap;
    jwk_key_t *keys;
};

enum {
    KID_MAX = 256,       /* longer kids are refused */
    RSA_MAX_BYTES = 2048 /* 16384-bit modulus */
};

static const char *const alg_names[] = {
    [JWT_ALG_UNKNOWN] = NULL,  [JWT_ALG_HS256] = "HS256", [JWT_ALG_EDDSA] = "EdDSA",
    [JWT_ALG_ES256] = "ES256", [JWT_ALG_RS256] = "RS256",
};

const char *jwt_alg_name(jwt_alg_t alg)
{
    return (size_t)alg < sizeof(alg_names) / sizeof(alg_names[0]) ? alg_names[alg] : NULL;
}

jwt_alg_t jwt_alg_parse(const char *name)
{
    for (size_t i = 1; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
        if (strcmp(name, alg_names[i]) == 0)
            return (jwt_alg_t)i;
    return JWT_ALG_UNKNOWN;
}

jwk_set_t *jwk_set_new(void)
{
    jwk_set_t *s = xcalloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    return s;
}

jwk_set_t *jwk_set_ref(jwk_set_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void jwk_set_unref(jwk_set_t *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->keys[i].kid);
        EVP_PKEY_free(s->keys[i].pkey);
    }
    free(s->keys);
    free(s);
}

const jwk_key_t *jwk_set_find(const jwk_set_t *s, const char *kid)
{
    if (s == NULL || kid == NULL)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i].kid, kid) == 0)
            return &s->keys[i];
    return NULL;
}

size_t jwk_set_count(const jwk_set_t *s)
{
    return s == NULL ? 0 : s->n;
}

/* Decodes the base64url string member `name` of key; exact > 0 demands that
 * many bytes, otherwise 1..max. Returns a malloc'ed buffer or NULL. */
static unsigned char *member_bytes(json_t *key, const char *name, size_t exact, size_t max,
                                   size_t *len_out)
{
    json_t *v = json_object_get(key, name);
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    if (n > B64URL_ENCODED_LEN(exact > 0 ? exact : max))
        return NULL;
    unsigned char *out = xmalloc(B64URL_DECODED_MAX(n) + 1);
    long got = b64url_decode(json_string_value(v), n, out);
    if (got <= 0 || (exact > 0 && (size_t)got != exact) || (size_t)got > max) {
        free(out);
        return NULL;
    }
    *len_out = (size_t)got;
    return out;
}

/* Builds a public key of type name from params and checks it. */
static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
        goto out;
    }
    EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (check == NULL || EVP_PKEY_public_check(check) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(check);
out:
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *okp_key(json_t *key, const char **why)
{
    size_t n = 0;
    unsigned char *x = member_bytes(key, "x", 32, 32, &n);
    if (x == NULL) {
        *why = "bad Ed25519 \"x\"";
        return NULL;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x, n),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pkey = pkey_from_params("ED25519", params);
    free(x);
    if (pkey == NULL)
        *why = "OpenSSL refused the Ed25519 key";
    return pkey;
}

static EVP_PKEY *ec_key(json_t *key, const char **why)
{
    size_t nx = 0, ny = 0;
    EVP_PKEY *pkey = NULL;
    unsigned char *x = member_bytes(key, "x", 32, 32, &nx);
    unsigned char *y = member_bytes(key, "y", 32, 32, &ny);
    if (x == NULL || y == NULL) {
        *why = "bad P-256 \"x\" or \"y\"";
        goto out;
    }
    unsigned char point[65];
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
        OSSL_PARAM_construct_end(),
    };
    pkey = pkey_from_params("EC", params);
    if (pkey == NULL)
        *why = "the point is not on P-256";
out:
    free(x);
    free(y);
    return pkey;
}

static EVP_PKEY *rsa_key(json_t *key, const char **why)
{
    size_t nn = 0, ne = 0;
    EVP_PKEY *pkey = NULL;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    unsigned char *n = member_bytes(key, "n", 0, RSA_MAX_BYTES, &nn);
    unsigned char *e = member_bytes(key, "e", 0, 8, &ne);
    if (n == NULL || e == NULL) {
        *why = "bad RSA \"n\" or \"e\"";
        goto out;
    }
    bn_n = BN_bin2bn(n, (int)nn, NULL);
    bn_e = BN_bin2bn(e, (int)ne, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (bn_n == NULL || bn_e == NULL || bld == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
        *why = "OpenSSL could not hold the RSA key";
        goto out;
    }
    pkey = pkey_from_params("RSA", params);
    if (pkey == NULL) {
        *why = "OpenSSL refused the RSA key";
    } else if (EVP_PKEY_get_bits(pkey) < JWK_RSA_MIN_BITS) {
        *why = "RSA modulus shorter than 2048 bits";
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return pkey;
}

static const char *member_str(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* True when name is absent or a string equal to want. */
static bool absent_or(json_t *obj, const char *name, const char *want)
{
    json_t *v = json_object_get(obj, name);
    return v == NULL || (json_is_string(v) && strcmp(json_string_value(v), want) == 0);
}

/* A kid fit for a log line. */
static const char *printable_kid(const char *kid)
{
    if (kid == NULL)
        return "(none)";
    for (const char *p = kid; *p != '\0'; p++)
        if (*p < 0x20 || *p > 0x7e)
            return "(unprintable)";
    return kid;
}

/* Turns one JWK into a key: returns the alg (pkey set) or JWT_ALG_UNKNOWN with
 * a reason. The kty, crv and alg members must agree. */
static jwt_alg_t key_from_json(json_t *key, EVP_PKEY **pkey, const char **why)
{
    const char *kty = member_str(key, "kty");
    *pkey = NULL;
    if (kty == NULL) {
        *why = "no \"kty\"";
        return JWT_ALG_UNKNOWN;
    }
    if (!absent_or(key, "use", "sig")) {
        *why = "\"use\" is not \"sig\"";
        return JWT_ALG_UNKNOWN;
    }
    jwt_alg_t alg = JWT_ALG_UNKNOWN;
    if (strcmp(kty, "OKP") == 0 && absent_or(key, "alg", "EdDSA")) {
        const char *crv = member_str(key, "crv");
        if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
            *why = "OKP curve is not Ed25519";
            return JWT_ALG_UNKNOWN;
        }
        alg = JWT_ALG_EDDSA;
        *pkey = okp_key(key, why);
    } else if (strcmp(kty, "EC") == 0 && absent_or(key, "alg", "ES256")) {
        const char *crv = member_str(key, "crv");
        if (crv == NULL || strcmp(crv, "P-256") != 0) {
            *why = "EC curve is not P-256";
            return JWT_ALG_UNKNOWN;
        }
        alg = JWT_ALG_ES256;
        *pkey = ec_key(key, why);
    } else if (strcmp(kty, "RSA") == 0 && absent_or(key, "alg", "RS256")) {
        alg = JWT_ALG_RS256;
        *pkey = rsa_key(key, why);
    } else {
        *why = "unsupported key type or algorithm";
        return JWT_ALG_UNKNOWN;
    }
    return *pkey != NULL ? alg : JWT_ALG_UNKNOWN;
}

int jwk_set_add_json(jwk_set_t *s, const char *json, size_t len, const char *source, char *err,
                     size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *keys = json_is_object(doc) ? json_object_get(doc, "keys") : NULL;
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "%s is not a JWKS document (an object with a \"keys\" array)",
                 source);
        json_decref(doc);
        return -1;
    }
    int added = 0;
    size_t i;
    json_t *key;
    json_array_foreach(keys, i, key)
    {
        const char *kid = json_is_object(key) ? member_str(key, "kid") : NULL;
        const char *why = NULL;
        EVP_PKEY *pkey = NULL;
        jwt_alg_t alg = JWT_ALG_UNKNOWN;
        if (!json_is_object(key))
            why = "not an object";
        else if (kid == NULL || kid[0] == '\0' || strlen(kid) > KID_MAX)
            why = "no usable \"kid\"";
        else if (jwk_set_find(s, kid) != NULL)
            why = "duplicate kid";
        else
            alg = key_from_json(key, &pkey, &why);
        if (alg == JWT_ALG_UNKNOWN) {
            LOG_WARN("JWKS %s: skipping key %zu (kid %s): %s", source, i, printable_kid(kid), why);
            continue;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->keys = xrealloc(s->keys, s->cap * sizeof(*s->keys));
        }
        s->keys[s->n++] = (jwk_key_t){.kid = xstrdup(kid), .alg = alg, .pkey = pkey};
        added++;
    }
    json_decref(doc);
    return added;
}
