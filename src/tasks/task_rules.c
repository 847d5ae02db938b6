/* Rules across fields, recurrence, and the modify decision for changes. */
#include "tasks/task_rules.h"

#include <string.h>

#include "tasks/task_model.h"
#include "tasks/tasks.h"

static const char *field_name(task_field_t i)
{
    return task_schema.fields[i].name;
}

/* The date a recurrence counts from: the due date, or today without one. */
static date_t due_or_today(const store_task_t *t, date_t today)
{
    date_t d;
    if (t->due_date != NULL && date_parse(t->due_date, strlen(t->due_date), &d) == 0)
        return d;
    return today;
}

void task_derive_day(store_task_t *t, date_t today)
{
    if (t->recurrence_day != 0)
        return;
    if (t->recurrence_pattern == RECURRENCE_WEEKLY)
        t->recurrence_day = date_weekday(due_or_today(t, today));
    else if (t->recurrence_pattern == RECURRENCE_MONTHLY)
        t->recurrence_day = due_or_today(t, today).day;
}

size_t task_check_rules(const store_task_t *t, arena_t *arena, api_error_t *err)
{
    size_t n = 0;
    if (t->due_time != NULL && t->due_date == NULL) {
        api_error_add(err, arena, field_name(TASK_F_DUE_TIME), FIELD_ISSUE_REQUIRES_FIELD,
                      "%s requires %s", field_name(TASK_F_DUE_TIME), field_name(TASK_F_DUE_DATE));
        n++;
    }
    if (t->recurrence_day != 0) {
        const char *day = field_name(TASK_F_RECURRENCE_DAY);
        const char *pattern = field_name(TASK_F_RECURRENCE_PATTERN);
        if (t->recurrence_pattern != RECURRENCE_WEEKLY &&
            t->recurrence_pattern != RECURRENCE_MONTHLY) {
            api_error_add(err, arena, day, FIELD_ISSUE_REQUIRES_FIELD,
                          "%s requires a weekly or monthly %s", day, pattern);
            n++;
        } else if (t->recurrence_pattern == RECURRENCE_WEEKLY &&
                   (t->recurrence_day < 1 || t->recurrence_day > TASK_WEEKLY_DAY_MAX)) {
            api_error_add(err, arena, day, FIELD_ISSUE_DOES_NOT_FIT,
                          "%s must be 1-%d for a weekly %s", day, TASK_WEEKLY_DAY_MAX, pattern);
            n++;
        }
    }
    return n;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

int task_next_due(const store_task_t *t, date_t today, date_t *out)
{
    date_t from = due_or_today(t, today);
    date_t base = date_compare(from, today) > 0 ? from : today;
    int day = t->recurrence_day;
    date_t next;
    switch (t->recurrence_pattern) {
    case RECURRENCE_DAILY:
        next = date_add_days(base, 1);
        break;
    case RECURRENCE_WEEKLY: {
        if (day < 1 || day > TASK_WEEKLY_DAY_MAX)
            day = date_weekday(from);
        int delta = (day - date_weekday(base) + 7) % 7;
        next = date_add_days(base, delta == 0 ? 7 : delta);
        break;
    }
    case RECURRENCE_MONTHLY: {
        if (day < 1 || day > 31)
            day = from.day;
        next = base;
        next.day = min_int(day, date_days_in_month(base.year, base.month));
        if (next.day <= base.day) { /* not strictly after: the next month */
            next.month = base.month == 12 ? 1 : base.month + 1;
            next.year = base.month == 12 ? base.year + 1 : base.year;
            next.day = min_int(day, date_days_in_month(next.year, next.month));
        }
        break;
    }
    case RECURRENCE_NONE:
    default:
        return -1;
    }
    if (next.year > DATE_YEAR_MAX)
        return -1;
    *out = next;
    return 0;
}

store_task_t *task_make_successor(arena_t *arena, const store_task_t *cur, const char *now,
                                  date_t today)
{
    date_t due;
    if (task_next_due(cur, today, &due) != 0)
        return NULL;
    store_task_t *s = arena_calloc(arena, 1, sizeof(*s));
    s->user_id = cur->user_id;
    s->title = cur->title;
    s->description = cur->description;
    s->completed = false;
    s->completed_at = NULL;
    s->priority = cur->priority;
    s->tags = cur->tags;
    char *date = arena_alloc(arena, DATE_STR_SIZE);
    date_format(due, date);
    s->due_date = date;
    s->due_time = cur->due_time;
    s->recurrence_pattern = cur->recurrence_pattern;
    s->recurrence_day = cur->recurrence_day;
    task_derive_day(s, today);
    s->created_at = now;
    s->updated_at = now;
    return s;
}

bool task_same_content(const store_task_t *a, const store_task_t *b)
{
    for (size_t i = 0; i < task_create_schema.n_fields; i++) {
        const schema_field_t *f = &task_create_schema.fields[i];
        if (schema_field_visible(&task_create_schema, f) && !schema_field_equal(f, a, b))
            return false;
    }
    return true;
}

size_t task_prepare_create(store_task_t *t, const char *user_id, const char *now, date_t today,
                           arena_t *arena, api_error_t *err)
{
    t->id = 0;
    t->user_id = user_id;
    t->completed = false;
    t->completed_at = NULL;
    t->created_at = now;
    t->updated_at = now;
    t->successor_id = 0;
    task_derive_day(t, today);
    return task_check_rules(t, arena, err);
}

static bool seen_has(const schema_seen_t *seen, task_field_t i)
{
    return (seen->present >> i) & 1U;
}

static int apply_complete(task_change_t *c, arena_t *arena, const store_task_t *cur,
                          store_task_t *next, store_task_t **successor)
{
    bool target = c->completed < 0 ? !cur->completed : c->completed != 0;
    if (target == cur->completed)
        return STORE_MODIFY_NO_CHANGE;
    next->completed = target;
    next->completed_at = target ? c->now : NULL;
    next->updated_at = c->now;
    if (target && cur->recurrence_pattern != RECURRENCE_NONE && cur->successor_id == 0)
        *successor = task_make_successor(arena, cur, c->now, c->today);
    return STORE_MODIFY_WRITE;
}

int task_change_apply(void *ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                      store_task_t **successor)
{
    task_change_t *c = ctx;
    if (c->kind == TASK_CHANGE_COMPLETE)
        return apply_complete(c, arena, cur, next, successor);

    const schema_t *s = &task_create_schema;
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        if (!schema_field_visible(s, f))
            continue;
        if (c->kind == TASK_CHANGE_PATCH && !seen_has(&c->seen, (task_field_t)i))
            continue;
        schema_field_copy(f, next, &c->body);
    }
    /* Rules are checked on the merged task (API.md 4.2), so a stored day
     * stays with a new pattern and must fit it; the one exception is the
     * contract's "clearing the pattern clears the day". */
    if (c->kind == TASK_CHANGE_PATCH && seen_has(&c->seen, TASK_F_RECURRENCE_PATTERN) &&
        !seen_has(&c->seen, TASK_F_RECURRENCE_DAY) && next->recurrence_pattern == RECURRENCE_NONE)
        next->recurrence_day = 0;
    task_derive_day(next, c->today);

    api_error_init(&c->rule_error, API_ERR_RULE_VIOLATION);
    if (task_check_rules(next, arena, &c->rule_error) != 0)
        return -1;
    if (task_same_content(cur, next))
        return STORE_MODIFY_NO_CHANGE;
    next->updated_at = c->now;
    return STORE_MODIFY_WRITE;
}
