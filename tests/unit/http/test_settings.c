/* Unit tests for src/core/settings.c: defaults, validation with one line
 * naming the setting, flags overriding the environment, and --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/settings.h"

static const char *const vars[] = {
    "DATABASE_URL",
    "HOST",
    "PORT",
    "WORKERS",
    "BETTER_AUTH_SECRET",
    "JWKS_URL",
    "JWKS_FILE",
    "JWKS_REFRESH_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "TOKEN_TTL",
    "CORS_ORIGINS",
    "DB_POOL_SIZE",
    "MIGRATE_ON_START",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "MAX_BODY_BYTES",
    "DOCS_ASSETS_URL",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static int load(settings_t *s, char *err, size_t errlen)
{
    char prog[] = "todo-server";
    char *argv[] = {prog, NULL};
    int argc = 1;
    return settings_load(s, &argc, argv, err, errlen);
}

/* Loads with one variable set; returns the result and leaves err. */
static int load_with(const char *var, const char *value, settings_t *s, char *err, size_t n)
{
    setenv(var, value, 1);
    int rc = load(s, err, n);
    unsetenv(var);
    return rc;
}

static void expect_error(const char *var, const char *value, const char *want)
{
    settings_t s;
    char err[512] = "";
    assert_int_equal(load_with(var, value, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, var));
    assert_null(strchr(err, '\n'));
    if (want != NULL)
        assert_string_equal(err, want);
}

static void expect_ok(const char *var, const char *value, settings_t *s)
{
    char err[512] = "";
    int rc = load_with(var, value, s, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s=%s refused: %s", var, value, err);
}

static void test_defaults(void **state)
{
    (void)state;
    settings_t s;
    char err[256];
    assert_int_equal(load(&s, err, sizeof(err)), 0);
    assert_string_equal(s.database_url, "sqlite://./data/todo.db");
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.port, 8000);
    assert_true(s.workers >= 1 && s.workers <= 256);
    assert_null(s.secret);
    assert_false(s.secret_generated);
    assert_null(s.jwks_url);
    assert_null(s.jwks_file);
    assert_int_equal(s.jwks_refresh_seconds, 60);
    assert_null(s.jwt_issuer);
    assert_null(s.jwt_audience);
    assert_int_equal(s.token_ttl, 604800);
    assert_string_equal(s.cors_origins, "http://localhost:3000");
    assert_int_equal(s.db_pool_size, 4);
    assert_true(s.migrate_on_start);
    assert_int_equal(s.log_level, LOG_INFO);
    assert_int_equal(s.log_format, LOG_FORMAT_TEXT);
    assert_int_equal(s.max_body_bytes, 65536);
    assert_string_equal(s.docs_assets_url, "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5");
}

static void test_numbers(void **state)
{
    (void)state;
    settings_t s;
    expect_error("PORT", "abc", "PORT: must be an integer 0-65535 (got \"abc\")");
    expect_error("PORT", "70000", NULL);
    expect_error("PORT", "-1", NULL);
    expect_error("PORT", "80x", NULL);
    expect_error("PORT", " 80", NULL);
    expect_ok("PORT", "0", &s);
    assert_int_equal(s.port, 0);
    expect_ok("PORT", "65535", &s);
    assert_int_equal(s.port, 65535);

    expect_error("WORKERS", "0", NULL);
    expect_error("WORKERS", "257", NULL);
    expect_error("WORKERS", "many", NULL);
    expect_ok("WORKERS", "3", &s);
    assert_int_equal(s.workers, 3);

    expect_error("TOKEN_TTL", "59", NULL);
    expect_error("TOKEN_TTL", "31536001", NULL);
    expect_error("TOKEN_TTL", "-1", NULL);
    expect_ok("TOKEN_TTL", "60", &s);
    assert_int_equal(s.token_ttl, 60);
    expect_ok("TOKEN_TTL", "31536000", &s);

    expect_error("DB_POOL_SIZE", "0", NULL);
    expect_error("DB_POOL_SIZE", "65", NULL);
    expect_ok("DB_POOL_SIZE", "64", &s);

    expect_error("MAX_BODY_BYTES", "1023", NULL);
    expect_error("MAX_BODY_BYTES", "67108865", NULL);
    expect_error("MAX_BODY_BYTES", "-5", NULL);
    expect_error("MAX_BODY_BYTES", "99999999999999999999999", NULL);
    expect_ok("MAX_BODY_BYTES", "1024", &s);
    assert_int_equal(s.max_body_bytes, 1024);

    expect_error("JWKS_REFRESH_SECONDS", "0", NULL);
    expect_ok("JWKS_REFRESH_SECONDS", "5", &s);
    assert_int_equal(s.jwks_refresh_seconds, 5);
}

