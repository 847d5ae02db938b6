/* The account model beyond users.h: the structs the request bodies decode
 * into, email normalisation, and the JSON answers. */
#ifndef TODO_USERS_USER_MODEL_H
#define TODO_USERS_USER_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "store/store.h"

/** What the register body decodes into. */
typedef struct users_register_body {
    const char *email;
    const char *password;
    const char *name; /* or NULL */
} users_register_body_t;

/** What the login body decodes into. */
typedef struct users_login_body {
    const char *email;
    const char *password;
} users_login_body_t;

/** The token part of an auth answer (users_auth_schema). */
typedef struct users_auth_answer {
    const store_user_t *user;
    const char *token;
    int token_type;         /* always USERS_TOKEN_BEARER */
    const char *expires_at; /* "YYYY-MM-DDTHH:MM:SSZ" */
} users_auth_answer_t;

enum { USERS_TOKEN_BEARER = 1 };

/** True when email (already trimmed) has the shape API.md asks for: one '@'
 *  with something before it, and a domain holding a dot that neither starts
 *  nor ends it; no whitespace. */
bool users_email_valid(const char *email);

/** The email lower-cased (ASCII letters) in arena: how emails are stored and
 *  compared. */
char *users_email_fold(arena_t *arena, const char *email);

/** Appends the User object. */
void users_encode_user(const store_user_t *u, buf_t *out);

/** Appends {"user": User, "token", "token_type": "bearer", "expires_at"}. */
void users_encode_auth(const users_auth_answer_t *a, buf_t *out);

#endif
