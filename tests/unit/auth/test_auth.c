/* The auth module as the HTTP layer uses it: settings in, bearer tokens
 * checked, key sets reloaded from JWKS_FILE / JWKS_URL (a small HTTP server
 * runs in a thread here) with the cool-down and single flight, tokens
 * issued, and the `token` command. api_offload runs its job inline here. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../src/auth/auth.c"
#include "testkit.h"

/* ---- stand-ins for the HTTP layer ------------------------------------------ */

static int offload_calls, done_calls;
static bool done_ok;

void api_offload(api_req_t *r, void (*work)(void *arg), void (*done)(api_req_t *r, void *arg),
                 void *arg)
{
    offload_calls++;
    work(arg);
    done(r, arg);
}

void api_auth_done(api_req_t *r, bool ok)
{
    (void)r;
    done_calls++;
    done_ok = ok;
}

/* ---- a one-thread HTTP server that serves a JWKS ------------------------- */

static struct {
    pthread_t thread;
    int fd, port;
    pthread_mutex_t mu;
    char *body;
    int status;
    int requests;
    bool stop;
} srv;

static void serve_one(int c)
{
    char req[4096];
    size_t got = 0;
    while (got < sizeof(req) - 1) {
        ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    pthread_mutex_lock(&srv.mu);
    srv.requests++;
    char *body = strdup(srv.body ? srv.body : "");
    int status = srv.status;
    pthread_mutex_unlock(&srv.mu);
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, strlen(body));
    ssize_t w = write(c, head, (size_t)n);
    size_t off = 0, len = strlen(body);
    while (w >= 0 && off < len && (w = write(c, body + off, len - off)) > 0)
        off += (size_t)w;
    free(body);
    close(c);
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            break;
        pthread_mutex_lock(&srv.mu);
        bool stop = srv.stop;
        pthread_mutex_unlock(&srv.mu);
        if (stop) {
            close(c);
            break;
        }
        serve_one(c);
    }
    return NULL;
}

static void srv_set(int status, const char *body)
{
    pthread_mutex_lock(&srv.mu);
    free(srv.body);
    srv.body = strdup(body);
    srv.status = status;
    pthread_mutex_unlock(&srv.mu);
}

static int srv_requests(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.requests;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static int srv_start(void)
{
    pthread_mutex_init(&srv.mu, NULL);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    if (bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(srv.fd, 16) != 0 ||
        getsockname(srv.fd, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    srv.port = ntohs(sa.sin_port);
    srv_set(200, "{\"keys\":[]}");
    return pthread_create(&srv.thread, NULL, serve, NULL);
}

static void srv_stop(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.stop = true;
    pthread_mutex_unlock(&srv.mu);
    /* Wake accept() with one last connection. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)srv.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    connect(c, (struct sockaddr *)&sa, sizeof(sa));
    close(c);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    free(srv.body);
}

/* ---- fixtures ------------------------------------------------------------- */

#define SECRET "0123456789abcdef0123456789abcdef-test"

static EVP_PKEY *key_a, *key_b, *key_c;
static char jwks_path[64];
static char url[128];

static int group_setup(void **state)
{
    (void)state;
    log_configure(LOG_ERROR, LOG_FORMAT_TEXT);
    key_a = tk_keygen(JWT_ALG_EDDSA);
    key_b = tk_keygen(JWT_ALG_ES256);
    key_c = tk_keygen(JWT_ALG_EDDSA);
    strcpy(jwks_path, "/tmp/todo-test-jwks-XXXXXX");
    int fd = mkstemp(jwks_path);
    if (fd < 0)
        return -1;
    close(fd);
    if (srv_start() != 0)
        return -1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/auth/jwks", srv.port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    srv_stop();
    unlink(jwks_path);
    EVP_PKEY_free(key_a);
    EVP_PKEY_free(key_b);
    EVP_PKEY_free(key_c);
    return 0;
}

static settings_t base_settings(void)
{
    return (settings_t){.secret = SECRET, .jwks_refresh_seconds = 60, .token_ttl = 3600};
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A JWKS text holding the public keys of a and, when non-NULL, b. */
static char *jwks_of(EVP_PKEY *a, const char *kid_a, EVP_PKEY *b, const char *kid_b)
{
    char *k[2] = {tk_jwk(a, kid_a, NULL), b ? tk_jwk(b, kid_b, NULL) : NULL};
    char *doc = tk_jwks((const char *const *)k, b ? 2 : 1);
    free(k[0]);
    free(k[1]);
    return doc;
}

static char *token_for(EVP_PKEY *key, const char *alg, const char *kid, const char *extra)
{
    char header[128], payload[512];
    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
    snprintf(payload, sizeof(payload), "{\"sub\":\"ba-user\",\"email\":\"x@y.z\",\"exp\":%lld%s}",
             (long long)time(NULL) + 900, extra ? extra : "");
    return tk_sign_pkey(key, header, payload);
}

static api_req_t req;

static int each_setup(void **state)
{
    (void)state;
    memset(&req, 0, sizeof(req));
    req.arena = arena_new();
    offload_calls = done_calls = 0;
    done_ok = false;
    return 0;
}

static int each_teardown(void **state)
{
    (void)state;
    arena_free(req.arena);
    return 0;
}

/* Runs auth_authenticate on a malloc'ed token and frees it. */
static int authn(auth_t *a, char *tok)
{
    req.principal = (api_principal_t){0};
    int rc = auth_authenticate(a, &req, tok, strlen(tok));
    free(tok);
    return rc;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_new_rejects_bad_settings(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    s.secret = "too-short";
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), -1);
    assert_null(a);
    assert_non_null(strstr(err, "BETTER_AUTH_SECRET"));

    s = base_settings();
    s.jwks_url = "ftp://127.0.0.1/jwks";
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "JWKS_URL"));

    s = base_settings();
    s.jwks_file = "/nonexistent/jwks.json";
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "JWKS_FILE"));

    write_file(jwks_path, "[1,2,3]");
    s.jwks_file = jwks_path;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "JWKS"));
    auth_free(NULL);
}

