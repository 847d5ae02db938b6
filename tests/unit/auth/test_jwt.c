/* JWT verification: every way a token can be refused, and the three
 * asymmetric algorithms with keys made here by OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/jwt.h"
#include "core/arena.h"
#include "testkit.h"

#define NOW 1765000000LL
#define SECRET "0123456789abcdef0123456789abcdef-test"
#define HS_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static arena_t *arena;
static jwt_config_t cfg;
static jwk_set_t *keys;
static EVP_PKEY *ed_key, *ec_key, *rsa_key;

static int setup(void **state)
{
    (void)state;
    ed_key = tk_keygen(JWT_ALG_EDDSA);
    ec_key = tk_keygen(JWT_ALG_ES256);
    rsa_key = tk_keygen(JWT_ALG_RS256);
    char *jwk[3] = {tk_jwk(ed_key, "ed1", "EdDSA"), tk_jwk(ec_key, "ec1", "ES256"),
                    tk_jwk(rsa_key, "rsa1", "RS256")};
    char *doc = tk_jwks((const char *const *)jwk, 3);
    char err[256];
    keys = jwk_set_new();
    if (jwk_set_add_json(keys, doc, strlen(doc), "test", err, sizeof(err)) != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        free(jwk[i]);
    free(doc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jwk_set_unref(keys);
    EVP_PKEY_free(ed_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(rsa_key);
    return 0;
}

static int each_setup(void **state)
{
    (void)state;
    arena = arena_new();
    cfg = (jwt_config_t){.secret = (const unsigned char *)SECRET, .secret_len = strlen(SECRET)};
    return 0;
}

static int each_teardown(void **state)
{
    (void)state;
    arena_free(arena);
    return 0;
}

static jwt_claims_t claims;

/* Verifies a malloc'ed token and frees it. */
static jwt_status_t check(char *token)
{
    jwt_status_t st = jwt_verify(&cfg, keys, token, strlen(token), NOW, arena, &claims);
    free(token);
    return st;
}

/* An HS256 token with the test secret and this payload. */
static char *hs(const char *payload)
{
    return tk_sign_hmac(SECRET, strlen(SECRET), HS_HEADER, payload);
}

/* A payload with sub "u1" and the given extra members after exp. */
static char *payload_exp(long long exp, const char *extra)
{
    static char p[1024];
    snprintf(p, sizeof(p), "{\"sub\":\"u1\",\"exp\":%lld%s}", exp, extra);
    return p;
}

#define OKP payload_exp(NOW + 600, "")

/* ---- HS256 ---------------------------------------------------------------- */

static void test_hs256_valid(void **state)
{
    (void)state;
    assert_int_equal(check(hs("{\"sub\":\"abcXYZ09._-\",\"email\":\"a@b.c\",\"iat\":1765000000,"
                              "\"exp\":1765000600}")),
                     JWT_OK);
    assert_string_equal(claims.sub, "abcXYZ09._-");
    assert_string_equal(claims.email, "a@b.c");
    assert_int_equal(claims.alg, JWT_ALG_HS256);
    assert_null(claims.kid);

    assert_int_equal(check(hs(OKP)), JWT_OK);
    assert_null(claims.email);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"email\":null"))), JWT_OK);
    assert_null(claims.email);
}

static void test_hs256_signed_token_round_trip(void **state)
{
    (void)state;
    const char *tok = jwt_sign_hs256((const unsigned char *)SECRET, strlen(SECRET), "user-7",
                                     "q\"uote@x.y", NOW - 10, NOW + 100, arena);
    assert_int_equal(jwt_verify(&cfg, keys, tok, strlen(tok), NOW, arena, &claims), JWT_OK);
    assert_string_equal(claims.sub, "user-7");
    assert_string_equal(claims.email, "q\"uote@x.y");
    assert_true(claims.exp == (double)(NOW + 100));
    /* Another secret does not verify it. */
    cfg.secret = (const unsigned char *)"another-secret-another-secret-1234";
    cfg.secret_len = strlen((const char *)cfg.secret);
    assert_int_equal(jwt_verify(&cfg, keys, tok, strlen(tok), NOW, arena, &claims),
                     JWT_BAD_SIGNATURE);
    assert_null(claims.sub);
}

