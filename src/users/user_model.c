/* The account model's field tables: the one place that says what a User and
 * the register/login bodies hold and what their limits are. */
#include "users/user_model.h"

#include <stddef.h>
#include <string.h>

#include "schema/schema.h"
#include "users/users.h"

#define USER_AT(member) .offset = offsetof(store_user_t, member)
#define REG_AT(member) .offset = offsetof(users_register_body_t, member)
#define LOGIN_AT(member) .offset = offsetof(users_login_body_t, member)
#define ANSWER_AT(member) .offset = offsetof(users_auth_answer_t, member)

static const schema_field_t user_fields[] = {
    {.name = "id",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     USER_AT(id),
     .flags = SCHEMA_READ_ONLY,
     .description = "The user id: the subject (sub) of the user's tokens.",
     .example = "\"g0jL7StSObb3PDClGaA4JgdAagrnUksR\""},
    {.name = "email",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     USER_AT(email),
     .flags = SCHEMA_READ_ONLY | SCHEMA_NULLABLE,
     .description = "The email address, lower-cased; null for a token without an email claim.",
     .example = "\"ada@example.com\""},
    {.name = "name",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     USER_AT(name),
     .flags = SCHEMA_READ_ONLY | SCHEMA_NULLABLE,
     .description = "The display name, if any.",
     .example = "\"Ada Lovelace\""},
    {.name = "created_at",
     .type = SCHEMA_DATETIME,
     .ctype = SCHEMA_C_STR,
     USER_AT(created_at),
     .flags = SCHEMA_READ_ONLY | SCHEMA_NULLABLE,
     .description = "When the account was made here; null for users known only from a token.",
     .example = "\"2025-12-10T10:05:00Z\""},
};

const schema_t user_schema = {
    .name = "User",
    .description = "An account: built in, or known from the front end's token.",
    .fields = user_fields,
    .n_fields = sizeof(user_fields) / sizeof(user_fields[0]),
    .mode = SCHEMA_MODE_RESPONSE,
};

static const schema_field_t register_fields[] = {
    {.name = "email",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     REG_AT(email),
     .flags = SCHEMA_REQUIRED | SCHEMA_TRIM,
     .min_length = 1,
     .max_length = USERS_EMAIL_MAX,
     .description = "An email address with one @ and a dot in the domain; surrounding "
                    "whitespace is trimmed and it is compared case-insensitively.",
     .example = "\"ada@example.com\""},
    {.name = "password",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     REG_AT(password),
     .flags = SCHEMA_REQUIRED | SCHEMA_MULTILINE,
     .min_length = USERS_PASSWORD_MIN,
     .max_length = USERS_PASSWORD_MAX,
     .description = "The password; stored only as an Argon2id hash.",
     .example = "\"correct horse battery staple\""},
    {.name = "name",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     REG_AT(name),
     .flags = SCHEMA_NULLABLE | SCHEMA_TRIM | SCHEMA_EMPTY_NULL,
     .max_length = USERS_NAME_MAX,
     .description = "An optional display name; surrounding whitespace is trimmed.",
     .example = "\"Ada Lovelace\""},
};

const schema_t users_register_schema = {
    .name = "RegisterInput",
    .description = "A new account.",
    .fields = register_fields,
    .n_fields = sizeof(register_fields) / sizeof(register_fields[0]),
    .mode = SCHEMA_MODE_CREATE,
};

static const schema_field_t login_fields[] = {
    {.name = "email",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     LOGIN_AT(email),
     .flags = SCHEMA_REQUIRED | SCHEMA_TRIM,
     .min_length = 1,
     .max_length = USERS_EMAIL_MAX,
     .description = "The account's email address (case-insensitive).",
     .example = "\"ada@example.com\""},
    {.name = "password",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     LOGIN_AT(password),
     .flags = SCHEMA_REQUIRED | SCHEMA_MULTILINE,
     .min_length = 1,
     .max_length = USERS_PASSWORD_MAX,
     .description = "The account's password.",
     .example = "\"correct horse battery staple\""},
};

const schema_t users_login_schema = {
    .name = "LoginInput",
    .description = "Credentials of a built-in account.",
    .fields = login_fields,
    .n_fields = sizeof(login_fields) / sizeof(login_fields[0]),
    .mode = SCHEMA_MODE_CREATE,
};

static const char *const token_types[] = {"bearer", NULL};

static const schema_field_t answer_fields[] = {
    {.name = "token",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     ANSWER_AT(token),
     .flags = SCHEMA_READ_ONLY,
     .description = "An HS256 JWT {sub, email, iat, exp}; send it as Authorization: Bearer.",
     .example = "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln\""},
    {.name = "token_type",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     ANSWER_AT(token_type),
     .flags = SCHEMA_READ_ONLY,
     .choices = token_types,
     .enum_base = USERS_TOKEN_BEARER,
     .description = "Always bearer.",
     .example = "\"bearer\""},
    {.name = "expires_at",
     .type = SCHEMA_DATETIME,
     .ctype = SCHEMA_C_STR,
     ANSWER_AT(expires_at),
     .flags = SCHEMA_READ_ONLY,
     .description = "When the token expires (its exp claim).",
     .example = "\"2025-12-17T10:05:00Z\""},
};

const schema_t users_auth_schema = {
    .name = "AuthToken",
    .description = "A built-in account and a bearer token for it.",
    .fields = answer_fields,
    .n_fields = sizeof(answer_fields) / sizeof(answer_fields[0]),
    .mode = SCHEMA_MODE_RESPONSE,
    .embed_name = "user",
    .embed = &user_schema,
    .embed_offset = offsetof(users_auth_answer_t, user),
};

bool users_email_valid(const char *email)
{
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = email; *p != '\0'; p++)
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            return false;
    const char *domain = at + 1;
    size_t n = strlen(domain);
    const char *dot = strchr(domain, '.');
    return n >= 3 && dot != NULL && domain[0] != '.' && domain[n - 1] != '.';
}

char *users_email_fold(arena_t *arena, const char *email)
{
    char *out = arena_strdup(arena, email);
    for (char *p = out; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

void users_encode_user(const store_user_t *u, buf_t *out)
{
    schema_encode(&user_schema, u, out);
}

void users_encode_auth(const users_auth_answer_t *a, buf_t *out)
{
    schema_encode(&users_auth_schema, a, out);
}
