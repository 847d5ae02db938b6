#include "auth/jwt.h"

#include <jansson.h>
#include <math.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "auth/b64url.h"
#include "core/buf.h"
#include "core/json_out.h"

enum {
    KID_MAX = 256,
    HS256_LEN = 32,
    ED25519_SIG_LEN = 64,
    ES256_SIG_LEN = 64,
};

const char *jwt_status_str(jwt_status_t st)
{
    switch (st) {
    case JWT_OK:
        return "ok";
    case JWT_MALFORMED:
        return "malformed token";
    case JWT_BAD_ALG:
        return "algorithm not accepted";
    case JWT_UNKNOWN_KID:
        return "unknown kid";
    case JWT_KEY_MISMATCH:
        return "key is for another algorithm";
    case JWT_BAD_SIGNATURE:
        return "bad signature";
    case JWT_EXPIRED:
        return "expired";
    case JWT_NOT_YET_VALID:
        return "not yet valid";
    case JWT_BAD_CLAIMS:
        return "invalid claims";
    }
    return "unknown";
}

bool jwt_sub_valid(const char *s, size_t n)
{
    if (n == 0 || n > JWT_MAX_SUB)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* True when the JSON text nests at most JWT_MAX_DEPTH deep (strings skipped),
 * checked before jansson sees it. */
static bool depth_ok(const unsigned char *p, size_t n)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > JWT_MAX_DEPTH)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

/* Decodes one base64url part holding a JSON object; NULL when it is not one. */
static json_t *decode_object(const char *part, size_t n, arena_t *arena)
{
    unsigned char *raw = arena_alloc(arena, B64URL_DECODED_MAX(n) + 1);
    long len = b64url_decode(part, n, raw);
    if (len <= 0 || !depth_ok(raw, (size_t)len))
        return NULL;
    json_t *obj = json_loadb((const char *)raw, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The NUL-free value of a string member, or NULL when absent or another type;
 * *bad is set when present but not such a string. */
static const char *string_member(json_t *obj, const char *name, bool *bad)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* A NumericDate claim: 1 present (value in *out), 0 absent, -1 not a number. */
static int time_claim(json_t *payload, const char *name, double *out)
{
    json_t *v = json_object_get(payload, name);
    if (v == NULL)
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return isfinite(*out) ? 1 : -1;
}

static bool audience_ok(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return true;
    }
    return false;
}

static jwt_status_t check_claims(const jwt_config_t *cfg, json_t *payload, long long now,
                                 arena_t *arena, jwt_claims_t *out)
{
    double exp = 0, nbf = 0, iat = 0;
    int has_exp = time_claim(payload, "exp", &exp);
    int has_nbf = time_claim(payload, "nbf", &nbf);
    int has_iat = time_claim(payload, "iat", &iat);
    if (has_exp != 1 || has_nbf < 0 || has_iat < 0)
        return JWT_BAD_CLAIMS;
    double t = (double)now;
    if (t >= exp + JWT_LEEWAY)
        return JWT_EXPIRED;
    if ((has_nbf && nbf > t + JWT_LEEWAY) || (has_iat && iat > t + JWT_LEEWAY))
        return JWT_NOT_YET_VALID;

    json_t *sub = json_object_get(payload, "sub");
    const char *sub_str = NULL;
    char digits[32];
    if (json_is_string(sub)) {
        sub_str = json_string_value(sub);
        if (!jwt_sub_valid(sub_str, json_string_length(sub)))
            return JWT_BAD_CLAIMS;
    } else if (json_is_integer(sub)) {
        snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT, json_integer_value(sub));
        sub_str = digits;
        if (!jwt_sub_valid(sub_str, strlen(sub_str)))
            return JWT_BAD_CLAIMS;
    } else {
        return JWT_BAD_CLAIMS;
    }

    bool bad = false;
    const char *email = NULL;
    if (!json_is_null(json_object_get(payload, "email")))
        email = string_member(payload, "email", &bad);
    if (bad || (email != NULL && strlen(email) > JWT_MAX_EMAIL))
        return JWT_BAD_CLAIMS;

    if (cfg->issuer != NULL) {
        json_t *iss = json_object_get(payload, "iss");
        if (!json_is_string(iss) || strcmp(json_string_value(iss), cfg->issuer) != 0)
            return JWT_BAD_CLAIMS;
    }
    if (cfg->audience != NULL && !audience_ok(json_object_get(payload, "aud"), cfg->audience))
        return JWT_BAD_CLAIMS;

    out->sub = arena_strdup(arena, sub_str);
    out->email = arena_strdup(arena, email);
    out->exp = exp;
    return JWT_OK;
}