static void test_hs256_bad_signature(void **state)
{
    (void)state;
    char *tok = hs(OKP);
    char *last = tok + strlen(tok) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(check(tok), JWT_BAD_SIGNATURE);

    tok = tk_sign_hmac("wrong-secret-wrong-secret-wrong-secret", 38, HS_HEADER, OKP);
    assert_int_equal(check(tok), JWT_BAD_SIGNATURE);

    /* A signature of the wrong length: its first 30 bytes (40 characters). */
    tok = hs(OKP);
    char *dot = strrchr(tok, '.');
    dot[1 + 40] = '\0';
    assert_int_equal(check(tok), JWT_BAD_SIGNATURE);
}

static void test_hs256_tampered_payload(void **state)
{
    (void)state;
    char *good = hs(OKP);
    char *evil = tk_b64("{\"sub\":\"admin\",\"exp\":1765000600}", 32);
    char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
    char *tok = malloc(strlen(good) + strlen(evil) + 1);
    sprintf(tok, "%.*s.%s%s", (int)(d1 - good), good, evil, d2);
    assert_int_equal(check(tok), JWT_BAD_SIGNATURE);
    free(good);
    free(evil);
}

static void test_hs256_with_prepared_template(void **state)
{
    (void)state;
    assert_int_equal(jwt_config_prepare(&cfg), 0);
    assert_non_null(cfg.hmac);
    for (int i = 0; i < 3; i++) /* the template is copied, never used up */
        assert_int_equal(check(hs(OKP)), JWT_OK);
    assert_int_equal(
        check(tk_sign_hmac("wrong-secret-wrong-secret-wrong-secret", 38, HS_HEADER, OKP)),
        JWT_BAD_SIGNATURE);
    jwt_config_dispose(&cfg);
    assert_null(cfg.hmac);
    jwt_config_dispose(&cfg);
    cfg.secret = NULL;
    assert_int_equal(jwt_config_prepare(&cfg), 0);
    assert_null(cfg.hmac);
}

static void test_hs256_without_secret_is_refused(void **state)
{
    (void)state;
    cfg.secret = NULL;
    cfg.secret_len = 0;
    assert_int_equal(check(hs(OKP)), JWT_BAD_ALG);
}

/* ---- algorithms ----------------------------------------------------------- */

static void test_alg_none_and_others_refused(void **state)
{
    (void)state;
    char *h = tk_b64("{\"alg\":\"none\"}", 14);
    char *p = tk_b64(OKP, strlen(OKP));
    char tok[512];
    snprintf(tok, sizeof(tok), "%s.%s.", h, p); /* the classic unsigned token */
    assert_int_equal(jwt_verify(&cfg, keys, tok, strlen(tok), NOW, arena, &claims), JWT_MALFORMED);
    free(h);
    free(p);
    /* alg none with some signature bytes, and its spellings. */
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"none\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"None\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"hs256\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"HS512\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"HS384\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"typ\":\"JWT\"}", OKP)),
                     JWT_BAD_ALG);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":256}", OKP)),
                     JWT_MALFORMED);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"\"}", OKP)),
                     JWT_BAD_ALG);
}

static void test_crit_header_refused(void **state)
{
    (void)state;
    assert_int_equal(
        check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", OKP)),
        JWT_MALFORMED);
}

