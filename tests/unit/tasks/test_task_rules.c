/* Unit tests for src/tasks/task_rules.c: rules across fields, the derived
 * recurrence day, next occurrences, and the merge/decide logic of PUT, PATCH
 * and complete (what the store's modify callback answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tasks/task_model.h"
#include "tasks/task_rules.h"
#include "tasks/tasks.h"

static arena_t *arena;

static int setup(void **state)
{
    (void)state;
    arena = arena_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(arena);
    return 0;
}

static date_t D(const char *s)
{
    date_t d;
    if (date_parse(s, strlen(s), &d) != 0)
        fail_msg("bad test date %s", s);
    return d;
}

static const char *fmt(date_t d)
{
    char *s = arena_alloc(arena, DATE_STR_SIZE);
    date_format(d, s);
    return s;
}

static store_task_t base_task(void)
{
    store_task_t t = {
        .id = 5,
        .user_id = "alice",
        .title = "Stored",
        .created_at = "2025-01-01T00:00:00Z",
        .updated_at = "2025-01-01T00:00:00Z",
    };
    return t;
}

static const char *NOW = "2025-12-10T10:05:00Z";

/* ---- derived day and rules -------------------------------------------------- */

static void test_derive_day(void **state)
{
    (void)state;
    store_task_t t = base_task();
    t.recurrence_pattern = RECURRENCE_WEEKLY;
    t.due_date = "2025-12-11"; /* Thursday */
    task_derive_day(&t, D("2025-06-02"));
    assert_int_equal(t.recurrence_day, 4);

    t.recurrence_day = 0;
    t.recurrence_pattern = RECURRENCE_MONTHLY;
    task_derive_day(&t, D("2025-06-02"));
    assert_int_equal(t.recurrence_day, 11);

    t.recurrence_day = 0;
    t.due_date = NULL; /* from today */
    task_derive_day(&t, D("2025-06-30"));
    assert_int_equal(t.recurrence_day, 30);
    t.recurrence_day = 0;
    t.recurrence_pattern = RECURRENCE_WEEKLY;
    task_derive_day(&t, D("2025-06-01")); /* Sunday */
    assert_int_equal(t.recurrence_day, 7);

    t.recurrence_day = 3; /* a given day stays */
    task_derive_day(&t, D("2025-06-01"));
    assert_int_equal(t.recurrence_day, 3);

    t.recurrence_day = 0;
    t.recurrence_pattern = RECURRENCE_DAILY; /* daily has no day */
    task_derive_day(&t, D("2025-06-01"));
    assert_int_equal(t.recurrence_day, 0);
    t.recurrence_pattern = RECURRENCE_NONE;
    task_derive_day(&t, D("2025-06-01"));
    assert_int_equal(t.recurrence_day, 0);
}

static size_t rules(const store_task_t *t, api_error_t *err)
{
    api_error_init(err, API_ERR_RULE_VIOLATION);
    return task_check_rules(t, arena, err);
}