int jwt_config_prepare(jwt_config_t *cfg)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    jwt_config_dispose(cfg);
    if (cfg->secret == NULL)
        return 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    if (ctx == NULL || EVP_MAC_init(ctx, cfg->secret, cfg->secret_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return -1;
    }
    cfg->hmac = ctx;
    return 0;
}

void jwt_config_dispose(jwt_config_t *cfg)
{
    EVP_MAC_CTX_free(cfg->hmac);
    cfg->hmac = NULL;
}

/* HMAC-SHA256 of input under the secret into mac; false on an OpenSSL failure. */
static bool hmac_sha256(const jwt_config_t *cfg, const char *input, size_t input_len,
                        unsigned char mac[HS256_LEN])
{
    if (cfg->hmac == NULL) {
        unsigned int n = 0;
        return HMAC(EVP_sha256(), cfg->secret, (int)cfg->secret_len, (const unsigned char *)input,
                    input_len, mac, &n) != NULL &&
               n == HS256_LEN;
    }
    size_t n = 0;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(cfg->hmac);
    bool ok = ctx != NULL && EVP_MAC_update(ctx, (const unsigned char *)input, input_len) == 1 &&
              EVP_MAC_final(ctx, mac, &n, HS256_LEN) == 1 && n == HS256_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

static bool verify_hs256(const jwt_config_t *cfg, const char *input, size_t input_len,
                         const unsigned char *sig, size_t sig_len)
{
    unsigned char mac[HS256_LEN];
    if (sig_len != HS256_LEN || !hmac_sha256(cfg, input, input_len, mac))
        return false;
    return CRYPTO_memcmp(mac, sig, HS256_LEN) == 0;
}

/* Turns a JWS ES256 signature (raw r || s) into DER for OpenSSL. Returns the
 * DER length (buffer in *der, OPENSSL_free it) or -1. */
static int es256_to_der(const unsigned char *sig, unsigned char **der)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, ES256_SIG_LEN / 2, NULL);
    BIGNUM *s = BN_bin2bn(sig + ES256_SIG_LEN / 2, ES256_SIG_LEN / 2, NULL);
    int len = -1;
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        goto out;
    }
    *der = NULL;
    len = i2d_ECDSA_SIG(es, der);
out:
    ECDSA_SIG_free(es);
    return len > 0 ? len : -1;
}

static bool verify_pkey(const jwk_key_t *key, const char *input, size_t input_len,
                        const unsigned char *sig, size_t sig_len)
{
    const EVP_MD *md = EVP_sha256();
    unsigned char *der = NULL;
    bool ok = false;
    switch (key->alg) {
    case JWT_ALG_EDDSA:
        md = NULL;
        if (sig_len != ED25519_SIG_LEN)
            return false;
        break;
    case JWT_ALG_ES256: {
        if (sig_len != ES256_SIG_LEN)
            return false;
        int n = es256_to_der(sig, &der);
        if (n < 0)
            return false;
        sig = der;
        sig_len = (size_t)n;
        break;
    }
    case JWT_ALG_RS256:
        if (sig_len != (size_t)EVP_PKEY_get_size(key->pkey))
            return false;
        break;
    default:
        return false;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key->pkey) == 1)
        ok = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input, input_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

