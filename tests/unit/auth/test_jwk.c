/* JWKS documents: the keys Better Auth serves are loaded, everything else is
 * skipped without spoiling the rest of the set. */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/jwk.h"
#include "core/log.h"
#include "testkit.h"

static EVP_PKEY *ed, *ec, *rsa;

static int setup(void **state)
{
    (void)state;
    log_configure(LOG_ERROR, LOG_FORMAT_TEXT); /* the skipped keys warn */
    ed = tk_keygen(JWT_ALG_EDDSA);
    ec = tk_keygen(JWT_ALG_ES256);
    rsa = tk_keygen(JWT_ALG_RS256);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(ed);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    return 0;
}

/* Loads a document; returns what jwk_set_add_json returned. */
static int load(jwk_set_t *s, const char *doc)
{
    char err[256] = "";
    int n = jwk_set_add_json(s, doc, strlen(doc), "test", err, sizeof(err));
    if (n < 0)
        assert_true(strlen(err) > 0);
    return n;
}

/* Loads {"keys":[one]} into a fresh set and returns the count added. */
static int load_one(const char *jwk)
{
    jwk_set_t *s = jwk_set_new();
    char *doc = tk_jwks(&jwk, 1);
    int n = load(s, doc);
    free(doc);
    jwk_set_unref(s);
    return n;
}

static void test_better_auth_shapes(void **state)
{
    (void)state;
    char *k[3] = {tk_jwk(ed, "kymUSloaoaAMdBKFDz0HOoln5KlygDRn", "EdDSA"),
                  tk_jwk(ec, "ec-kid", "ES256"), tk_jwk(rsa, "rsa-kid", "RS256")};
    char *doc = tk_jwks((const char *const *)k, 3);
    jwk_set_t *s = jwk_set_new();
    assert_int_equal(load(s, doc), 3);
    assert_int_equal(jwk_set_count(s), 3);
    const jwk_key_t *key = jwk_set_find(s, "kymUSloaoaAMdBKFDz0HOoln5KlygDRn");
    assert_non_null(key);
    assert_int_equal(key->alg, JWT_ALG_EDDSA);
    assert_int_equal(jwk_set_find(s, "ec-kid")->alg, JWT_ALG_ES256);
    assert_int_equal(jwk_set_find(s, "rsa-kid")->alg, JWT_ALG_RS256);
    assert_null(jwk_set_find(s, "nope"));
    assert_null(jwk_set_find(s, NULL));
    /* A reference keeps the set alive after the first owner lets go. */
    jwk_set_t *ref = jwk_set_ref(s);
    jwk_set_unref(s);
    assert_non_null(jwk_set_find(ref, "ec-kid"));
    jwk_set_unref(ref);
    free(doc);
    for (int i = 0; i < 3; i++)
        free(k[i]);
}

static void test_alg_member_optional(void **state)
{
    (void)state;
    char *k = tk_jwk(ed, "a", NULL);
    assert_int_equal(load_one(k), 1);
    free(k);
    k = tk_jwk(ec, "b", NULL);
    assert_int_equal(load_one(k), 1);
    free(k);
    k = tk_jwk(rsa, "c", NULL);
    assert_int_equal(load_one(k), 1);
    free(k);
}

static void test_not_a_jwks(void **state)
{
    (void)state;
    jwk_set_t *s = jwk_set_new();
    assert_int_equal(load(s, "not json"), -1);
    assert_int_equal(load(s, "[]"), -1);
    assert_int_equal(load(s, "{}"), -1);
    assert_int_equal(load(s, "{\"keys\":{}}"), -1);
    assert_int_equal(load(s, "{\"keys\":[]}"), 0);
    assert_int_equal(load(s, "{\"keys\":[1,\"x\",null,{}]}"), 0);
    assert_int_equal(jwk_set_count(s), 0);
    jwk_set_unref(s);
}

