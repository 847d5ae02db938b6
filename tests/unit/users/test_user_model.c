/* The account model: its tables are consistent, emails are checked and
 * folded as API.md says, and the answers have the documented shape. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "users/user_model.h"
#include "users/users.h"

static void test_tables_are_consistent(void **state)
{
    (void)state;
    const schema_t *all[] = {&user_schema, &users_register_schema, &users_login_schema,
                             &users_auth_schema};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *why = NULL;
        if (schema_check(all[i], &why) != 0)
            fail_msg("%s: %s", all[i]->name, why);
    }
    /* The limits of API.md section 3, read back from the tables. */
    const schema_field_t *f = schema_field_find(&users_register_schema, "password", NULL);
    assert_int_equal(f->min_length, 8);
    assert_int_equal(f->max_length, 128);
    assert_int_equal(schema_field_find(&users_register_schema, "email", NULL)->max_length, 254);
    assert_int_equal(schema_field_find(&users_register_schema, "name", NULL)->max_length, 100);
    assert_true(schema_field_required(&users_register_schema,
                                      schema_field_find(&users_register_schema, "email", NULL)));
    assert_false(schema_field_required(&users_register_schema,
                                       schema_field_find(&users_register_schema, "name", NULL)));
    /* The password hash is no field of the User object. */
    assert_null(schema_field_find(&user_schema, "password_hash", NULL));
}

static void test_email_shape(void **state)
{
    (void)state;
    assert_true(users_email_valid("a@b.co"));
    assert_true(users_email_valid("first.last+tag@sub.example.com"));
    assert_false(users_email_valid(""));
    assert_false(users_email_valid("plain"));
    assert_false(users_email_valid("@example.com"));
    assert_false(users_email_valid("a@b@example.com"));
    assert_false(users_email_valid("a@localhost"));
    assert_false(users_email_valid("a@.example"));
    assert_false(users_email_valid("a@example."));
    assert_false(users_email_valid("a b@example.com"));
    assert_false(users_email_valid("a@exa\tmple.com"));
}

static void test_email_fold(void **state)
{
    (void)state;
    arena_t *a = arena_new();
    assert_string_equal(users_email_fold(a, "Ada.LOVELACE@Example.COM"),
                        "ada.lovelace@example.com");
    assert_string_equal(users_email_fold(a, "\xc3\x89mile@x.io"), "\xc3\x89mile@x.io");
    arena_free(a);
}

static void test_encode_auth_shape(void **state)
{
    (void)state;
    store_user_t u = {.id = "abc",
                      .email = "a@b.co",
                      .name = NULL,
                      .password_hash = "$argon2id$secret",
                      .created_at = "2025-12-10T10:05:00Z"};
    users_auth_answer_t ans = {.user = &u,
                               .token = "t.o.k",
                               .token_type = USERS_TOKEN_BEARER,
                               .expires_at = "2025-12-17T10:05:00Z"};
    buf_t b = BUF_INIT;
    users_encode_auth(&ans, &b);
    json_t *j = json_loads(b.data, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 4);
    json_t *user = json_object_get(j, "user");
    assert_int_equal(json_object_size(user), 4);
    assert_string_equal(json_string_value(json_object_get(user, "id")), "abc");
    assert_true(json_is_null(json_object_get(user, "name")));
    assert_string_equal(json_string_value(json_object_get(j, "token")), "t.o.k");
    assert_string_equal(json_string_value(json_object_get(j, "token_type")), "bearer");
    assert_string_equal(json_string_value(json_object_get(j, "expires_at")),
                        "2025-12-17T10:05:00Z");
    assert_null(strstr(b.data, "argon2"));
    json_decref(j);
    buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_are_consistent),
        cmocka_unit_test(test_email_shape),
        cmocka_unit_test(test_email_fold),
        cmocka_unit_test(test_encode_auth_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
