/* The test model shared by the schema engine tests: a struct and a field
 * table that use every field type and flag, and a fixture that decodes JSON
 * text against it and inspects the problems. */
#ifndef TODO_TESTS_SCHEMA_FIXTURE_H
#define TODO_TESTS_SCHEMA_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema.h"

typedef struct thing {
    int64_t id;
    const char *name;
    const char *note;
    int level;
    int count;
    int64_t big;
    bool flag;
    const char *labels;
    const char *day;
    const char *at;
    const char *stamp;
} thing_t;

enum { F_ID, F_NAME, F_NOTE, F_LEVEL, F_COUNT, F_BIG, F_FLAG, F_LABELS, F_DAY, F_AT, F_STAMP };

static const char *const levels[] = {"low", "high", NULL};

#define AT(m) .offset = offsetof(thing_t, m)

static const schema_field_t thing_fields[] = {
    [F_ID] = {.name = "id",
              .type = SCHEMA_INTEGER,
              .ctype = SCHEMA_C_INT64,
              AT(id),
              .flags = SCHEMA_READ_ONLY,
              .minimum = 1,
              .maximum = INT64_MAX},
    [F_NAME] = {.name = "name",
                .type = SCHEMA_STRING,
                .ctype = SCHEMA_C_STR,
                AT(name),
                .flags = SCHEMA_REQUIRED | SCHEMA_TRIM,
                .min_length = 2,
                .max_length = 5},
    [F_NOTE] = {.name = "note",
                .type = SCHEMA_STRING,
                .ctype = SCHEMA_C_STR,
                AT(note),
                .flags = SCHEMA_NULLABLE | SCHEMA_MULTILINE,
                .max_length = 4},
    [F_LEVEL] = {.name = "level",
                 .type = SCHEMA_ENUM,
                 .ctype = SCHEMA_C_INT,
                 AT(level),
                 .flags = SCHEMA_NULLABLE,
                 .choices = levels,
                 .enum_base = 1},
    [F_COUNT] = {.name = "count",
                 .type = SCHEMA_INTEGER,
                 .ctype = SCHEMA_C_INT,
                 AT(count),
                 .flags = SCHEMA_NULLABLE,
                 .minimum = 1,
                 .maximum = 10},
    [F_BIG] = {.name = "big",
               .type = SCHEMA_INTEGER,
               .ctype = SCHEMA_C_INT64,
               AT(big),
               .minimum = 0,
               .maximum = 100},
    [F_FLAG] = {.name = "flag", .type = SCHEMA_BOOLEAN, .ctype = SCHEMA_C_BOOL, AT(flag)},
    [F_LABELS] = {.name = "labels",
                  .type = SCHEMA_TAGS,
                  .ctype = SCHEMA_C_STR,
                  AT(labels),
                  .flags = SCHEMA_NULLABLE,
                  .max_length = 4,
                  .max_items = 3},
    [F_DAY] = {.name = "day",
               .type = SCHEMA_DATE,
               .ctype = SCHEMA_C_STR,
               AT(day),
               .flags = SCHEMA_NULLABLE},
    [F_AT] = {.name = "at",
              .type = SCHEMA_TIME,
              .ctype = SCHEMA_C_STR,
              AT(at),
              .flags = SCHEMA_NULLABLE},
    [F_STAMP] = {.name = "stamp",
                 .type = SCHEMA_DATETIME,
                 .ctype = SCHEMA_C_STR,
                 AT(stamp),
                 .flags = SCHEMA_READ_ONLY | SCHEMA_NULLABLE},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const schema_t thing_out = {"Thing", NULL, thing_fields, N(thing_fields),
                                   SCHEMA_MODE_RESPONSE};
static const schema_t thing_create = {"ThingIn", NULL, thing_fields, N(thing_fields),
                                      SCHEMA_MODE_CREATE};
static const schema_t thing_patch = {"ThingPatch", NULL, thing_fields, N(thing_fields),
                                     SCHEMA_MODE_PATCH};

/* ---- fixture ---------------------------------------------------------------- */

typedef struct fx {
    arena_t *arena;
    api_error_t err;
    thing_t t;
    schema_seen_t seen;
    json_t *json;
} fx_t;

static inline int setup(void **state)
{
    fx_t *f = test_calloc(1, sizeof(*f));
    f->arena = arena_new();
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fx_t *f = *state;
    json_decref(f->json);
    arena_free(f->arena);
    test_free(f);
    return 0;
}

/* Decodes JSON text (NUL allowed in strings) with schema s; returns problems. */
static inline size_t decode(fx_t *f, const schema_t *s, const char *text)
{
    json_error_t jerr;
    json_decref(f->json);
    f->json = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (f->json == NULL)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    memset(&f->t, 0, sizeof(f->t));
    api_error_init(&f->err, API_ERR_VALIDATION_ERROR);
    return schema_decode_json(s, f->json, &f->t, &f->seen, f->arena, &f->err);
}

static inline void assert_issue(const fx_t *f, size_t i, const char *field, field_issue_t code)
{
    if (i >= f->err.n_issues)
        fail_msg("no issue %zu (have %zu)", i, f->err.n_issues);
    if (strcmp(f->err.issues[i].field, field) != 0 || f->err.issues[i].issue != code)
        fail_msg("issue %zu is %s/%s (%s), wanted %s/%s", i, f->err.issues[i].field,
                 field_issue_code(f->err.issues[i].issue), f->err.issues[i].detail, field,
                 field_issue_code(code));
}

/* Exactly one problem, on field with code; returns its detail. */
static inline const char *one_issue(fx_t *f, const schema_t *s, const char *text, const char *field,
                                    field_issue_t code)
{
    size_t n = decode(f, s, text);
    if (n != 1 || f->err.n_issues != 1)
        fail_msg("%s: %zu problems, wanted 1 (%s)", text, f->err.n_issues,
                 f->err.n_issues ? f->err.issues[0].detail : "");
    assert_issue(f, 0, field, code);
    return f->err.issues[0].detail;
}

static inline void ok(fx_t *f, const schema_t *s, const char *text)
{
    if (decode(f, s, text) != 0)
        fail_msg("%s: unexpected problem %s: %s", text, f->err.issues[0].field,
                 f->err.issues[0].detail);
}

static inline bool seen(const fx_t *f, int i)
{
    return (f->seen.present >> i) & 1U;
}

static inline bool seen_null(const fx_t *f, int i)
{
    return (f->seen.null >> i) & 1U;
}

#endif