static void test_hs256_bearer(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    char payload[256];
    snprintf(payload, sizeof(payload), "{\"sub\":42,\"email\":\"m@x.io\",\"exp\":%lld}",
             (long long)time(NULL) + 60);
    assert_int_equal(authn(a, tk_sign_hmac(SECRET, strlen(SECRET),
                                           "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload)),
                     0);
    assert_string_equal(req.principal.sub, "42");
    assert_string_equal(req.principal.email, "m@x.io");
    assert_int_equal(authn(a, strdup("garbage")), -1);
    assert_null(req.principal.sub);
    /* An EdDSA token while no JWKS is configured: refused, nothing fetched. */
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), -1);
    assert_int_equal(offload_calls, 0);
    auth_free(a);
}

static void test_issue_token_round_trip(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    const char *tok = NULL;
    long long exp = 0;
    long long before = (long long)time(NULL);
    assert_int_equal(auth_issue_token(a, "Abc123", "a@b.co", 0, req.arena, &tok, &exp), 0);
    assert_true(exp >= before + 3600 && exp <= (long long)time(NULL) + 3600);
    assert_int_equal(auth_authenticate(a, &req, tok, strlen(tok)), 0);
    assert_string_equal(req.principal.sub, "Abc123");
    assert_string_equal(req.principal.email, "a@b.co");
    assert_int_equal(auth_issue_token(a, "Abc123", NULL, 120, req.arena, &tok, &exp), 0);
    assert_true(exp <= (long long)time(NULL) + 120);
    assert_int_equal(auth_authenticate(a, &req, tok, strlen(tok)), 0);
    assert_null(req.principal.email);
    auth_free(a);
}

static void test_issuer_audience_settings(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    s.jwt_issuer = "http://localhost:3000";
    s.jwt_audience = "http://localhost:3000";
    write_file(jwks_path, "");
    char *doc = jwks_of(key_a, "a", NULL, NULL);
    write_file(jwks_path, doc);
    free(doc);
    s.jwks_file = jwks_path;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    assert_int_equal(
        authn(a, token_for(key_a, "EdDSA", "a",
                           ",\"iss\":\"http://localhost:3000\",\"aud\":\"http://localhost:3000\"")),
        0);
    assert_string_equal(req.principal.sub, "ba-user");
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", ",\"iss\":\"http://localhost:3000\"")),
                     -1);
    assert_int_equal(
        authn(a, token_for(key_a, "EdDSA", "a",
                           ",\"iss\":\"http://evil\",\"aud\":\"http://localhost:3000\"")),
        -1);
    auth_free(a);
}