static void test_unusable_keys_skipped(void **state)
{
    (void)state;
    char buf[4096];
    char *good = tk_jwk(ed, "k", "EdDSA");
    const char *x = strstr(good, "\"x\":\"") + 5;
    char xval[64];
    snprintf(xval, sizeof(xval), "%.43s", x);

    /* kty/crv/alg disagreeing, or algorithms this server does not take. */
    snprintf(buf, sizeof(buf),
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":\"%s\","
             "\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\",\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"%s\",\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"oct\",\"k\":\"%s\",\"kid\":\"k\"}", xval);
    assert_int_equal(load_one(buf), 0);
    /* use must be sig when present. */
    snprintf(buf, sizeof(buf),
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"enc\",\"x\":\"%s\","
             "\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf),
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"sig\",\"x\":\"%s\","
             "\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 1);
    /* No kid, empty kid, kid of the wrong type. */
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":5}",
             xval);
    assert_int_equal(load_one(buf), 0);
    /* x of the wrong length or encoding. */
    assert_int_equal(load_one("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"kid\":\"k\"}"),
                     0);
    snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s=\",\"kid\":\"k\"}",
             xval);
    assert_int_equal(load_one(buf), 0);
    free(good);
}

static void test_ec_checks(void **state)
{
    (void)state;
    char *good = tk_jwk(ec, "k", "ES256");
    assert_int_equal(load_one(good), 1);
    /* Another curve name. */
    char buf[4096];
    strcpy(buf, good);
    memcpy(strstr(buf, "P-256"), "P-384", 5);
    assert_int_equal(load_one(buf), 0);
    /* A point that is not on the curve: change one byte of y. */
    strcpy(buf, good);
    char *y = strstr(buf, "\"y\":\"") + 5;
    y[10] = y[10] == 'A' ? 'B' : 'A';
    assert_int_equal(load_one(buf), 0);
    /* ES512 is served by Better Auth but not accepted here. */
    strcpy(buf, good);
    memcpy(strstr(buf, "ES256"), "ES512", 5);
    assert_int_equal(load_one(buf), 0);
    free(good);
}

static void test_rsa_checks(void **state)
{
    (void)state;
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    char *k = tk_jwk(small, "small", "RS256");
    assert_int_equal(load_one(k), 0);
    free(k);
    EVP_PKEY_free(small);
    k = tk_jwk(rsa, "r", "PS256");
    assert_int_equal(load_one(k), 0);
    free(k);
}

static void test_duplicate_kid_keeps_first(void **state)
{
    (void)state;
    char *k[2] = {tk_jwk(ed, "same", "EdDSA"), tk_jwk(ec, "same", "ES256")};
    char *doc = tk_jwks((const char *const *)k, 2);
    jwk_set_t *s = jwk_set_new();
    assert_int_equal(load(s, doc), 1);
    assert_int_equal(jwk_set_find(s, "same")->alg, JWT_ALG_EDDSA);
    jwk_set_unref(s);
    free(doc);
    free(k[0]);
    free(k[1]);
}

static void test_alg_names(void **state)
{
    (void)state;
    assert_int_equal(jwt_alg_parse("EdDSA"), JWT_ALG_EDDSA);
    assert_int_equal(jwt_alg_parse("RS256"), JWT_ALG_RS256);
    assert_int_equal(jwt_alg_parse("rs256"), JWT_ALG_UNKNOWN);
    assert_int_equal(jwt_alg_parse("none"), JWT_ALG_UNKNOWN);
    assert_string_equal(jwt_alg_name(JWT_ALG_ES256), "ES256");
    assert_null(jwt_alg_name(JWT_ALG_UNKNOWN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_better_auth_shapes),
        cmocka_unit_test(test_alg_member_optional),
        cmocka_unit_test(test_not_a_jwks),
        cmocka_unit_test(test_unusable_keys_skipped),
        cmocka_unit_test(test_ec_checks),
        cmocka_unit_test(test_rsa_checks),
        cmocka_unit_test(test_duplicate_kid_keeps_first),
        cmocka_unit_test(test_alg_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
