#include "auth/auth.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwks_source.h"
#include "auth/jwt.h"
#include "core/log.h"
#include "core/xalloc.h"

enum {
    SECRET_MIN = 32,
    GENERATED_SECRET_LEN = 32,
    TTL_MAX = 10 * 365 * 24 * 3600, /* the token command refuses longer lifetimes */
};

struct auth {
    jwt_config_t cfg; /* points into the copies below */
    unsigned char *secret;
    size_t secret_len;
    char *issuer, *audience, *jwks_url, *jwks_file;
    long token_ttl;
    int refresh_seconds;
    bool curl_ready;

    pthread_mutex_t mu;     /* guards the three fields below */
    jwk_set_t *keys;        /* current key set, never NULL */
    bool refreshing;        /* a reload is running */
    long long last_refresh; /* monotonic seconds when the last reload started */
};

/* A request waiting for a reload; lives in the request's arena. */
typedef struct auth_wait {
    auth_t *a;
    const char *token;
    size_t len;
} auth_wait_t;

static long long mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static jwk_set_t *keys_acquire(auth_t *a)
{
    pthread_mutex_lock(&a->mu);
    jwk_set_t *k = jwk_set_ref(a->keys);
    pthread_mutex_unlock(&a->mu);
    return k;
}

/* Reads every configured key source into a new set; NULL on any failure
 * (then the old set stays: a half-loaded set would drop good keys). */
static jwk_set_t *keys_load(const auth_t *a, char *err, size_t errlen)
{
    jwk_set_t *s = jwk_set_new();
    if ((a->jwks_file != NULL && jwks_read_file(s, a->jwks_file, err, errlen) < 0) ||
        (a->jwks_url != NULL && jwks_fetch_url(s, a->jwks_url, err, errlen) < 0)) {
        jwk_set_unref(s);
        return NULL;
    }
    return s;
}

/* Swaps in a freshly loaded key set; on failure keeps the old one. Blocks. */
static void keys_reload(auth_t *a)
{
    char err[256];
    jwk_set_t *fresh = keys_load(a, err, sizeof(err));
    if (fresh == NULL)
        LOG_WARN("JWKS reload failed, keeping the current keys: %s", err);
    else
        LOG_INFO("JWKS reloaded: %zu usable keys", jwk_set_count(fresh));
    pthread_mutex_lock(&a->mu);
    jwk_set_t *old = NULL;
    if (fresh != NULL) {
        old = a->keys;
        a->keys = fresh;
    }
    a->refreshing = false;
    pthread_mutex_unlock(&a->mu);
    jwk_set_unref(old);
}

/* Claims the right to reload now: false during a reload or the cool-down. */
static bool reload_begin(auth_t *a)
{
    if (a->jwks_url == NULL && a->jwks_file == NULL)
        return false;
    bool go = false;
    long long now = mono_seconds();
    pthread_mutex_lock(&a->mu);
    if (!a->refreshing && now - a->last_refresh >= a->refresh_seconds) {
        a->refreshing = true;
        a->last_refresh = now;
        go = true;
    }
    pthread_mutex_unlock(&a->mu);
    return go;
}

static jwt_status_t verify_into(auth_t *a, api_req_t *r, const char *token, size_t len)
{
    jwt_claims_t c;
    jwk_set_t *keys = keys_acquire(a);
    jwt_status_t st = jwt_verify(&a->cfg, keys, token, len, (long long)time(NULL), r->arena, &c);
    jwk_set_unref(keys);
    if (st == JWT_OK) {
        r->principal.sub = c.sub;
        r->principal.email = c.email;
    }
    return st;
}

static void reload_work(void *arg)
{
    auth_wait_t *w = arg;
    keys_reload(w->a);
}

static void reload_done(api_req_t *r, void *arg)
{
    auth_wait_t *w = arg;
    jwt_status_t st = verify_into(w->a, r, w->token, w->len);
    if (st != JWT_OK)
        LOG_DEBUG("bearer token refused after JWKS reload: %s", jwt_status_str(st));
    api_auth_done(r, st == JWT_OK);
}

