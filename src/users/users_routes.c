/* The account routes. Register and login hash or check the password on the
 * blocking-work pool and continue on the request's thread; the store calls
 * are asynchronous in shape, so each step ends right after starting the next.
 * Never logs a password, a hash or a token. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/password.h"
#include "auth/ratelimit.h"
#include "core/log.h"
#include "schema/date.h"
#include "users/user_model.h"
#include "users/users.h"

/* The clock; unit tests that include this file may point it elsewhere. */
static time_t (*users_clock)(time_t *) = time;

static const char *const BAD_LOGIN = "Invalid email or password";

static struct {
    const auth_t *auth;
    ratelimit_t *by_email;
    ratelimit_t *by_address;
} users;

int users_init(const auth_t *auth)
{
    if (password_init() != 0)
        return -1;
    users.auth = auth;
    if (users.by_email == NULL) {
        users.by_email = ratelimit_new(8192, USERS_FAILS_PER_EMAIL, USERS_FAIL_WINDOW);
        users.by_address = ratelimit_new(2048, USERS_FAILS_PER_ADDRESS, USERS_FAIL_WINDOW);
    }
    return 0;
}

void users_shutdown(void)
{
    ratelimit_free(users.by_email);
    ratelimit_free(users.by_address);
    users.by_email = users.by_address = NULL;
    users.auth = NULL;
}

static long long mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static const char *stamp_of(arena_t *arena, time_t t)
{
    char *s = arena_alloc(arena, DATE_STAMP_STR_SIZE);
    date_utc_now(t, s, NULL);
    return s;
}

/* Answers status with the user and a fresh token for it. */
static void respond_with_token(api_req_t *r, int status, const store_user_t *u)
{
    users_auth_answer_t a = {.user = u, .token_type = USERS_TOKEN_BEARER};
    long long exp = 0;
    auth_issue_token(users.auth, u->id, u->email, 0, r->arena, &a.token, &exp);
    a.expires_at = stamp_of(r->arena, (time_t)exp);
    buf_t b = BUF_INIT;
    users_encode_auth(&a, &b);
    api_respond_json(r, status, b.data, b.len);
    buf_dispose(&b);
}

/* Wipes a password copy once it is no longer needed. */
static void forget(const char *password)
{
    if (password != NULL)
        sodium_memzero((void *)password, strlen(password));
}

/* ---- register ----------------------------------------------------------- */

typedef struct register_ctx {
    api_req_t *r;
    users_register_body_t body;
    char hash[PASSWORD_HASH_MAX];
    int hash_rc;
    store_user_t user;
} register_ctx_t;

static void random_id(char out[USERS_ID_LEN + 1])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < USERS_ID_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[USERS_ID_LEN] = '\0';
}