static void test_choices(void **state)
{
    (void)state;
    settings_t s;
    expect_error("LOG_LEVEL", "loud",
                 "LOG_LEVEL: must be debug, info, warn or error (got \"loud\")");
    expect_ok("LOG_LEVEL", "debug", &s);
    assert_int_equal(s.log_level, LOG_DEBUG);
    expect_ok("LOG_LEVEL", "ERROR", &s);
    assert_int_equal(s.log_level, LOG_ERROR);

    expect_error("LOG_FORMAT", "xml", NULL);
    expect_ok("LOG_FORMAT", "json", &s);
    assert_int_equal(s.log_format, LOG_FORMAT_JSON);

    expect_error("MIGRATE_ON_START", "maybe", NULL);
    expect_error("MIGRATE_ON_START", "yes", NULL);
    expect_ok("MIGRATE_ON_START", "false", &s);
    assert_false(s.migrate_on_start);
    expect_ok("MIGRATE_ON_START", "0", &s);
    assert_false(s.migrate_on_start);
    expect_ok("MIGRATE_ON_START", "TRUE", &s);
    assert_true(s.migrate_on_start);
    expect_ok("MIGRATE_ON_START", "1", &s);
    assert_true(s.migrate_on_start);
}

static void test_secret_is_never_echoed(void **state)
{
    (void)state;
    settings_t s;
    char err[512];
    assert_int_equal(load_with("BETTER_AUTH_SECRET", "abcXYZ123tooShort", &s, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "BETTER_AUTH_SECRET"));
    assert_non_null(strstr(err, "32"));
    assert_null(strstr(err, "abcXYZ123tooShort"));

    const char *ok = "0123456789abcdef0123456789abcdef";
    expect_ok("BETTER_AUTH_SECRET", ok, &s);
    assert_string_equal(s.secret, ok);
}

static void test_database_url(void **state)
{
    (void)state;
    settings_t s;
    char err[512];
    assert_int_equal(
        load_with("DATABASE_URL", "mysql://root:hunter2@db/todo", &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "DATABASE_URL"));
    assert_non_null(strstr(err, "\"mysql\""));
    assert_null(strstr(err, "hunter2")); /* a URL may hold a password */
    expect_error("DATABASE_URL", "sqlite://", NULL);
    expect_error("DATABASE_URL", "./todo.db", NULL);
    static const char *const ok[] = {
        "sqlite:///var/lib/todo.db",
        "sqlite://:memory:",
        "postgresql://u:p@h/db",
        "postgres://h/db",
        "postgresql+asyncpg://u@h:5432/db",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        expect_ok("DATABASE_URL", ok[i], &s);
        assert_string_equal(s.database_url, ok[i]);
    }
}

static void test_urls_and_host(void **state)
{
    (void)state;
    settings_t s;
    expect_error("JWKS_URL", "ftp://x/jwks", NULL);
    expect_error("JWKS_URL", "https://", NULL);
    expect_ok("JWKS_URL", "https://app.example.test/api/auth/jwks", &s);
    assert_string_equal(s.jwks_url, "https://app.example.test/api/auth/jwks");
    expect_error("DOCS_ASSETS_URL", "cdn.example", NULL);
    expect_error("HOST", "local host", NULL);
    expect_ok("HOST", "::1", &s);
    expect_ok("HOST", "0.0.0.0", &s);
    expect_ok("JWT_ISSUER", "https://app.example.test", &s);
    assert_string_equal(s.jwt_issuer, "https://app.example.test");
}