jwt_status_t jwt_verify(const jwt_config_t *cfg, const jwk_set_t *keys, const char *token,
                        size_t len, long long now, arena_t *arena, jwt_claims_t *out)
{
    json_t *header = NULL, *payload = NULL;
    jwt_status_t st = JWT_MALFORMED;
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > JWT_MAX_TOKEN)
        return JWT_MALFORMED;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
        return JWT_MALFORMED;
    size_t input_len = (size_t)(d2 - token);
    size_t sig_chars = len - input_len - 1;

    header = decode_object(token, (size_t)(d1 - token), arena);
    payload = decode_object(d1 + 1, (size_t)(d2 - d1 - 1), arena);
    unsigned char *sig = arena_alloc(arena, B64URL_DECODED_MAX(sig_chars) + 1);
    long sig_len = b64url_decode(d2 + 1, sig_chars, sig);
    if (header == NULL || payload == NULL || sig_len <= 0 ||
        json_object_get(header, "crit") != NULL)
        goto out;

    bool bad = false;
    const char *alg_name = string_member(header, "alg", &bad);
    const char *kid = string_member(header, "kid", &bad);
    if (bad || (kid != NULL && (kid[0] == '\0' || strlen(kid) > KID_MAX)))
        goto out;
    out->kid = arena_strdup(arena, kid);
    out->alg = alg_name ? jwt_alg_parse(alg_name) : JWT_ALG_UNKNOWN;
    st = JWT_BAD_ALG;
    if (out->alg == JWT_ALG_UNKNOWN)
        goto out;

    bool sig_ok;
    if (out->alg == JWT_ALG_HS256) {
        /* Only ever the secret: a kid naming a public key changes nothing. */
        if (cfg->secret == NULL)
            goto out;
        sig_ok = verify_hs256(cfg, token, input_len, sig, (size_t)sig_len);
    } else {
        if (kid == NULL)
            goto out;
        const jwk_key_t *key = jwk_set_find(keys, kid);
        if (key == NULL) {
            jwt_claims_t scratch = {0};
            st = check_claims(cfg, payload, now, arena, &scratch);
            if (st == JWT_OK)
                st = JWT_UNKNOWN_KID;
            goto out;
        }
        st = JWT_KEY_MISMATCH;
        if (key->alg != out->alg)
            goto out;
        sig_ok = verify_pkey(key, token, input_len, sig, (size_t)sig_len);
    }
    st = JWT_BAD_SIGNATURE;
    if (!sig_ok)
        goto out;
    st = check_claims(cfg, payload, now, arena, out);
out:
    json_decref(header);
    json_decref(payload);
    if (st != JWT_OK) {
        out->sub = NULL;
        out->email = NULL;
    }
    return st;
}

/* Appends the base64url form of n bytes to b. */
static void put_b64(buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, B64URL_ENCODED_LEN(n) + 1);
    b->len += b64url_encode(p, n, b->data + b->len);
}

const char *jwt_sign_hs256(const unsigned char *secret, size_t secret_len, const char *sub,
                           const char *email, long long iat, long long exp, arena_t *arena)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    buf_t payload = BUF_INIT, tok = BUF_INIT;
    buf_puts(&payload, "{");
    json_put_key(&payload, "sub");
    json_put_str(&payload, sub);
    if (email != NULL) {
        buf_puts(&payload, ",");
        json_put_key(&payload, "email");
        json_put_str(&payload, email);
    }
    buf_puts(&payload, ",");
    json_put_key(&payload, "iat");
    json_put_int(&payload, iat);
    buf_puts(&payload, ",");
    json_put_key(&payload, "exp");
    json_put_int(&payload, exp);
    buf_puts(&payload, "}");

    put_b64(&tok, header, sizeof(header) - 1);
    buf_putc(&tok, '.');
    put_b64(&tok, payload.data, payload.len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)tok.data, tok.len, mac,
         &mac_len);
    buf_putc(&tok, '.');
    put_b64(&tok, mac, mac_len);
    char *out = arena_strndup(arena, tok.data, tok.len);
    buf_dispose(&payload);
    buf_dispose(&tok);
    return out;
}