static void test_without_secret_tokens_use_a_random_key(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    s.secret = NULL;
    char *doc = jwks_of(key_a, "a", NULL, NULL);
    write_file(jwks_path, doc);
    free(doc);
    s.jwks_file = jwks_path;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    const char *tok = NULL;
    long long exp = 0;
    auth_issue_token(a, "local", NULL, 0, req.arena, &tok, &exp);
    assert_int_equal(auth_authenticate(a, &req, tok, strlen(tok)), 0);
    /* Tokens from the well-known test secret are not accepted. */
    char payload[128];
    snprintf(payload, sizeof(payload), "{\"sub\":\"x\",\"exp\":%lld}", (long long)time(NULL) + 60);
    assert_int_equal(authn(a, tk_sign_hmac(SECRET, strlen(SECRET), "{\"alg\":\"HS256\"}", payload)),
                     -1);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 0);
    auth_free(a);
}

static void test_file_reload_on_unknown_kid(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    char *doc = jwks_of(key_a, "a", NULL, NULL);
    write_file(jwks_path, doc);
    free(doc);
    s.jwks_file = jwks_path;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 0);

    /* Key b appears in the file (rotation). Within the cool-down after start
     * an unknown kid is refused at once, with no reload. */
    doc = jwks_of(key_a, "a", key_b, "b");
    write_file(jwks_path, doc);
    free(doc);
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), -1);
    assert_int_equal(offload_calls, 0);

    /* After the cool-down the request waits for a reload, then passes. */
    a->last_refresh -= 60;
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), 1);
    assert_int_equal(offload_calls, 1);
    assert_int_equal(done_calls, 1);
    assert_true(done_ok);
    assert_string_equal(req.principal.sub, "ba-user");
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), 0);

    /* Another unknown kid right after: refused at once. */
    assert_int_equal(authn(a, token_for(key_c, "EdDSA", "c", NULL)), -1);
    assert_int_equal(offload_calls, 1);

    /* While a reload is running, others do not start one. */
    a->last_refresh -= 60;
    a->refreshing = true;
    assert_int_equal(authn(a, token_for(key_c, "EdDSA", "c", NULL)), -1);
    assert_int_equal(offload_calls, 1);
    a->refreshing = false;

    /* A reload that finds the kid still missing answers 401 through
     * api_auth_done; a broken file keeps the old keys. */
    write_file(jwks_path, "{broken");
    assert_int_equal(authn(a, token_for(key_c, "EdDSA", "c", NULL)), 1);
    assert_int_equal(done_calls, 2);
    assert_false(done_ok);
    assert_false(a->refreshing);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 0);
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), 0);

    /* Tokens with unknown kids whose claims fail never trigger a reload. */
    a->last_refresh -= 60;
    char extra[64];
    snprintf(extra, sizeof(extra), ",\"iat\":%lld", (long long)time(NULL) + 3600);
    assert_int_equal(authn(a, token_for(key_c, "EdDSA", "c", extra)), -1);
    assert_int_equal(offload_calls, 2);
    auth_free(a);
}

static void test_url_fetch_and_rotation(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    s.jwks_url = url;
    char *doc = jwks_of(key_a, "a", NULL, NULL);
    srv_set(200, doc);
    free(doc);
    int before = srv_requests();
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    assert_int_equal(srv_requests(), before + 1);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 0);

    doc = jwks_of(key_c, "c", key_b, "b"); /* a rotated out, b and c in */
    srv_set(200, doc);
    free(doc);
    a->last_refresh -= 60;
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), 1);
    assert_true(done_ok);
    assert_int_equal(srv_requests(), before + 2);
    assert_int_equal(authn(a, token_for(key_c, "EdDSA", "c", NULL)), 0);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), -1);
    assert_int_equal(srv_requests(), before + 2); /* cool-down: no fetch */

    /* The front end fails: the keys we have stay. */
    srv_set(500, "{\"keys\":[]}");
    a->last_refresh -= 60;
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 1);
    assert_false(done_ok);
    assert_int_equal(srv_requests(), before + 3);
    assert_int_equal(authn(a, token_for(key_b, "ES256", "b", NULL)), 0);
    auth_free(a);
}

static void test_url_unreachable_at_start(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = NULL;
    settings_t s = base_settings();
    /* A port nobody listens on: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char dead[128];
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/jwks", ntohs(sa.sin_port));
    s.jwks_url = dead;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    /* The first token may try again at once; the next waits for the cool-down. */
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), 1);
    assert_false(done_ok);
    assert_int_equal(authn(a, token_for(key_a, "EdDSA", "a", NULL)), -1);
    assert_int_equal(offload_calls, 1);
    /* HS256 keeps working meanwhile. */
    const char *tok = NULL;
    long long exp;
    auth_issue_token(a, "u", NULL, 0, req.arena, &tok, &exp);
    assert_int_equal(auth_authenticate(a, &req, tok, strlen(tok)), 0);
    auth_free(a);
}