static void test_rules(void **state)
{
    (void)state;
    api_error_t err;
    store_task_t t = base_task();
    assert_int_equal(rules(&t, &err), 0);

    t.due_time = "09:00:00";
    assert_int_equal(rules(&t, &err), 1);
    assert_string_equal(err.issues[0].field, "due_time");
    assert_int_equal(err.issues[0].issue, FIELD_ISSUE_REQUIRES_FIELD);
    assert_string_equal(err.issues[0].detail, "due_time requires due_date");
    t.due_date = "2025-12-11";
    assert_int_equal(rules(&t, &err), 0);

    t.recurrence_day = 3; /* no pattern */
    assert_int_equal(rules(&t, &err), 1);
    assert_string_equal(err.issues[0].field, "recurrence_day");
    assert_int_equal(err.issues[0].issue, FIELD_ISSUE_REQUIRES_FIELD);
    assert_string_equal(err.issues[0].detail,
                        "recurrence_day requires a weekly or monthly recurrence_pattern");
    t.recurrence_pattern = RECURRENCE_DAILY;
    assert_int_equal(rules(&t, &err), 1);
    assert_int_equal(err.issues[0].issue, FIELD_ISSUE_REQUIRES_FIELD);

    t.recurrence_pattern = RECURRENCE_WEEKLY;
    t.recurrence_day = 7;
    assert_int_equal(rules(&t, &err), 0);
    t.recurrence_day = 8;
    assert_int_equal(rules(&t, &err), 1);
    assert_string_equal(err.issues[0].field, "recurrence_day");
    assert_int_equal(err.issues[0].issue, FIELD_ISSUE_DOES_NOT_FIT);
    assert_string_equal(err.issues[0].detail,
                        "recurrence_day must be 1-7 for a weekly recurrence_pattern");
    t.recurrence_pattern = RECURRENCE_MONTHLY;
    t.recurrence_day = 31;
    assert_int_equal(rules(&t, &err), 0);

    /* Every broken rule at once, in the order of the fields. */
    t.due_date = NULL;
    t.recurrence_pattern = RECURRENCE_NONE;
    assert_int_equal(rules(&t, &err), 2);
    assert_string_equal(err.issues[0].field, "due_time");
    assert_string_equal(err.issues[1].field, "recurrence_day");
    buf_t b = BUF_INIT;
    api_error_to_json(&err, &b);
    assert_non_null(strstr(b.data, "\"code\":\"RULE_VIOLATION\",\"field\":\"due_time\""));
    buf_dispose(&b);
}

static void test_prepare_create(void **state)
{
    (void)state;
    api_error_t err;
    api_error_init(&err, API_ERR_RULE_VIOLATION);
    store_task_t t = {.title = "x",
                      .recurrence_pattern = RECURRENCE_MONTHLY,
                      .due_date = "2025-01-31",
                      .completed = true,
                      .id = 99};
    assert_int_equal(task_prepare_create(&t, "bob", NOW, D("2025-06-01"), arena, &err), 0);
    assert_int_equal(t.recurrence_day, 31);
    assert_string_equal(t.user_id, "bob");
    assert_false(t.completed);
    assert_null(t.completed_at);
    assert_string_equal(t.created_at, NOW);
    assert_string_equal(t.updated_at, NOW);

    store_task_t w = {.title = "x", .recurrence_pattern = RECURRENCE_WEEKLY, .recurrence_day = 9};
    assert_int_equal(task_prepare_create(&w, "bob", NOW, D("2025-06-01"), arena, &err), 1);
    assert_int_equal(err.issues[0].issue, FIELD_ISSUE_DOES_NOT_FIT);
}

/* ---- next occurrence ---------------------------------------------------------- */

static const char *next_due(task_recurrence_t p, int day, const char *due, const char *today)
{
    store_task_t t = base_task();
    t.recurrence_pattern = p;
    t.recurrence_day = day;
    t.due_date = due;
    date_t out;
    if (task_next_due(&t, D(today), &out) != 0)
        return "none";
    return fmt(out);
}

static void test_next_daily(void **state)
{
    (void)state;
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "2020-01-01", "2025-06-10"), "2025-06-11");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "2025-07-01", "2025-06-10"), "2025-07-02");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "2025-06-10", "2025-06-10"), "2025-06-11");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, NULL, "2025-06-10"), "2025-06-11");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, NULL, "2024-02-28"), "2024-02-29");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "2024-02-29", "2024-01-01"), "2024-03-01");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "2025-12-31", "2025-01-01"), "2026-01-01");
    assert_string_equal(next_due(RECURRENCE_NONE, 0, "2025-12-31", "2025-01-01"), "none");
    assert_string_equal(next_due(RECURRENCE_DAILY, 0, "9999-12-31", "2025-01-01"), "none");
}