static void test_cors_origins(void **state)
{
    (void)state;
    settings_t s;
    expect_error("CORS_ORIGINS", "ftp://x", NULL);
    expect_error("CORS_ORIGINS", "http://localhost:3000/app", NULL);
    expect_error("CORS_ORIGINS", "localhost:3000", NULL);
    expect_error("CORS_ORIGINS", "http://ok.test,https://", NULL);
    expect_ok("CORS_ORIGINS", "*", &s);
    expect_ok("CORS_ORIGINS", " http://localhost:3000 , https://app.example.test ", &s);
    /* empty means "no origin", not "the default" */
    expect_ok("CORS_ORIGINS", "", &s);
    assert_string_equal(s.cors_origins, "");
}

static void test_empty_variable_is_unset(void **state)
{
    (void)state;
    settings_t s;
    expect_ok("PORT", "", &s);
    assert_int_equal(s.port, 8000);
    expect_ok("BETTER_AUTH_SECRET", "", &s);
    assert_null(s.secret);
}

static void test_flags_override_and_are_consumed(void **state)
{
    (void)state;
    settings_t s;
    char err[256];
    char a0[] = "todo-server", a1[] = "--port=9000", a2[] = "serve", a3[] = "--max-body-bytes",
         a4[] = "2048", a5[] = "--sub", a6[] = "u1";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
    int argc = 7;
    setenv("PORT", "1234", 1);
    setenv("MAX_BODY_BYTES", "100000", 1);
    assert_int_equal(settings_load(&s, &argc, argv, err, sizeof(err)), 0);
    unsetenv("PORT");
    unsetenv("MAX_BODY_BYTES");
    assert_int_equal(s.port, 9000);
    assert_int_equal(s.max_body_bytes, 2048);
    assert_int_equal(argc, 4);
    assert_string_equal(argv[0], "todo-server");
    assert_string_equal(argv[1], "serve");
    assert_string_equal(argv[2], "--sub");
    assert_string_equal(argv[3], "u1");
    assert_null(argv[4]);
}

static void test_flag_errors(void **state)
{
    (void)state;
    settings_t s;
    char err[256];
    char a0[] = "todo-server", a1[] = "--port";
    char *argv[] = {a0, a1, NULL};
    int argc = 2;
    assert_int_equal(settings_load(&s, &argc, argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "PORT"));

    char b1[] = "--log-level=loud";
    char *argv2[] = {a0, b1, NULL};
    argc = 2;
    assert_int_equal(settings_load(&s, &argc, argv2, err, sizeof(err)), -1);
    assert_string_equal(err, "LOG_LEVEL: must be debug, info, warn or error (got \"loud\")");

    /* a flag that only starts like a setting's is not one */
    char c1[] = "--portable";
    char *argv3[] = {a0, c1, NULL};
    argc = 2;
    assert_int_equal(settings_load(&s, &argc, argv3, err, sizeof(err)), 0);
    assert_int_equal(argc, 2);
}

static void test_help_lists_every_setting(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    settings_print_help(f);
    fclose(f);
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        assert_non_null(strstr(text, vars[i]));
    assert_non_null(strstr(text, "--max-body-bytes"));
    assert_non_null(strstr(text, "sqlite://./data/todo.db"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_numbers, clear_env),
        cmocka_unit_test_setup(test_choices, clear_env),
        cmocka_unit_test_setup(test_secret_is_never_echoed, clear_env),
        cmocka_unit_test_setup(test_database_url, clear_env),
        cmocka_unit_test_setup(test_urls_and_host, clear_env),
        cmocka_unit_test_setup(test_cors_origins, clear_env),
        cmocka_unit_test_setup(test_empty_variable_is_unset, clear_env),
        cmocka_unit_test_setup(test_flags_override_and_are_consumed, clear_env),
        cmocka_unit_test_setup(test_flag_errors, clear_env),
        cmocka_unit_test_setup(test_help_lists_every_setting, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
