/* The task rules that span fields (API.md 4.2), recurrence (4.4), and the
 * decisions a change makes inside the store's transaction. Pure logic: no
 * HTTP, no database, no clock (callers pass "now" and "today"). */
#ifndef TODO_TASKS_TASK_RULES_H
#define TODO_TASKS_TASK_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "schema/date.h"
#include "schema/schema.h"
#include "store/store.h"

/** Fills recurrence_day when a weekly or monthly task has none: the ISO
 *  weekday (weekly) or day of month (monthly) of due_date, or of today when
 *  there is no due date. Other tasks are left alone. */
void task_derive_day(store_task_t *t, date_t today);

/** Checks the rules across fields on a task as it would be stored, adding a
 *  problem to err (arena for its strings) for each broken rule: due_time
 *  without due_date; recurrence_day without a weekly or monthly pattern
 *  (both requires_field); weekly with a day above 7 (does_not_fit). Returns
 *  the number of problems added. */
size_t task_check_rules(const store_task_t *t, arena_t *arena, api_error_t *err);

/** The due date of the occurrence after t: the next date strictly after the
 *  later of t's due date and today that matches its pattern (daily: the next
 *  day; weekly: the next date on ISO weekday recurrence_day; monthly: the
 *  next date on day recurrence_day, or the month's last day when the month is
 *  shorter). A weekly/monthly task without a day uses its due date's (or
 *  today's). Returns 0, or -1 when t does not recur or the date would fall
 *  after year 9999. */
int task_next_due(const store_task_t *t, date_t today, date_t *out);

/** The next occurrence of cur, or NULL when none is due (no pattern, or no
 *  representable date): a new incomplete task in arena with cur's owner,
 *  title, description, priority, tags, due time and recurrence, due on
 *  task_next_due(), created and updated at now. */
store_task_t *task_make_successor(arena_t *arena, const store_task_t *cur, const char *now,
                                  date_t today);

/** Whether a and b hold the same editable fields (everything a PUT sets). */
bool task_same_content(const store_task_t *a, const store_task_t *b);

/** Readies a decoded create body for storing: owner, timestamps, completion
 *  off, the derived recurrence day; then checks the rules across fields
 *  into err (a RULE_VIOLATION error). Returns the number of problems. */
size_t task_prepare_create(store_task_t *t, const char *user_id, const char *now, date_t today,
                           arena_t *arena, api_error_t *err);

/** What a PUT, PATCH or complete request asks for. */
typedef enum task_change_kind {
    TASK_CHANGE_REPLACE,  /* body holds every editable field */
    TASK_CHANGE_PATCH,    /* body holds the fields marked in seen */
    TASK_CHANGE_COMPLETE, /* completed says what to do */
} task_change_kind_t;

/** The context of one change, handed to the store as the modify callback's
 *  context. Lives in the request's arena. */
typedef struct task_change {
    task_change_kind_t kind;
    store_task_t body;      /* REPLACE / PATCH: the decoded, valid body */
    schema_seen_t seen;     /* PATCH: which keys were given */
    int completed;          /* COMPLETE: -1 toggle, 0 reopen, 1 complete */
    const char *now;        /* "YYYY-MM-DDTHH:MM:SSZ", one value per request */
    date_t today;           /* the server's UTC date */
    api_error_t rule_error; /* filled (RULE_VIOLATION) when the change is refused */
    void *user;             /* the caller's own pointer (the request) */
} task_change_t;

/** A store_modify_fn for task_change_t: merges the change into *next (the
 *  stored row), applies the recurrence-day rules, checks the rules across
 *  fields on the result (refusing with -1 and ctx->rule_error when broken),
 *  answers STORE_MODIFY_NO_CHANGE when nothing would change, else sets
 *  updated_at (and completed_at) and answers STORE_MODIFY_WRITE; completing
 *  a recurring task that has no successor yet also sets *successor. */
int task_change_apply(void *ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                      store_task_t **successor);

#endif
