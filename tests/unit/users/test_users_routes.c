/* The account routes against a fake HTTP layer (../fake_api.h; api_offload,
 * here, runs the job inline) and a fake user store, with the real auth
 * module issuing and checking tokens and real Argon2id hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fake_api.h"
#include "users/users_routes.c" /* reaches the module's state and clock */

/* ---- the fake HTTP layer: fake_api.h, and api_offload running inline ------- */

static int offloads;

void api_offload(api_req_t *r, void (*work)(void *arg), void (*done)(api_req_t *r, void *arg),
                 void *arg)
{
    offloads++;
    work(arg);
    done(r, arg);
}

void api_auth_done(api_req_t *r, bool ok)
{
    (void)r;
    (void)ok;
    fail_msg("no token here needs a key refetch");
}

/* ---- the fake store ------------------------------------------------------- */

enum { MAX_USERS = 16 };

static struct {
    store_user_t rows[MAX_USERS];
    int n;
    store_status_t fail; /* STORE_OK, or what every call answers */
    int calls;
} db;

static void copy_user(arena_t *arena, const store_user_t *src, store_user_t *dst)
{
    dst->id = arena_strdup(arena, src->id);
    dst->email = arena_strdup(arena, src->email);
    dst->name = arena_strdup(arena, src->name);
    dst->password_hash = arena_strdup(arena, src->password_hash);
    dst->created_at = arena_strdup(arena, src->created_at);
}

static void answer_user(arena_t *arena, const store_user_t *u, store_cb cb, void *ctx)
{
    store_result_t res = {.status = db.fail};
    if (db.fail == STORE_OK) {
        if (u == NULL) {
            res.status = STORE_NOT_FOUND;
        } else {
            res.user = arena_calloc(arena, 1, sizeof(*res.user));
            copy_user(arena, u, res.user);
        }
    }
    cb(ctx, &res);
}

void store_user_create(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                       void *ctx)
{
    (void)w;
    db.calls++;
    for (int i = 0; i < db.n; i++) {
        if (strcmp(db.rows[i].email, u->email) == 0) {
            store_result_t res = {.status = STORE_CONFLICT};
            cb(ctx, &res);
            return;
        }
    }
    if (db.fail == STORE_OK) {
        assert_true(db.n < MAX_USERS);
        store_user_t *row = &db.rows[db.n++];
        row->id = strdup(u->id);
        row->email = strdup(u->email);
        row->name = u->name ? strdup(u->name) : NULL;
        row->password_hash = strdup(u->password_hash);
        row->created_at = strdup(u->created_at);
    }
    answer_user(arena, u, cb, ctx);
}

void store_user_get_by_email(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                             void *ctx)
{
    (void)w;
    db.calls++;
    const store_user_t *found = NULL;
    for (int i = 0; i < db.n; i++)
        if (strcmp(db.rows[i].email, email) == 0)
            found = &db.rows[i];
    answer_user(arena, found, cb, ctx);
}

void store_user_get(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx)
{
    (void)w;
    db.calls++;
    const store_user_t *found = NULL;
    for (int i = 0; i < db.n; i++)
        if (strcmp(db.rows[i].id, id) == 0)
            found = &db.rows[i];
    answer_user(arena, found, cb, ctx);
}

static void db_clear(void)
{
    for (int i = 0; i < db.n; i++) {
        free((void *)db.rows[i].id);
        free((void *)db.rows[i].email);
        free((void *)db.rows[i].name);
        free((void *)db.rows[i].password_hash);
        free((void *)db.rows[i].created_at);
    }
    memset(&db, 0, sizeof(db));
}

/* ---- fixtures --------------------------------------------------------------- */

#define SECRET "users-test-secret-users-test-secret-0123"

static auth_t *auth;
static api_req_t req;

static time_t fixed_clock(time_t *t)
{
    (void)t;
    return 1765361100; /* 2025-12-10T10:05:00Z */
}

static int group_setup(void **state)
{
    (void)state;
    log_configure(LOG_ERROR, LOG_FORMAT_TEXT);
    settings_t s = {.secret = SECRET, .token_ttl = 604800, .jwks_refresh_seconds = 60};
    char err[256];
    if (auth_new(&s, &auth, err, sizeof(err)) != 0)
        return -1;
    users_clock = fixed_clock;
    return users_init(auth);
}