static void test_eddsa_es256_rs256_valid(void **state)
{
    (void)state;
    const char *payload = "{\"sub\":\"VF3GY5BtIUt1zLTAzLVHa68GRvCmQcyK\",\"email\":\"e@x.io\","
                          "\"name\":\"N\",\"emailVerified\":false,\"image\":null,"
                          "\"iat\":1765000000,\"exp\":1765000900}";
    assert_int_equal(check(tk_sign_pkey(ed_key, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}", payload)),
                     JWT_OK);
    assert_string_equal(claims.sub, "VF3GY5BtIUt1zLTAzLVHa68GRvCmQcyK");
    assert_string_equal(claims.email, "e@x.io");
    assert_int_equal(claims.alg, JWT_ALG_EDDSA);
    assert_string_equal(claims.kid, "ed1");
    assert_int_equal(check(tk_sign_pkey(ec_key, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", payload)),
                     JWT_OK);
    assert_int_equal(claims.alg, JWT_ALG_ES256);
    assert_int_equal(check(tk_sign_pkey(
                         rsa_key, "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"JWT\"}", payload)),
                     JWT_OK);
    assert_int_equal(claims.alg, JWT_ALG_RS256);
}

static void test_asymmetric_bad_signatures(void **state)
{
    (void)state;
    EVP_PKEY *other_ed = tk_keygen(JWT_ALG_EDDSA);
    EVP_PKEY *other_ec = tk_keygen(JWT_ALG_ES256);
    /* Signed by a key other than the one the kid names. */
    assert_int_equal(check(tk_sign_pkey(other_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}", OKP)),
                     JWT_BAD_SIGNATURE);
    assert_int_equal(check(tk_sign_pkey(other_ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", OKP)),
                     JWT_BAD_SIGNATURE);
    /* A valid signature over another header (the kid swapped afterwards). */
    char *a = tk_sign_pkey(rsa_key, "{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", OKP);
    char *b = tk_sign_pkey(rsa_key, "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"x\":1}", OKP);
    char *sig_b = strrchr(b, '.');
    char *mix = malloc(strlen(a) + strlen(b));
    sprintf(mix, "%.*s%s", (int)(strrchr(a, '.') - a), a, sig_b);
    assert_int_equal(check(mix), JWT_BAD_SIGNATURE);
    free(a);
    free(b);
    EVP_PKEY_free(other_ed);
    EVP_PKEY_free(other_ec);
}

static void test_es256_der_signature_refused(void **state)
{
    (void)state;
    /* JWS wants raw r||s; a DER signature (70-72 bytes) must not pass. */
    const char *header = "{\"alg\":\"ES256\",\"kid\":\"ec1\"}";
    char *h = tk_b64(header, strlen(header));
    char *p = tk_b64(OKP, strlen(OKP));
    char input[1024];
    snprintf(input, sizeof(input), "%s.%s", h, p);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t n = sizeof(der);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ec_key), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &n, (unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    char *s = tk_b64(der, n);
    char *tok = malloc(strlen(input) + strlen(s) + 2);
    sprintf(tok, "%s.%s", input, s);
    assert_int_equal(check(tok), JWT_BAD_SIGNATURE);
    free(h);
    free(p);
    free(s);
}

static void test_hs256_signed_with_public_key_refused(void **state)
{
    (void)state;
    /* The classic confusion attack: HMAC keyed with the public key's bytes,
     * kid pointing at that public key. The HMAC key is always the secret. */
    unsigned char raw[32];
    size_t n = sizeof(raw);
    EVP_PKEY_get_raw_public_key(ed_key, raw, &n);
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"ed1\"}";
    assert_int_equal(check(tk_sign_hmac(raw, n, h, OKP)), JWT_BAD_SIGNATURE);
    char *jwk = tk_jwk(ed_key, "ed1", "EdDSA");
    assert_int_equal(check(tk_sign_hmac(jwk, strlen(jwk), h, OKP)), JWT_BAD_SIGNATURE);
    /* Without a secret HS256 is not accepted at all. */
    cfg.secret = NULL;
    assert_int_equal(check(tk_sign_hmac(jwk, strlen(jwk), h, OKP)), JWT_BAD_ALG);
    free(jwk);
}

static void test_unknown_kid(void **state)
{
    (void)state;
    EVP_PKEY *k = tk_keygen(JWT_ALG_EDDSA);
    assert_int_equal(check(tk_sign_pkey(k, "{\"alg\":\"EdDSA\",\"kid\":\"new-key\"}", OKP)),
                     JWT_UNKNOWN_KID);
    assert_string_equal(claims.kid, "new-key");
    assert_null(claims.sub);
    /* No key set at all. */
    char *tok = tk_sign_pkey(k, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}", OKP);
    assert_int_equal(jwt_verify(&cfg, NULL, tok, strlen(tok), NOW, arena, &claims),
                     JWT_UNKNOWN_KID);
    free(tok);
    /* An expired token with an unknown kid is refused for its claims, so it
     * cannot trigger a key refetch. */
    assert_int_equal(check(tk_sign_pkey(k, "{\"alg\":\"EdDSA\",\"kid\":\"new-key\"}",
                                        payload_exp(NOW - 3600, ""))),
                     JWT_EXPIRED);
    /* No kid at all: nothing to choose a key with. */
    assert_int_equal(check(tk_sign_pkey(ed_key, "{\"alg\":\"EdDSA\"}", OKP)), JWT_BAD_ALG);
    /* kid of the wrong type. */
    assert_int_equal(check(tk_sign_pkey(ed_key, "{\"alg\":\"EdDSA\",\"kid\":7}", OKP)),
                     JWT_MALFORMED);
    EVP_PKEY_free(k);
}

static void test_key_type_mismatch(void **state)
{
    (void)state;
    /* Header alg disagrees with the key the kid names. */
    assert_int_equal(check(tk_sign_pkey(ec_key, "{\"alg\":\"ES256\",\"kid\":\"ed1\"}", OKP)),
                     JWT_KEY_MISMATCH);
    assert_int_equal(check(tk_sign_pkey(ed_key, "{\"alg\":\"EdDSA\",\"kid\":\"rsa1\"}", OKP)),
                     JWT_KEY_MISMATCH);
    assert_int_equal(check(tk_sign_pkey(rsa_key, "{\"alg\":\"RS256\",\"kid\":\"ec1\"}", OKP)),
                     JWT_KEY_MISMATCH);
    /* Same key material, but the header claims another algorithm. */
    assert_int_equal(check(tk_sign_pkey(rsa_key, "{\"alg\":\"PS256\",\"kid\":\"rsa1\"}", OKP)),
                     JWT_BAD_ALG);
}

/* ---- time claims ---------------------------------------------------------- */

static void test_exp_required_and_enforced(void **state)
{
    (void)state;
    assert_int_equal(check(hs("{\"sub\":\"u1\"}")), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":\"1765000600\"}")), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":null}")), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":true}")), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(payload_exp(NOW - 3600, ""))), JWT_EXPIRED);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":1765000100.5}")), JWT_OK);
}