static void test_fetch_limits(void **state)
{
    (void)state;
    char err[256];
    jwk_set_t *set = jwk_set_new();
    char *big = malloc(JWKS_MAX_BYTES + 100);
    memset(big, ' ', JWKS_MAX_BYTES + 99);
    big[JWKS_MAX_BYTES + 99] = '\0';
    memcpy(big, "{\"keys\":[]}", 11);
    srv_set(200, big);
    free(big);
    assert_int_equal(jwks_fetch_url(set, url, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger"));
    srv_set(404, "{\"keys\":[]}");
    assert_int_equal(jwks_fetch_url(set, url, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "404"));
    srv_set(200, "<html>");
    assert_int_equal(jwks_fetch_url(set, url, err, sizeof(err)), -1);
    srv_set(200, "{\"keys\":[]}");
    assert_int_equal(jwks_fetch_url(set, url, err, sizeof(err)), 0);
    assert_true(jwks_url_ok("https://x/y"));
    assert_false(jwks_url_ok("file:///etc/passwd"));
    jwk_set_unref(set);
}

/* ---- the token command ------------------------------------------------------ */

/* Runs auth_token_cli with stdout captured into out; returns its status. */
static int run_cli(const settings_t *s, char *out, size_t outlen, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    FILE *tmp = tmpfile();
    int devnull = open("/dev/null", O_WRONLY);
    dup2(fileno(tmp), 1);
    dup2(devnull, 2);
    int rc = auth_token_cli(s, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(devnull);
    rewind(tmp);
    size_t n = fread(out, 1, outlen - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

static void test_token_cli(void **state)
{
    (void)state;
    char out[2048], err[256];
    settings_t s = base_settings();
    assert_int_equal(run_cli(&s, out, sizeof(out), 5, "token", "--sub", "dev-user", "--email",
                             "dev@example.com"),
                     0);
    size_t n = strlen(out);
    assert_true(n > 20 && out[n - 1] == '\n');
    out[n - 1] = '\0';
    auth_t *a = NULL;
    assert_int_equal(auth_new(&s, &a, err, sizeof(err)), 0);
    assert_int_equal(auth_authenticate(a, &req, out, strlen(out)), 0);
    assert_string_equal(req.principal.sub, "dev-user");
    assert_string_equal(req.principal.email, "dev@example.com");

    assert_int_equal(run_cli(&s, out, sizeof(out), 3, "token", "--sub=x1", "--ttl=5"), 0);
    out[strlen(out) - 1] = '\0';
    assert_int_equal(auth_authenticate(a, &req, out, strlen(out)), 0);
    assert_null(req.principal.email);
    auth_free(a);

    assert_int_equal(run_cli(&s, out, sizeof(out), 1, "token"), 2); /* no --sub */
    assert_string_equal(out, "");
    assert_int_equal(run_cli(&s, out, sizeof(out), 3, "token", "--sub", "bad sub"), 2);
    assert_int_equal(run_cli(&s, out, sizeof(out), 2, "token", "--sub"), 2);
    assert_int_equal(run_cli(&s, out, sizeof(out), 5, "token", "--sub", "x", "--ttl", "0"), 2);
    assert_int_equal(run_cli(&s, out, sizeof(out), 5, "token", "--sub", "x", "--ttl", "9x"), 2);
    assert_int_equal(run_cli(&s, out, sizeof(out), 4, "token", "--sub", "x", "--bogus"), 2);
    assert_int_equal(run_cli(&s, out, sizeof(out), 2, "token", "--help"), 0);
    assert_non_null(strstr(out, "usage"));
    s.secret = NULL;
    assert_int_equal(run_cli(&s, out, sizeof(out), 3, "token", "--sub", "x"), 2);
    s.secret = SECRET;
    s.secret_generated = true;
    assert_int_equal(run_cli(&s, out, sizeof(out), 3, "token", "--sub", "x"), 2);
    assert_string_equal(out, "");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
    const struct CMUnitTest tests[] = {
        T(test_new_rejects_bad_settings),
        T(test_hs256_bearer),
        T(test_issue_token_round_trip),
        T(test_issuer_audience_settings),
        T(test_without_secret_tokens_use_a_random_key),
        T(test_file_reload_on_unknown_kid),
        T(test_url_fetch_and_rotation),
        T(test_url_unreachable_at_start),
        T(test_fetch_limits),
        T(test_token_cli),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