static int group_teardown(void **state)
{
    (void)state;
    users_shutdown();
    auth_free(auth);
    db_clear();
    json_decref(ans.body);
    return 0;
}

static int each_setup(void **state)
{
    (void)state;
    fake_api_reset();
    offloads = 0;
    return 0;
}

static int each_teardown(void **state)
{
    (void)state;
    db_clear();
    return 0;
}

/* Runs handler on a JSON body (text) from client address addr. */
static void call(void (*handler)(api_req_t *), const char *body, const char *addr)
{
    fake_api_reset();
    arena_free(req.arena);
    memset(&req, 0, sizeof(req));
    req.arena = arena_new();
    req.client_addr = addr;
    req.body = body ? json_loads(body, 0, NULL) : NULL;
    if (body != NULL)
        assert_non_null(req.body);
    handler(&req);
    assert_int_equal(ans.n_answers, 1);
    json_decref(req.body);
    req.body = NULL;
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The issue codes of a 400 answer, as "field:code field:code". */
static const char *issues(void)
{
    static char out[512];
    out[0] = '\0';
    json_t *errors = json_object_get(ans.body, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        size_t n = strlen(out);
        snprintf(out + n, sizeof(out) - n, "%s%s:%s", n ? " " : "", str(e, "field"),
                 str(e, "code"));
    }
    return out;
}

/* Checks a token answer and that its token authenticates as its user. */
static void check_token_answer(const char *email)
{
    json_t *user = json_object_get(ans.body, "user");
    const char *id = str(user, "id");
    assert_non_null(id);
    assert_int_equal(strlen(id), USERS_ID_LEN);
    assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                     USERS_ID_LEN);
    assert_string_equal(str(user, "email"), email);
    assert_string_equal(str(ans.body, "token_type"), "bearer");
    const char *tok = str(ans.body, "token");
    assert_non_null(tok);
    /* expires_at is the token's exp: now + TOKEN_TTL, as an RFC 3339 stamp. */
    const char *exp = str(ans.body, "expires_at");
    assert_non_null(exp);
    assert_int_equal(strlen(exp), 20);
    assert_int_equal(exp[19], 'Z');
    api_req_t r2 = {.arena = arena_new()};
    assert_int_equal(auth_authenticate(auth, &r2, tok, strlen(tok)), 0);
    assert_string_equal(r2.principal.sub, id);
    assert_string_equal(r2.principal.email, email);
    arena_free(r2.arena);
}

#define REG(email, pw) "{\"email\":\"" email "\",\"password\":\"" pw "\"}"

/* ---- register ------------------------------------------------------------------ */

static void test_register_ok(void **state)
{
    (void)state;
    call(users_handle_register,
         "{\"email\":\"  Ada.Lovelace@Example.COM \",\"password\":\"correct horse\","
         "\"name\":\" Ada \"}",
         "10.0.0.1");
    assert_int_equal(ans.status, 201);
    assert_string_equal(header("Location"), "/api/auth/me");
    check_token_answer("ada.lovelace@example.com");
    json_t *user = json_object_get(ans.body, "user");
    assert_string_equal(str(user, "name"), "Ada");
    assert_string_equal(str(user, "created_at"), "2025-12-10T10:05:00Z");
    assert_int_equal(json_object_size(user), 4);
    assert_int_equal(offloads, 1); /* the hash ran off the event loop */
    /* Stored: folded email, an Argon2id hash and never the password. */
    assert_int_equal(db.n, 1);
    assert_string_equal(db.rows[0].email, "ada.lovelace@example.com");
    assert_int_equal(strncmp(db.rows[0].password_hash, "$argon2id$", 10), 0);
    assert_null(strstr(db.rows[0].password_hash, "correct horse"));
    assert_string_equal(db.rows[0].id, str(user, "id"));
}

static void test_register_without_name(void **state)
{
    (void)state;
    call(users_handle_register, REG("b@x.io", "12345678"), "10.0.0.1");
    assert_int_equal(ans.status, 201);
    assert_true(json_is_null(json_object_get(json_object_get(ans.body, "user"), "name")));
    call(users_handle_register, "{\"email\":\"c@x.io\",\"password\":\"12345678\",\"name\":null}",
         "10.0.0.1");
    assert_int_equal(ans.status, 201);
    call(users_handle_register, "{\"email\":\"d@x.io\",\"password\":\"12345678\",\"name\":\"  \"}",
         "10.0.0.1");
    assert_int_equal(ans.status, 201);
    assert_true(json_is_null(json_object_get(json_object_get(ans.body, "user"), "name")));
}