static void on_registered(void *arg, const store_result_t *res)
{
    register_ctx_t *c = arg;
    sodium_memzero(c->hash, sizeof(c->hash));
    if (res->status == STORE_CONFLICT) {
        api_respond_err(c->r, API_ERR_CONFLICT, "An account with this email already exists");
        return;
    }
    if (res->status != STORE_OK || res->user == NULL) {
        api_respond_store_error(c->r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    api_add_header(c->r, "Location", "/api/auth/me");
    respond_with_token(c->r, 201, res->user);
}

static void register_hash(void *arg)
{
    register_ctx_t *c = arg;
    c->hash_rc = password_hash(c->body.password, strlen(c->body.password), c->hash);
    forget(c->body.password);
}

static void register_hashed(api_req_t *r, void *arg)
{
    register_ctx_t *c = arg;
    if (c->hash_rc != 0) {
        LOG_ERROR("register: password hashing failed (out of memory?)");
        api_respond_err(r, API_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    char *id = arena_alloc(r->arena, USERS_ID_LEN + 1);
    random_id(id);
    c->user = (store_user_t){.id = id,
                             .email = c->body.email,
                             .name = c->body.name,
                             .password_hash = c->hash,
                             .created_at = stamp_of(r->arena, users_clock(NULL))};
    store_user_create(r->store, r->arena, &c->user, on_registered, c);
}

void users_handle_register(api_req_t *r)
{
    register_ctx_t *c = arena_calloc(r->arena, 1, sizeof(*c));
    c->r = r;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    schema_decode_json(&users_register_schema, r->body, &c->body, NULL, r->arena, &err);
    if (c->body.email != NULL && !users_email_valid(c->body.email)) {
        api_error_add(&err, r->arena, "email", FIELD_ISSUE_INVALID_FORMAT,
                      "email must be an address like name@example.com");
    }
    if (err.n_issues > 0) {
        forget(c->body.password);
        api_respond_error(r, &err);
        return;
    }
    if (users.auth == NULL) {
        LOG_ERROR("register: users_init was not called");
        api_respond_err(r, API_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    c->body.email = users_email_fold(r->arena, c->body.email);
    api_offload(r, register_hash, register_hashed, c);
}

/* ---- login -------------------------------------------------------------- */

typedef struct login_ctx {
    api_req_t *r;
    users_login_body_t body;
    const char *address;
    store_user_t *user; /* NULL: no such email */
    bool ok;
} login_ctx_t;

static void login_check(void *arg)
{
    login_ctx_t *c = arg;
    size_t n = strlen(c->body.password);
    if (c->user != NULL)
        c->ok = password_verify(c->user->password_hash, c->body.password, n);
    else
        c->ok = password_verify_dummy(c->body.password, n);
    forget(c->body.password);
}

static void login_checked(api_req_t *r, void *arg)
{
    login_ctx_t *c = arg;
    if (!c->ok) {
        api_respond_err(r, API_ERR_UNAUTHORIZED, BAD_LOGIN);
        return;
    }
    /* Not a failure after all: the email starts afresh, the address gets
     * this attempt back. */
    ratelimit_reset(users.by_email, c->body.email, strlen(c->body.email));
    ratelimit_forgive(users.by_address, c->address, strlen(c->address));
    respond_with_token(r, 200, c->user);
}

static void on_login_user(void *arg, const store_result_t *res)
{
    login_ctx_t *c = arg;
    if (res->status == STORE_OK && res->user != NULL) {
        c->user = res->user;
    } else if (res->status != STORE_NOT_FOUND) {
        /* The database failed, not the client: no attempt is counted. */
        ratelimit_forgive(users.by_email, c->body.email, strlen(c->body.email));
        ratelimit_forgive(users.by_address, c->address, strlen(c->address));
        forget(c->body.password);
        api_respond_store_error(c->r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    api_offload(c->r, login_check, login_checked, c);
}

/* Answers 429 with Retry-After. */
static void respond_limited(api_req_t *r, long wait)
{
    char secs[24];
    snprintf(secs, sizeof(secs), "%ld", wait);
    api_add_header(r, "Retry-After", secs);
    api_respond_err(
        r, API_ERR_RATE_LIMITED,
        arena_printf(r->arena, "Too many failed logins; try again in %ld seconds", wait));
}

void users_handle_login(api_req_t *r)
{
    login_ctx_t *c = arena_calloc(r->arena, 1, sizeof(*c));
    c->r = r;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    if (schema_decode_json(&users_login_schema, r->body, &c->body, NULL, r->arena, &err) != 0) {
        forget(c->body.password);
        api_respond_error(r, &err);
        return;
    }
    if (users.auth == NULL) {
        LOG_ERROR("login: users_init was not called");
        api_respond_err(r, API_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    c->body.email = users_email_fold(r->arena, c->body.email);
    c->address = r->client_addr != NULL ? r->client_addr : "";
    /* Every attempt counts as a failure until the password matched. */
    long long now = mono_now();
    long wait = ratelimit_take(users.by_address, c->address, strlen(c->address), now);
    if (wait == 0) {
        wait = ratelimit_take(users.by_email, c->body.email, strlen(c->body.email), now);
        if (wait > 0)
            ratelimit_forgive(users.by_address, c->address, strlen(c->address));
    }
    if (wait > 0) {
        forget(c->body.password);
        respond_limited(r, wait);
        return;
    }
    store_user_get_by_email(r->store, r->arena, c->body.email, on_login_user, c);
}

/* ---- me ----------------------------------------------------------------- */

static void on_me(void *arg, const store_result_t *res)
{
    api_req_t *r = arg;
    store_user_t from_token = {.id = r->principal.sub, .email = r->principal.email};
    const store_user_t *u = NULL;
    if (res->status == STORE_OK && res->user != NULL) {
        u = res->user;
    } else if (res->status == STORE_NOT_FOUND) {
        u = &from_token; /* a front-end user with no account here */
    } else {
        api_respond_store_error(r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    buf_t b = BUF_INIT;
    users_encode_user(u, &b);
    api_respond_json(r, 200, b.data, b.len);
    buf_dispose(&b);
}

void users_handle_me(api_req_t *r)
{
    store_user_get(r->store, r->arena, r->principal.sub, on_me, r);
}