static void test_leeway_edges(void **state)
{
    (void)state;
    /* exp: accepted while now < exp + 60. */
    assert_int_equal(check(hs(payload_exp(NOW, ""))), JWT_OK);
    assert_int_equal(check(hs(payload_exp(NOW - 59, ""))), JWT_OK);
    assert_int_equal(check(hs(payload_exp(NOW - 60, ""))), JWT_EXPIRED);
    /* nbf: accepted from nbf - 60. */
    char extra[64];
    snprintf(extra, sizeof(extra), ",\"nbf\":%lld", NOW + 60);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_OK);
    snprintf(extra, sizeof(extra), ",\"nbf\":%lld", NOW + 61);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_NOT_YET_VALID);
    /* iat: at most 60 s in the future. */
    snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW + 60);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_OK);
    snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW + 61);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_NOT_YET_VALID);
    snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW - 86400);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_OK);
    /* Wrong types. */
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"nbf\":\"soon\""))), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"iat\":[1]"))), JWT_BAD_CLAIMS);
}

/* ---- sub and email ---------------------------------------------------------- */

static jwt_status_t with_sub(const char *sub_json)
{
    char p[512];
    snprintf(p, sizeof(p), "{\"sub\":%s,\"exp\":%lld}", sub_json, NOW + 600);
    return check(hs(p));
}