static void test_register_conflict(void **state)
{
    (void)state;
    call(users_handle_register, REG("taken@x.io", "password1"), "10.0.0.1");
    assert_int_equal(ans.status, 201);
    call(users_handle_register, REG("TAKEN@X.IO ", "password2"), "10.0.0.1");
    assert_int_equal(ans.status, 409);
    assert_string_equal(str(ans.body, "code"), "CONFLICT");
    assert_int_equal(db.n, 1);
}

static void test_register_validation(void **state)
{
    (void)state;
    call(users_handle_register, "{}", "a");
    assert_int_equal(ans.status, 400);
    assert_string_equal(issues(), "email:missing password:missing");
    assert_int_equal(offloads, 0);
    call(users_handle_register, REG("no-at-sign", "12345678"), "a");
    assert_string_equal(issues(), "email:invalid_format");
    call(users_handle_register, REG("a@nodot", "12345678"), "a");
    assert_string_equal(issues(), "email:invalid_format");
    call(users_handle_register, REG("a@b@c.io", "12345678"), "a");
    assert_string_equal(issues(), "email:invalid_format");
    call(users_handle_register, REG("a@x.io", "1234567"), "a");
    assert_string_equal(issues(), "password:too_short");
    assert_string_equal(str(ans.body, "detail"), "password must be 8-128 characters");
    call(users_handle_register, "{\"email\":7,\"password\":true}", "a");
    assert_string_equal(issues(), "email:wrong_type password:wrong_type");
    call(users_handle_register,
         "{\"email\":\"a@x.io\",\"password\":\"12345678\",\"role\":\"admin\"}", "a");
    assert_string_equal(issues(), "role:unknown_field");
    call(users_handle_register, "{\"email\":\"a\\u0001@x.io\",\"password\":\"12345678\"}", "a");
    assert_string_equal(issues(), "email:control_character");
    assert_int_equal(db.calls, 0);
}

static void test_register_lengths_count_code_points(void **state)
{
    (void)state;
    char body[2048];
    char pw[600] = "";
    for (int i = 0; i < 128; i++)
        strcat(pw, "\xc3\xa9"); /* é: 2 bytes, 1 code point */
    snprintf(body, sizeof(body), "{\"email\":\"e@x.io\",\"password\":\"%s\"}", pw);
    call(users_handle_register, body, "a");
    assert_int_equal(ans.status, 201);
    strcat(pw, "x");
    snprintf(body, sizeof(body), "{\"email\":\"f@x.io\",\"password\":\"%s\"}", pw);
    call(users_handle_register, body, "a");
    assert_string_equal(issues(), "password:too_long");

    char name[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(name, "\xc3\xa9");
    snprintf(body, sizeof(body), "{\"email\":\"g@x.io\",\"password\":\"12345678\",\"name\":\"%s\"}",
             name);
    call(users_handle_register, body, "a");
    assert_int_equal(ans.status, 201);
    strcat(name, "x");
    snprintf(body, sizeof(body), "{\"email\":\"h@x.io\",\"password\":\"12345678\",\"name\":\"%s\"}",
             name);
    call(users_handle_register, body, "a");
    assert_string_equal(issues(), "name:too_long");

    char email[300];
    memset(email, 'a', 247);
    strcpy(email + 247, "@x.io"); /* 252 characters */
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"12345678\"}", email);
    call(users_handle_register, body, "a");
    assert_int_equal(ans.status, 201);
    memset(email, 'b', 250);
    strcpy(email + 250, "@x.io"); /* 255 characters */
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"12345678\"}", email);
    call(users_handle_register, body, "a");
    assert_string_equal(issues(), "email:too_long");
}

static void test_register_store_down(void **state)
{
    (void)state;
    db.fail = STORE_UNAVAILABLE;
    call(users_handle_register, REG("a@x.io", "12345678"), "a");
    assert_int_equal(ans.status, 503);
}

/* ---- login --------------------------------------------------------------------- */