int auth_authenticate(void *auth, api_req_t *r, const char *token, size_t len)
{
    auth_t *a = auth;
    jwt_status_t st = verify_into(a, r, token, len);
    if (st == JWT_OK)
        return 0;
    if (st == JWT_UNKNOWN_KID && reload_begin(a)) {
        auth_wait_t *w = arena_alloc(r->arena, sizeof(*w));
        w->a = a;
        w->token = arena_strndup(r->arena, token, len);
        w->len = len;
        api_offload(r, reload_work, reload_done, w);
        return 1;
    }
    LOG_DEBUG("bearer token refused: %s", jwt_status_str(st));
    return -1;
}

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

int auth_new(const settings_t *s, auth_t **out, char *err, size_t errlen)
{
    auth_t *a = xcalloc(1, sizeof(*a));
    *out = NULL;
    pthread_mutex_init(&a->mu, NULL);
    a->keys = jwk_set_new();
    a->issuer = dup_or_null(s->jwt_issuer);
    a->audience = dup_or_null(s->jwt_audience);
    a->jwks_url = dup_or_null(s->jwks_url);
    a->jwks_file = dup_or_null(s->jwks_file);
    a->token_ttl = s->token_ttl > 0 ? s->token_ttl : 604800;
    a->refresh_seconds = s->jwks_refresh_seconds > 0 ? s->jwks_refresh_seconds : 60;

    if (s->secret != NULL && s->secret[0] != '\0') {
        a->secret_len = strlen(s->secret);
        if (a->secret_len < SECRET_MIN) {
            snprintf(err, errlen, "BETTER_AUTH_SECRET: must be at least %d bytes", SECRET_MIN);
            goto fail;
        }
        a->secret = xmalloc(a->secret_len);
        memcpy(a->secret, s->secret, a->secret_len);
    } else {
        a->secret_len = GENERATED_SECRET_LEN;
        a->secret = xmalloc(a->secret_len);
        if (RAND_bytes(a->secret, (int)a->secret_len) != 1) {
            snprintf(err, errlen, "BETTER_AUTH_SECRET: cannot generate a random key");
            goto fail;
        }
        LOG_WARN("BETTER_AUTH_SECRET is not set: built-in accounts get tokens signed with a "
                 "random key that will not survive a restart");
    }
    a->cfg = (jwt_config_t){.secret = a->secret,
                            .secret_len = a->secret_len,
                            .issuer = a->issuer,
                            .audience = a->audience};
    if (jwt_config_prepare(&a->cfg) != 0)
        LOG_WARN("HS256: cannot prepare an HMAC template; checks take the slow path");

    if (a->jwks_url != NULL) {
        if (!jwks_url_ok(a->jwks_url)) {
            snprintf(err, errlen, "JWKS_URL: must be an http:// or https:// URL");
            goto fail;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "JWKS_URL: cannot initialise libcurl");
            goto fail;
        }
        a->curl_ready = true;
    }
    if (a->jwks_file != NULL && jwks_read_file(a->keys, a->jwks_file, err, errlen) < 0)
        goto fail;
    if (a->jwks_url != NULL) {
        char why[256];
        jwk_set_t *fresh = keys_load(a, why, sizeof(why));
        if (fresh == NULL) {
            /* Let the first unknown kid try again at once. */
            a->last_refresh = mono_seconds() - a->refresh_seconds;
            LOG_WARN("%s; tokens from that key set are refused until a fetch succeeds", why);
        } else {
            jwk_set_unref(a->keys);
            a->keys = fresh;
            a->last_refresh = mono_seconds();
        }
    } else {
        a->last_refresh = mono_seconds();
    }
    if ((a->jwks_file != NULL || a->jwks_url != NULL) && jwk_set_count(a->keys) == 0)
        LOG_WARN("JWKS: no usable key yet");
    else if (a->jwks_file != NULL || a->jwks_url != NULL)
        LOG_INFO("JWKS: %zu usable keys", jwk_set_count(a->keys));
    *out = a;
    return 0;