static void test_sub_rules(void **state)
{
    (void)state;
    assert_int_equal(check(hs("{\"exp\":1765000600}")), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("\"\""), JWT_BAD_CLAIMS);
    char s[200];
    s[0] = '"';
    memset(s + 1, 'a', 128);
    strcpy(s + 129, "\"");
    assert_int_equal(with_sub(s), JWT_OK);
    assert_int_equal(strlen(claims.sub), 128);
    memset(s + 1, 'a', 129);
    strcpy(s + 130, "\"");
    assert_int_equal(with_sub(s), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("\"a b\""), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("\"a/b\""), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("\"a%2Fb\""), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("\"\\u00e9t\\u00e9\""), JWT_BAD_CLAIMS);
    assert_int_not_equal(with_sub("\"a\\u0000b\""), JWT_OK); /* jansson refuses \u0000 */
    assert_int_equal(with_sub("\"ab\\n\""), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("42"), JWT_OK);
    assert_string_equal(claims.sub, "42");
    assert_int_equal(with_sub("9007199254740993"), JWT_OK);
    assert_string_equal(claims.sub, "9007199254740993");
    assert_int_equal(with_sub("4.2"), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("true"), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("null"), JWT_BAD_CLAIMS);
    assert_int_equal(with_sub("[\"a\"]"), JWT_BAD_CLAIMS);
}

static void test_email_claim(void **state)
{
    (void)state;
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"email\":7"))), JWT_BAD_CLAIMS);
    assert_int_not_equal(check(hs(payload_exp(NOW + 600, ",\"email\":\"a\\u0000b\""))), JWT_OK);
    char extra[400];
    snprintf(extra, sizeof(extra), ",\"email\":\"%0321d\"", 0);
    assert_int_equal(check(hs(payload_exp(NOW + 600, extra))), JWT_BAD_CLAIMS);
}

/* ---- iss and aud ---------------------------------------------------------- */

static void test_issuer(void **state)
{
    (void)state;
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"iss\":\"whatever\""))), JWT_OK);
    cfg.issuer = "http://localhost:3000";
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"iss\":\"http://localhost:3000\""))),
                     JWT_OK);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"iss\":\"http://localhost:3001\""))),
                     JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"iss\":[\"http://localhost:3000\"]"))),
                     JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(OKP)), JWT_BAD_CLAIMS);
}

static void test_audience(void **state)
{
    (void)state;
    cfg.audience = "http://localhost:3000";
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"aud\":\"http://localhost:3000\""))),
                     JWT_OK);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"aud\":\"http://evil\""))), JWT_BAD_CLAIMS);
    assert_int_equal(
        check(hs(payload_exp(NOW + 600, ",\"aud\":[\"x\",\"http://localhost:3000\"]"))), JWT_OK);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"aud\":[\"x\",\"y\"]"))), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"aud\":[]"))), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(payload_exp(NOW + 600, ",\"aud\":3000"))), JWT_BAD_CLAIMS);
    assert_int_equal(check(hs(OKP)), JWT_BAD_CLAIMS);
}

/* ---- structure ------------------------------------------------------------ */

static jwt_status_t raw(const char *tok)
{
    return jwt_verify(&cfg, keys, tok, strlen(tok), NOW, arena, &claims);
}

static void test_malformed_structure(void **state)
{
    (void)state;
    char *good = hs(OKP);
    char buf[1024];
    assert_int_equal(raw(good), JWT_OK);
    assert_int_equal(raw(""), JWT_MALFORMED);
    assert_int_equal(raw("."), JWT_MALFORMED);
    assert_int_equal(raw(".."), JWT_MALFORMED);
    assert_int_equal(raw("abc"), JWT_MALFORMED);
    *strrchr(good, '.') = '\0'; /* two parts */
    assert_int_equal(raw(good), JWT_MALFORMED);
    free(good);
    good = hs(OKP);
    snprintf(buf, sizeof(buf), "%s.AAAA", good); /* four parts */
    assert_int_equal(raw(buf), JWT_MALFORMED);
    snprintf(buf, sizeof(buf), "%s=", good); /* padding */
    assert_int_equal(raw(buf), JWT_MALFORMED);
    snprintf(buf, sizeof(buf), " %s", good); /* leading space */
    assert_int_equal(raw(buf), JWT_MALFORMED);
    /* A standard-alphabet character in the payload. */
    strcpy(buf, good);
    strchr(buf, '.')[3] = '+';
    assert_int_equal(raw(buf), JWT_MALFORMED);
    /* A NUL inside the token (length says there is more). */
    strcpy(buf, good);
    buf[5] = '\0';
    assert_int_equal(jwt_verify(&cfg, keys, buf, strlen(good), NOW, arena, &claims), JWT_MALFORMED);
    free(good);
}