static void test_login_ok_and_failures_look_alike(void **state)
{
    (void)state;
    call(users_handle_register, REG("ada@x.io", "right password"), "10.0.0.2");
    assert_int_equal(ans.status, 201);
    const char *id = str(json_object_get(ans.body, "user"), "id");
    char first_id[64];
    snprintf(first_id, sizeof(first_id), "%s", id);

    call(users_handle_login, "{\"email\":\" ADA@x.io\",\"password\":\"right password\"}",
         "10.0.0.2");
    assert_int_equal(ans.status, 200);
    assert_null(header("Location"));
    check_token_answer("ada@x.io");
    assert_string_equal(str(json_object_get(ans.body, "user"), "id"), first_id);

    call(users_handle_login, REG("ada@x.io", "wrong password"), "10.0.0.2");
    assert_int_equal(ans.status, 401);
    char *wrong = json_dumps(ans.body, JSON_SORT_KEYS);
    assert_int_equal(offloads, 3); /* register, login, login */
    call(users_handle_login, REG("nobody@x.io", "wrong password"), "10.0.0.2");
    assert_int_equal(ans.status, 401);
    assert_int_equal(offloads, 4); /* the unknown email was "checked" too */
    char *unknown = json_dumps(ans.body, JSON_SORT_KEYS);
    assert_string_equal(wrong, unknown);
    assert_string_equal(str(ans.body, "detail"), "Invalid email or password");
    assert_string_equal(str(ans.body, "code"), "UNAUTHORIZED");
    free(wrong);
    free(unknown);
}

static void test_login_validation(void **state)
{
    (void)state;
    call(users_handle_login, "{\"email\":\"a@x.io\"}", "a");
    assert_int_equal(ans.status, 400);
    assert_string_equal(issues(), "password:missing");
    call(users_handle_login, "{\"email\":\"a@x.io\",\"password\":\"\"}", "a");
    assert_string_equal(issues(), "password:too_short");
    assert_int_equal(db.calls, 0);
}

static void test_login_rate_limit_per_email(void **state)
{
    (void)state;
    call(users_handle_register, REG("victim@x.io", "the password"), "10.0.0.3");
    for (int i = 0; i < 10; i++) {
        call(users_handle_login, REG("victim@x.io", "guess guess"), "10.0.0.3");
        assert_int_equal(ans.status, 401);
    }
    /* The 11th attempt within 15 minutes is refused, even with the right
     * password, without looking at it. */
    int before = offloads;
    call(users_handle_login, REG("VICTIM@x.io", "the password"), "10.0.0.4");
    assert_int_equal(ans.status, 429);
    assert_string_equal(str(ans.body, "code"), "RATE_LIMITED");
    long wait = atol(header("Retry-After"));
    assert_true(wait >= 1 && wait <= USERS_FAIL_WINDOW);
    assert_int_equal(offloads, before);
    /* Another email from the same address is still fine. */
    call(users_handle_login, REG("other@x.io", "guess guess"), "10.0.0.3");
    assert_int_equal(ans.status, 401);
    ratelimit_reset(users.by_email, "victim@x.io", strlen("victim@x.io"));
}

static void test_login_success_clears_email_failures(void **state)
{
    (void)state;
    call(users_handle_register, REG("pat@x.io", "the password"), "10.0.0.5");
    for (int i = 0; i < 9; i++)
        call(users_handle_login, REG("pat@x.io", "guess guess"), "10.0.0.5");
    call(users_handle_login, REG("pat@x.io", "the password"), "10.0.0.5");
    assert_int_equal(ans.status, 200);
    for (int i = 0; i < 10; i++) {
        call(users_handle_login, REG("pat@x.io", "guess guess"), "10.0.0.5");
        assert_int_equal(ans.status, 401);
    }
    call(users_handle_login, REG("pat@x.io", "guess guess"), "10.0.0.5");
    assert_int_equal(ans.status, 429);
    ratelimit_reset(users.by_email, "pat@x.io", strlen("pat@x.io"));
}