fail:
    auth_free(a);
    return -1;
}

void auth_free(auth_t *a)
{
    if (a == NULL)
        return;
    jwt_config_dispose(&a->cfg);
    jwk_set_unref(a->keys);
    if (a->secret != NULL)
        OPENSSL_cleanse(a->secret, a->secret_len);
    free(a->secret);
    free(a->issuer);
    free(a->audience);
    free(a->jwks_url);
    free(a->jwks_file);
    if (a->curl_ready)
        curl_global_cleanup();
    pthread_mutex_destroy(&a->mu);
    free(a);
}

int auth_issue_token(const auth_t *a, const char *sub, const char *email, long ttl, arena_t *arena,
                     const char **token_out, long long *expires_at_out)
{
    long long iat = (long long)time(NULL);
    long long exp = iat + (ttl > 0 ? ttl : a->token_ttl);
    *token_out = jwt_sign_hs256(a->secret, a->secret_len, sub, email, iat, exp, arena);
    *expires_at_out = exp;
    return 0;
}

/* ---- the token command --------------------------------------------------- */

static const char token_usage[] =
    "usage: todo-server token --sub ID [--email E] [--ttl SECONDS]\n"
    "Prints an HS256 token signed with BETTER_AUTH_SECRET (development).\n"
    "  --sub ID        the user id: 1-128 characters of [A-Za-z0-9._-]\n"
    "  --email E       optional email claim\n"
    "  --ttl SECONDS   lifetime (default TOKEN_TTL)\n";

/* Matches --name VALUE or --name=VALUE at argv[*i]; advances *i. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int cli_fail(const char *msg)
{
    fprintf(stderr, "todo-server token: %s\n%s", msg, token_usage);
    return 2;
}

int auth_token_cli(const settings_t *s, int argc, char **argv)
{
    const char *sub = NULL, *email = NULL, *ttl_arg = NULL;
    for (int i = 1; i < argc; i++) {
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(token_usage, stdout);
            return 0;
        }
        if ((m = flag_value(argc, argv, &i, "--sub", &sub)) != 0 ||
            (m = flag_value(argc, argv, &i, "--email", &email)) != 0 ||
            (m = flag_value(argc, argv, &i, "--ttl", &ttl_arg)) != 0) {
            if (m < 0)
                return cli_fail("a flag is missing its value");
            continue;
        }
        fprintf(stderr, "todo-server token: unknown argument %s\n%s", argv[i], token_usage);
        return 2;
    }
    if (s->secret == NULL || s->secret[0] == '\0' || s->secret_generated)
        return cli_fail("BETTER_AUTH_SECRET is not set; set it to the server's secret");
    if (strlen(s->secret) < SECRET_MIN)
        return cli_fail("BETTER_AUTH_SECRET must be at least 32 bytes");
    if (sub == NULL)
        return cli_fail("--sub is required");
    if (!jwt_sub_valid(sub, strlen(sub)))
        return cli_fail("--sub must be 1-128 characters of [A-Za-z0-9._-]");
    if (email != NULL) {
        size_t n = strlen(email);
        if (n == 0 || n > JWT_MAX_EMAIL)
            return cli_fail("--email must be 1-320 characters");
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)email[k] < 0x20 || email[k] == 0x7f)
                return cli_fail("--email must not contain control characters");
    }
    long ttl = s->token_ttl > 0 ? s->token_ttl : 604800;
    if (ttl_arg != NULL) {
        char *end = NULL;
        long long v = strtoll(ttl_arg, &end, 10);
        if (end == ttl_arg || *end != '\0' || v < 1 || v > TTL_MAX)
            return cli_fail("--ttl must be a whole number of seconds from 1 to 315360000");
        ttl = (long)v;
    }
    arena_t *arena = arena_new();
    long long iat = (long long)time(NULL);
    const char *tok = jwt_sign_hs256((const unsigned char *)s->secret, strlen(s->secret), sub,
                                     email, iat, iat + ttl, arena);
    printf("%s\n", tok);
    fflush(stdout);
    arena_free(arena);
    return 0;
}