static void test_next_weekly(void **state)
{
    (void)state;
    /* 2025-12-08 is a Monday. */
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 1, "2025-12-10", "2025-12-01"), "2025-12-15");
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 1, "2025-12-08", "2025-12-01"), "2025-12-15");
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 7, "2025-12-13", "2025-12-01"), "2025-12-14");
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 3, "2025-12-09", "2025-12-01"), "2025-12-10");
    /* Due in the past: counted from today (a Wednesday). */
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 5, "2020-01-03", "2025-12-10"), "2025-12-12");
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 3, "2020-01-01", "2025-12-10"), "2025-12-17");
    /* No due date: from today. */
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 1, NULL, "2025-12-10"), "2025-12-15");
    /* Across a year and a leap day. */
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 4, "2025-12-31", "2025-12-01"), "2026-01-01");
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 4, "2024-02-22", "2024-01-01"), "2024-02-29");
    /* No day stored: the due date's weekday. */
    assert_string_equal(next_due(RECURRENCE_WEEKLY, 0, "2025-12-10", "2025-12-01"), "2025-12-17");
}

static void test_next_monthly(void **state)
{
    (void)state;
    const char *old = "2000-01-01";
    /* Later in the same month. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 15, "2025-01-10", old), "2025-01-15");
    /* On the day itself: next month. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 15, "2025-01-15", old), "2025-02-15");
    /* The 31st in shorter months is the month's last day. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2025-01-31", old), "2025-02-28");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2024-01-31", old), "2024-02-29");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2025-02-28", old), "2025-03-31");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2025-04-30", old), "2025-05-31");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2025-03-31", old), "2025-04-30");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 30, "2025-01-30", old), "2025-02-28");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 29, "2025-01-30", old), "2025-02-28");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 29, "2024-02-10", old), "2024-02-29");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 30, "2024-02-29", old), "2024-03-30");
    /* Strictly after: a short month's last day that is the base itself moves on. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 30, "2025-02-28", old), "2025-03-30");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 31, "2025-01-30", old), "2025-01-31");
    /* Across a year. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 5, "2025-12-20", old), "2026-01-05");
    /* Due in the past vs the future. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 10, "2020-03-10", "2025-06-15"), "2025-07-10");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 20, "2020-03-20", "2025-06-15"), "2025-06-20");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 10, "2025-09-10", "2025-06-15"), "2025-10-10");
    /* No due date: from today; no day: the due date's day. */
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 1, NULL, "2025-06-15"), "2025-07-01");
    assert_string_equal(next_due(RECURRENCE_MONTHLY, 0, "2025-01-31", old), "2025-02-28");
}

static void test_successor(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.description = "d";
    cur.priority = PRIORITY_HIGH;
    cur.tags = "a,b";
    cur.due_date = "2025-12-11";
    cur.due_time = "09:00:00";
    cur.recurrence_pattern = RECURRENCE_WEEKLY;
    cur.recurrence_day = 1;
    cur.completed = true;
    cur.completed_at = "2025-12-09T00:00:00Z";
    cur.successor_id = 0;
    store_task_t *s = task_make_successor(arena, &cur, NOW, D("2025-12-10"));
    assert_non_null(s);
    assert_string_equal(s->user_id, "alice");
    assert_string_equal(s->title, "Stored");
    assert_string_equal(s->description, "d");
    assert_int_equal(s->priority, PRIORITY_HIGH);
    assert_string_equal(s->tags, "a,b");
    assert_string_equal(s->due_date, "2025-12-15");
    assert_string_equal(s->due_time, "09:00:00");
    assert_int_equal(s->recurrence_pattern, RECURRENCE_WEEKLY);
    assert_int_equal(s->recurrence_day, 1);
    assert_false(s->completed);
    assert_null(s->completed_at);
    assert_string_equal(s->created_at, NOW);
    assert_string_equal(s->updated_at, NOW);
    assert_int_equal(s->successor_id, 0);

    cur.recurrence_pattern = RECURRENCE_NONE;
    assert_null(task_make_successor(arena, &cur, NOW, D("2025-12-10")));
}

/* ---- changes (the modify callback) ------------------------------------------- */

typedef struct outcome {
    int rc;
    store_task_t next;
    store_task_t *successor;
} outcome_t;

/* Runs the modify callback the way the store does: next starts as cur. */
static outcome_t apply(task_change_t *c, const store_task_t *cur)
{
    outcome_t o;
    o.next = *cur;
    o.successor = NULL;
    c->now = NOW;
    c->today = D("2025-12-10");
    o.rc = task_change_apply(c, arena, cur, &o.next, &o.successor);
    return o;
}

