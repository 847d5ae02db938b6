/* Unit tests for src/core/log.c: parsing the settings and the lines written. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"

/* Captures what is written to stderr (fd 2) between begin and end. */
typedef struct capture {
    FILE *file;
    int saved_fd;
    char text[8192];
} capture_t;

static void capture_begin(capture_t *c)
{
    c->file = tmpfile();
    assert_non_null(c->file);
    fflush(stderr);
    c->saved_fd = dup(STDERR_FILENO);
    assert_true(c->saved_fd >= 0);
    assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

static const char *capture_end(capture_t *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
    close(c->saved_fd);
    rewind(c->file);
    size_t n = fread(c->text, 1, sizeof(c->text) - 1, c->file);
    c->text[n] = '\0';
    fclose(c->file);
    return c->text;
}

static int restore_defaults(void **state)
{
    (void)state;
    log_configure(LOG_INFO, LOG_FORMAT_TEXT);
    return 0;
}

static void test_level_parse(void **state)
{
    (void)state;
    log_level_t lv = LOG_ERROR;
    assert_int_equal(log_level_parse("debug", &lv), 0);
    assert_int_equal(lv, LOG_DEBUG);
    assert_int_equal(log_level_parse("info", &lv), 0);
    assert_int_equal(lv, LOG_INFO);
    assert_int_equal(log_level_parse("warn", &lv), 0);
    assert_int_equal(lv, LOG_WARN);
    assert_int_equal(log_level_parse("warning", &lv), 0);
    assert_int_equal(lv, LOG_WARN);
    assert_int_equal(log_level_parse("error", &lv), 0);
    assert_int_equal(lv, LOG_ERROR);
    assert_int_equal(log_level_parse("DEBUG", &lv), 0);
    assert_int_equal(lv, LOG_DEBUG);
    assert_int_equal(log_level_parse("Info", &lv), 0);
    assert_int_equal(lv, LOG_INFO);
}

static void test_level_parse_rejects(void **state)
{
    (void)state;
    log_level_t lv = LOG_WARN;
    assert_int_equal(log_level_parse("", &lv), -1);
    assert_int_equal(log_level_parse("verbose", &lv), -1);
    assert_int_equal(log_level_parse("infoo", &lv), -1);
    assert_int_equal(log_level_parse("inf", &lv), -1);
    assert_int_equal(log_level_parse(" info", &lv), -1);
    assert_int_equal(lv, LOG_WARN); /* untouched on failure */
}

static void test_format_parse(void **state)
{
    (void)state;
    log_format_t f = LOG_FORMAT_JSON;
    assert_int_equal(log_format_parse("text", &f), 0);
    assert_int_equal(f, LOG_FORMAT_TEXT);
    assert_int_equal(log_format_parse("JSON", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_int_equal(log_format_parse("yaml", &f), -1);
    assert_int_equal(log_format_parse("", &f), -1);
    assert_int_equal(f, LOG_FORMAT_JSON);
}

static int evaluated;

static const char *side_effect(void)
{
    evaluated++;
    return "x";
}

static void test_below_level_writes_nothing_and_evaluates_nothing(void **state)
{
    (void)state;
    capture_t c;
    log_configure(LOG_WARN, LOG_FORMAT_TEXT);
    evaluated = 0;
    capture_begin(&c);
    LOG_DEBUG("debug %s", side_effect());
    LOG_INFO("info %s", side_effect());
    assert_string_equal(capture_end(&c), "");
    assert_int_equal(evaluated, 0);

    capture_begin(&c);
    LOG_WARN("warn %s", side_effect());
    const char *out = capture_end(&c);
    assert_int_equal(evaluated, 1);
    assert_non_null(strstr(out, " warn warn x\n"));
}

static void test_text_line(void **state)
{
    (void)state;
    capture_t c;
    log_configure(LOG_DEBUG, LOG_FORMAT_TEXT);
    capture_begin(&c);
    LOG_ERROR("disk %s at %d%%", "full", 99);
    const char *out = capture_end(&c);
    /* 2025-12-10T10:05:00.123Z error disk full at 99% */
    assert_int_equal(strlen(out), 24 + strlen(" error disk full at 99%\n"));
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    assert_int_equal(out[23], 'Z');
    assert_string_equal(out + 24, " error disk full at 99%\n");
}

static void test_json_line_is_one_valid_object(void **state)
{
    (void)state;
    capture_t c;
    log_configure(LOG_INFO, LOG_FORMAT_JSON);
    capture_begin(&c);
    LOG_INFO("quote \" backslash \\ newline \n tab \t");
    const char *out = capture_end(&c);
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0'); /* exactly one line */
    json_error_t err;
    json_t *v = json_loads(out, 0, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "quote \" backslash \\ newline \n tab \t");
    const char *t = json_string_value(json_object_get(v, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[23], 'Z');
    json_decref(v);
}

static void test_fields_json(void **state)
{
    (void)state;
    capture_t c;
    log_configure(LOG_INFO, LOG_FORMAT_JSON);
    const log_field_t fields[] = {
        {.key = "method", .str = "GET"},
        {.key = "path", .str = "/api/\"u\"/tasks"},
        {.key = "status", .num = 404},
        {.key = "bytes", .num = -1},
    };
    capture_begin(&c);
    log_fields(LOG_INFO, "request", fields, 4);
    log_fields(LOG_DEBUG, "hidden", fields, 4); /* below the level */
    const char *out = capture_end(&c);
    json_error_t err;
    json_t *v = json_loads(out, 0, &err);
    if (v == NULL)
        fail_msg("not one JSON object: %s (%s)", out, err.text);
    assert_string_equal(json_string_value(json_object_get(v, "msg")), "request");
    assert_string_equal(json_string_value(json_object_get(v, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(v, "path")), "/api/\"u\"/tasks");
    assert_int_equal(json_integer_value(json_object_get(v, "status")), 404);
    assert_int_equal(json_integer_value(json_object_get(v, "bytes")), -1);
    json_decref(v);
}

static void test_fields_text(void **state)
{
    (void)state;
    capture_t c;
    log_configure(LOG_INFO, LOG_FORMAT_TEXT);
    const log_field_t fields[] = {
        {.key = "method", .str = "POST"},
        {.key = "status", .num = 201},
    };
    capture_begin(&c);
    log_fields(LOG_WARN, "request", fields, 2);
    const char *out = capture_end(&c);
    assert_string_equal(out + 24, " warn request method=POST status=201\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_level_parse_rejects),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test_teardown(test_below_level_writes_nothing_and_evaluates_nothing,
                                  restore_defaults),
        cmocka_unit_test_teardown(test_text_line, restore_defaults),
        cmocka_unit_test_teardown(test_json_line_is_one_valid_object, restore_defaults),
        cmocka_unit_test_teardown(test_fields_json, restore_defaults),
        cmocka_unit_test_teardown(test_fields_text, restore_defaults),
    };
    return cmocka_run_group_tests_name("core_log", tests, NULL, NULL);
}