static void test_malformed_json(void **state)
{
    (void)state;
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "not json", OKP)), JWT_MALFORMED);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "[\"HS256\"]", OKP)),
                     JWT_MALFORMED);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "\"HS256\"", OKP)), JWT_MALFORMED);
    assert_int_equal(check(tk_sign_hmac(SECRET, strlen(SECRET), "", OKP)), JWT_MALFORMED);
    assert_int_equal(check(hs("[1]")), JWT_MALFORMED);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":1765000600")), JWT_MALFORMED);
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"exp\":1765000600} x")), JWT_MALFORMED);
    /* Duplicate members would let two readers see two different tokens. */
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"sub\":\"u2\",\"exp\":1765000600}")),
                     JWT_MALFORMED);
    assert_int_equal(
        check(tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"none\",\"alg\":\"HS256\"}", OKP)),
        JWT_MALFORMED);
    /* Invalid UTF-8. */
    assert_int_equal(check(hs("{\"sub\":\"u1\",\"x\":\"\xff\",\"exp\":1765000600}")),
                     JWT_MALFORMED);
}

static void test_depth_and_size_caps(void **state)
{
    (void)state;
    char p[512];
    /* 16 levels deep is fine, 17 is not. */
    snprintf(p, sizeof(p), "{\"sub\":\"u1\",\"exp\":%lld,\"x\":%s1%s}", NOW + 600,
             "[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]");
    assert_int_equal(check(hs(p)), JWT_OK);
    snprintf(p, sizeof(p), "{\"sub\":\"u1\",\"exp\":%lld,\"x\":%s1%s}", NOW + 600,
             "[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]");
    assert_int_equal(check(hs(p)), JWT_MALFORMED);
    /* Brackets inside strings do not count. */
    snprintf(p, sizeof(p), "{\"sub\":\"u1\",\"exp\":%lld,\"x\":\"[[[[[[[[[[[[[[[[[[[[\\\"\"}",
             NOW + 600);
    assert_int_equal(check(hs(p)), JWT_OK);
    /* Size: JWT_MAX_TOKEN bytes pass the cap, one more does not. */
    size_t big = JWT_MAX_TOKEN - 200;
    char *payload = malloc(big + 64);
    int n = snprintf(payload, 64, "{\"sub\":\"u1\",\"exp\":%lld,\"pad\":\"", NOW + 600);
    memset(payload + n, 'x', big);
    strcpy(payload + n + big, "\"}");
    char *tok = hs(payload);
    assert_true(strlen(tok) > JWT_MAX_TOKEN);
    assert_int_equal(check(tok), JWT_MALFORMED);
    payload[n + 5800] = '\0';
    strcat(payload, "\"}");
    tok = hs(payload);
    assert_true(strlen(tok) <= JWT_MAX_TOKEN);
    assert_int_equal(check(tok), JWT_OK);
    free(payload);
}

static void test_sub_valid(void **state)
{
    (void)state;
    assert_true(jwt_sub_valid("a", 1));
    assert_true(jwt_sub_valid("A.b_c-9", 7));
    assert_false(jwt_sub_valid("", 0));
    assert_false(jwt_sub_valid("a:b", 3));
    assert_false(jwt_sub_valid("a\0b", 3));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hs256_valid),
        T(test_hs256_signed_token_round_trip),
        T(test_hs256_bad_signature),
        T(test_hs256_tampered_payload),
        T(test_hs256_with_prepared_template),
        T(test_hs256_without_secret_is_refused),
        T(test_alg_none_and_others_refused),
        T(test_crit_header_refused),
        T(test_eddsa_es256_rs256_valid),
        T(test_asymmetric_bad_signatures),
        T(test_es256_der_signature_refused),
        T(test_hs256_signed_with_public_key_refused),
        T(test_unknown_kid),
        T(test_key_type_mismatch),
        T(test_exp_required_and_enforced),
        T(test_leeway_edges),
        T(test_sub_rules),
        T(test_email_claim),
        T(test_issuer),
        T(test_audience),
        T(test_malformed_structure),
        T(test_malformed_json),
        T(test_depth_and_size_caps),
        T(test_sub_valid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