static void test_login_rate_limit_per_address(void **state)
{
    (void)state;
    /* The same logic as 100 per address, with a table of 3 to keep this fast. */
    ratelimit_t *real = users.by_address;
    users.by_address = ratelimit_new(64, 3, USERS_FAIL_WINDOW);
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"email\":\"u%d@x.io\",\"password\":\"xxxxxxxx\"}", i);
        call(users_handle_login, body, "192.0.2.7");
        assert_int_equal(ans.status, 401);
    }
    call(users_handle_login, REG("fresh@x.io", "xxxxxxxx"), "192.0.2.7");
    assert_int_equal(ans.status, 429);
    assert_non_null(header("Retry-After"));
    call(users_handle_login, REG("fresh@x.io", "xxxxxxxx"), "192.0.2.8");
    assert_int_equal(ans.status, 401);
    ratelimit_free(users.by_address);
    users.by_address = real;
}

static void test_login_store_down_counts_nothing(void **state)
{
    (void)state;
    db.fail = STORE_UNAVAILABLE;
    for (int i = 0; i < 12; i++) {
        call(users_handle_login, REG("down@x.io", "xxxxxxxx"), "10.0.0.9");
        assert_int_equal(ans.status, 503);
    }
    assert_int_equal(offloads, 0);
}

/* ---- me ------------------------------------------------------------------------- */

static void test_me_with_account(void **state)
{
    (void)state;
    call(users_handle_register, "{\"email\":\"me@x.io\",\"password\":\"12345678\",\"name\":\"Me\"}",
         "a");
    char id[64];
    snprintf(id, sizeof(id), "%s", str(json_object_get(ans.body, "user"), "id"));
    arena_free(req.arena);
    memset(&req, 0, sizeof(req));
    req.arena = arena_new();
    req.principal.sub = id;
    req.principal.email = "stale@x.io";
    fake_api_reset();
    users_handle_me(&req);
    assert_int_equal(ans.status, 200);
    assert_int_equal(json_object_size(ans.body), 4);
    assert_string_equal(str(ans.body, "id"), id);
    assert_string_equal(str(ans.body, "email"), "me@x.io");
    assert_string_equal(str(ans.body, "name"), "Me");
    assert_string_equal(str(ans.body, "created_at"), "2025-12-10T10:05:00Z");
}

static void test_me_from_token_only(void **state)
{
    (void)state;
    arena_free(req.arena);
    memset(&req, 0, sizeof(req));
    req.arena = arena_new();
    req.principal.sub = "VF3GY5BtIUt1zLTAzLVHa68GRvCmQcyK";
    req.principal.email = "front@x.io";
    fake_api_reset();
    users_handle_me(&req);
    assert_int_equal(ans.status, 200);
    assert_string_equal(str(ans.body, "id"), "VF3GY5BtIUt1zLTAzLVHa68GRvCmQcyK");
    assert_string_equal(str(ans.body, "email"), "front@x.io");
    assert_true(json_is_null(json_object_get(ans.body, "name")));
    assert_true(json_is_null(json_object_get(ans.body, "created_at")));

    req.principal.email = NULL;
    fake_api_reset();
    users_handle_me(&req);
    assert_int_equal(ans.status, 200);
    assert_true(json_is_null(json_object_get(ans.body, "email")));
    assert_int_equal(json_object_size(ans.body), 4);

    db.fail = STORE_UNAVAILABLE;
    fake_api_reset();
    users_handle_me(&req);
    assert_int_equal(ans.status, 503);
}

static void test_not_initialised(void **state)
{
    (void)state;
    const auth_t *saved = users.auth;
    users.auth = NULL;
    call(users_handle_register, REG("a@x.io", "12345678"), "a");
    assert_int_equal(ans.status, 500);
    call(users_handle_login, REG("a@x.io", "12345678"), "a");
    assert_int_equal(ans.status, 500);
    users.auth = saved;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
    const struct CMUnitTest tests[] = {
        T(test_register_ok),
        T(test_register_without_name),
        T(test_register_conflict),
        T(test_register_validation),
        T(test_register_lengths_count_code_points),
        T(test_register_store_down),
        T(test_login_ok_and_failures_look_alike),
        T(test_login_validation),
        T(test_login_rate_limit_per_email),
        T(test_login_success_clears_email_failures),
        T(test_login_rate_limit_per_address),
        T(test_login_store_down_counts_nothing),
        T(test_me_with_account),
        T(test_me_from_token_only),
        T(test_not_initialised),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    arena_free(req.arena);
    return rc;
}
