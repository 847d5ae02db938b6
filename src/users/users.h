/* Built-in accounts (API.md section 3), so the server is usable without a
 * separate auth service: register, log in, and "who am I". The route table in
 * src/app.c points at the handlers; the schemas describe the bodies for
 * validation and for the OpenAPI document.
 *
 * Passwords are hashed and checked on the blocking-work pool (api_offload),
 * never on an event loop. Failed logins are limited per email and per client
 * address (429 with Retry-After). */
#ifndef TODO_USERS_USERS_H
#define TODO_USERS_USERS_H

#include "auth/auth.h"
#include "http/api.h"
#include "schema/schema.h"

/** Limits of the accounts (API.md section 3). */
enum {
    USERS_EMAIL_MAX = 254,         /* code points */
    USERS_PASSWORD_MIN = 8,        /* code points */
    USERS_PASSWORD_MAX = 128,      /* code points */
    USERS_NAME_MAX = 100,          /* code points */
    USERS_ID_LEN = 32,             /* random [A-Za-z0-9], like Better Auth's ids */
    USERS_FAILS_PER_EMAIL = 10,    /* failed logins allowed per email ... */
    USERS_FAILS_PER_ADDRESS = 100, /* ... and per client address ... */
    USERS_FAIL_WINDOW = 15 * 60,   /* ... within this many seconds */
};

/** Makes the accounts ready: remembers auth (for issuing tokens; it must
 *  outlive the server), prepares password hashing and the failed-login
 *  tables. Call once at start-up, before the server runs. Returns 0, or -1
 *  when libsodium cannot start. */
int users_init(const auth_t *auth);
/** Frees what users_init made; call after the server stopped. */
void users_shutdown(void);

/** POST /api/auth/register: 201 {"user","token","token_type","expires_at"}
 *  with Location: /api/auth/me; 409 when the email is taken. */
void users_handle_register(api_req_t *r);
/** POST /api/auth/login: 200 with the same shape; 401 "Invalid email or
 *  password" for an unknown email and a wrong password alike; 429 with
 *  Retry-After after too many failures. */
void users_handle_login(api_req_t *r);
/** GET /api/auth/me: 200 User; for a token whose subject has no account here,
 *  the User comes from the token (email claim or null, name and created_at
 *  null). */
void users_handle_me(api_req_t *r);

/** The User object: {"id","email","name","created_at"}, from store_user_t. */
extern const struct schema user_schema;
/** Body of register: {"email","password","name"?}. */
extern const struct schema users_register_schema;
/** Body of login: {"email","password"}. */
extern const struct schema users_login_schema;
/** The answer of register and login: {"user": User, "token", "token_type",
 *  "expires_at"}. */
extern const struct schema users_auth_schema;

#endif