/* A PATCH or PUT change from JSON text, decoded by the real schema. */
static task_change_t *change(task_change_kind_t kind, const char *text)
{
    task_change_t *c = arena_calloc(arena, 1, sizeof(*c));
    c->kind = kind;
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (j == NULL)
        fail_msg("bad test JSON %s", text);
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    const schema_t *s = kind == TASK_CHANGE_PATCH ? &task_patch_schema : &task_create_schema;
    if (schema_decode_json(s, j, &c->body, &c->seen, arena, &err) != 0)
        fail_msg("%s: %s", text, err.issues[0].detail);
    json_decref(j);
    return c;
}

static task_change_t *patch(const char *text)
{
    return change(TASK_CHANGE_PATCH, text);
}

static void test_patch_changes_only_given_fields(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.description = "keep me";
    cur.priority = PRIORITY_LOW;
    outcome_t o = apply(patch("{\"title\":\"New\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_string_equal(o.next.title, "New");
    assert_string_equal(o.next.description, "keep me");
    assert_int_equal(o.next.priority, PRIORITY_LOW);
    assert_string_equal(o.next.updated_at, NOW);
    assert_string_equal(o.next.created_at, cur.created_at);
    assert_null(o.successor);

    o = apply(patch("{\"description\":null,\"priority\":\"high\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_null(o.next.description);
    assert_int_equal(o.next.priority, PRIORITY_HIGH);
    assert_string_equal(o.next.title, "Stored");
}

static void test_patch_without_change_leaves_row(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.tags = "a,b";
    cur.due_date = "2025-12-11";
    cur.due_time = "09:00:00";
    outcome_t o = apply(patch("{}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    o = apply(patch("{\"title\":\"  Stored \",\"tags\":\"a, b,A\",\"due_time\":\"09:00\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    assert_string_equal(o.next.updated_at, cur.updated_at);
    /* Read-only keys alone change nothing either. */
    o = apply(patch("{\"completed\":true,\"id\":7}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    assert_false(o.next.completed);
}

static void test_patch_rules_on_merged_task(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    task_change_t *c = patch("{\"due_time\":\"10:00\"}");
    outcome_t o = apply(c, &cur);
    assert_true(o.rc < 0);
    assert_int_equal(c->rule_error.err, API_ERR_RULE_VIOLATION);
    assert_int_equal(c->rule_error.n_issues, 1);
    assert_string_equal(c->rule_error.issues[0].field, "due_time");

    /* The stored due date satisfies the rule. */
    cur.due_date = "2025-12-11";
    assert_int_equal(apply(patch("{\"due_time\":\"10:00\"}"), &cur).rc, STORE_MODIFY_WRITE);
    /* Clearing the due date under a stored time breaks it. */
    cur.due_time = "10:00:00";
    c = patch("{\"due_date\":null}");
    assert_true(apply(c, &cur).rc < 0);
    assert_string_equal(c->rule_error.issues[0].field, "due_time");
    assert_int_equal(apply(patch("{\"due_date\":null,\"due_time\":null}"), &cur).rc,
                     STORE_MODIFY_WRITE);

    /* A day needs a stored weekly/monthly pattern. */
    cur = base_task();
    c = patch("{\"recurrence_day\":3}");
    assert_true(apply(c, &cur).rc < 0);
    assert_int_equal(c->rule_error.issues[0].issue, FIELD_ISSUE_REQUIRES_FIELD);
    cur.recurrence_pattern = RECURRENCE_WEEKLY;
    cur.recurrence_day = 2;
    o = apply(patch("{\"recurrence_day\":3}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_int_equal(o.next.recurrence_day, 3);
    c = patch("{\"recurrence_day\":8}");
    assert_true(apply(c, &cur).rc < 0);
    assert_int_equal(c->rule_error.issues[0].issue, FIELD_ISSUE_DOES_NOT_FIT);
    /* A daily pattern with an explicit day is refused. */
    c = patch("{\"recurrence_pattern\":\"daily\",\"recurrence_day\":3}");
    assert_true(apply(c, &cur).rc < 0);
    assert_string_equal(c->rule_error.issues[0].field, "recurrence_day");
}

static void test_patch_recurrence_day_follows_pattern(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.due_date = "2025-12-11"; /* Thursday */
    cur.recurrence_pattern = RECURRENCE_WEEKLY;
    cur.recurrence_day = 1;

    /* Rules are checked on the merged task: the stored day stays with a new
     * pattern, so it must fit it. Weekly 1 fits monthly. */
    outcome_t o = apply(patch("{\"recurrence_pattern\":\"monthly\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_int_equal(o.next.recurrence_day, 1);
    /* A daily pattern takes no day: the kept day breaks the rule. */
    o = apply(patch("{\"recurrence_pattern\":\"daily\"}"), &cur);
    assert_true(o.rc < 0);
    o = apply(patch("{\"recurrence_pattern\":\"daily\",\"recurrence_day\":null}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_int_equal(o.next.recurrence_pattern, RECURRENCE_DAILY);
    assert_int_equal(o.next.recurrence_day, 0);
    /* Clearing the pattern clears the day. */
    o = apply(patch("{\"recurrence_pattern\":null}"), &cur);
    assert_int_equal(o.next.recurrence_pattern, RECURRENCE_NONE);
    assert_int_equal(o.next.recurrence_day, 0);
    /* ... but not when a day is given with it. */
    o = apply(patch("{\"recurrence_pattern\":null,\"recurrence_day\":2}"), &cur);
    assert_true(o.rc < 0);
    /* Pattern and day together: the day given. */
    o = apply(patch("{\"recurrence_pattern\":\"monthly\",\"recurrence_day\":31}"), &cur);
    assert_int_equal(o.next.recurrence_day, 31);
    /* Neither given: the stored day stays, even when the due date moves. */
    o = apply(patch("{\"due_date\":\"2025-12-13\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_int_equal(o.next.recurrence_day, 1);
    /* An explicit null day with a weekly pattern is derived again. */
    o = apply(patch("{\"recurrence_day\":null}"), &cur);
    assert_int_equal(o.next.recurrence_day, 4);
    /* A monthly day that does not fit weekly is refused on the merged task. */
    cur.recurrence_pattern = RECURRENCE_MONTHLY;
    cur.recurrence_day = 20;
    o = apply(patch("{\"recurrence_pattern\":\"weekly\"}"), &cur);
    assert_true(o.rc < 0);
    /* With the day cleared, it is derived: from the due date, else today
     * (2025-12-10, a Wednesday). */
    o = apply(patch("{\"recurrence_pattern\":\"weekly\",\"recurrence_day\":null}"), &cur);
    assert_int_equal(o.next.recurrence_day, 4);
    cur.due_date = NULL;
    o = apply(patch("{\"recurrence_pattern\":\"weekly\",\"recurrence_day\":null}"), &cur);
    assert_int_equal(o.next.recurrence_day, 3);
    cur.recurrence_day = 0;
    cur.recurrence_pattern = RECURRENCE_NONE;
    o = apply(patch("{\"recurrence_pattern\":\"monthly\"}"), &cur);
    assert_int_equal(o.next.recurrence_day, 10);
}

static void test_put_replaces_everything(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.description = "d";
    cur.priority = PRIORITY_HIGH;
    cur.tags = "x";
    cur.due_date = "2025-12-11";
    cur.due_time = "09:00:00";
    cur.recurrence_pattern = RECURRENCE_WEEKLY;
    cur.recurrence_day = 1;
    outcome_t o = apply(change(TASK_CHANGE_REPLACE, "{\"title\":\"Replaced\"}"), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_string_equal(o.next.title, "Replaced");
    assert_null(o.next.description);
    assert_int_equal(o.next.priority, PRIORITY_NONE);
    assert_null(o.next.tags);
    assert_null(o.next.due_date);
    assert_null(o.next.due_time);
    assert_int_equal(o.next.recurrence_pattern, RECURRENCE_NONE);
    assert_int_equal(o.next.recurrence_day, 0);
    assert_string_equal(o.next.updated_at, NOW);

    /* The same content again changes nothing. */
    o = apply(change(TASK_CHANGE_REPLACE,
                     "{\"title\":\"Stored\",\"description\":\"d\",\"priority\":\"high\","
                     "\"tags\":[\"x\"],\"due_date\":\"2025-12-11\",\"due_time\":\"09:00\","
                     "\"recurrence_pattern\":\"weekly\",\"recurrence_day\":1}"),
              &cur);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    /* Weekly without a day: derived from the due date (Thursday). */
    o = apply(change(TASK_CHANGE_REPLACE, "{\"title\":\"Stored\",\"due_date\":\"2025-12-11\","
                                          "\"recurrence_pattern\":\"weekly\"}"),
              &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_int_equal(o.next.recurrence_day, 4);
    /* Rules hold on the replacement, not on what was stored. */
    task_change_t *c = change(TASK_CHANGE_REPLACE, "{\"title\":\"x\",\"due_time\":\"09:00\"}");
    assert_true(apply(c, &cur).rc < 0);
    assert_string_equal(c->rule_error.issues[0].field, "due_time");
}

static task_change_t *complete(int how)
{
    task_change_t *c = arena_calloc(arena, 1, sizeof(*c));
    c->kind = TASK_CHANGE_COMPLETE;
    c->completed = how;
    return c;
}

static void test_complete_toggle_and_set(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    outcome_t o = apply(complete(-1), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_true(o.next.completed);
    assert_string_equal(o.next.completed_at, NOW);
    assert_string_equal(o.next.updated_at, NOW);
    assert_null(o.successor);

    store_task_t done = o.next;
    done.completed_at = "2025-12-01T00:00:00Z";
    done.updated_at = "2025-12-01T00:00:00Z";
    o = apply(complete(-1), &done);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_false(o.next.completed);
    assert_null(o.next.completed_at);
    assert_string_equal(o.next.updated_at, NOW);

    /* Setting the current value changes nothing, not even completed_at. */
    o = apply(complete(1), &done);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    assert_string_equal(o.next.completed_at, "2025-12-01T00:00:00Z");
    assert_string_equal(o.next.updated_at, "2025-12-01T00:00:00Z");
    o = apply(complete(0), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_NO_CHANGE);
    o = apply(complete(0), &done);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_false(o.next.completed);
    o = apply(complete(1), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_true(o.next.completed);
}

static void test_complete_recurring_makes_one_successor(void **state)
{
    (void)state;
    store_task_t cur = base_task();
    cur.recurrence_pattern = RECURRENCE_DAILY;
    cur.due_date = "2020-01-01";
    outcome_t o = apply(complete(-1), &cur);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_non_null(o.successor);
    assert_string_equal(o.successor->due_date, "2025-12-11"); /* after today, not 2020 */
    assert_false(o.successor->completed);
    assert_string_equal(o.successor->user_id, "alice");

    /* Once a successor exists, completing again never makes another. */
    store_task_t done = o.next;
    done.successor_id = 77;
    store_task_t reopened = apply(complete(0), &done).next;
    assert_false(reopened.completed);
    assert_int_equal(reopened.successor_id, 77); /* reopening keeps it */
    o = apply(complete(1), &reopened);
    assert_int_equal(o.rc, STORE_MODIFY_WRITE);
    assert_null(o.successor);
    /* Reopening never makes one. */
    store_task_t fresh_done = cur;
    fresh_done.completed = true;
    o = apply(complete(0), &fresh_done);
    assert_null(o.successor);
    /* Nor does completing a task without a pattern. */
    store_task_t plain = base_task();
    assert_null(apply(complete(1), &plain).successor);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_derive_day),
        T(test_rules),
        T(test_prepare_create),
        T(test_next_daily),
        T(test_next_weekly),
        T(test_next_monthly),
        T(test_successor),
        T(test_patch_changes_only_given_fields),
        T(test_patch_without_change_leaves_row),
        T(test_patch_rules_on_merged_task),
        T(test_patch_recurrence_day_follows_pattern),
        T(test_put_replaces_everything),
        T(test_complete_toggle_and_set),
        T(test_complete_recurring_makes_one_successor),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
