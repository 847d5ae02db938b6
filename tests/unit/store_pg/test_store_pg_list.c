/* The PostgreSQL list query gives exactly what the SQLite one gives: the
 * same seed in both (ids included: both tables are fresh), then every sort
 * key in both directions under many filters, and pages of every size, each
 * compared field by field, string by string. A few expectations are also
 * checked outright, so that both backends being wrong the same way shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg_fixture.h"

typedef struct seed_row {
    const char *title, *description;
    bool completed;
    task_priority_t priority;
    const char *tags, *due_date, *due_time, *created_at, *updated_at;
} seed_row_t;

/* "today" is 2025-12-10, a Wednesday; its week runs 2025-12-08 to -14. */
static const seed_row_t seed[] = {
    {"Alpha", NULL, false, PRIORITY_HIGH, "work,urgent", "2025-12-09", NULL, "2025-12-10T10:00:01Z",
     "2025-12-10T12:00:06Z"},
    {"beta", "Homework for school", true, PRIORITY_LOW, "homework", "2025-12-10", "08:00:00",
     "2025-12-10T10:00:02Z", "2025-12-10T12:00:05Z"},
    {"Gamma 100%", "has_underscore", false, PRIORITY_NONE, NULL, NULL, NULL, "2025-12-10T10:00:03Z",
     "2025-12-10T12:00:04Z"},
    {"delta", NULL, false, PRIORITY_MEDIUM, "Work", "2025-12-14", "23:00:00",
     "2025-12-10T10:00:04Z", "2025-12-10T12:00:03Z"},
    {"Epsilon", "WORK stuff", false, PRIORITY_HIGH, "play", "2025-12-20", NULL,
     "2025-12-10T10:00:04Z", "2025-12-10T12:00:02Z"},
    {"zeta", NULL, true, PRIORITY_NONE, NULL, "2025-12-01", NULL, "2025-12-10T10:00:05Z",
     "2025-12-10T12:00:01Z"},
    {"alpha", "lower twin", false, PRIORITY_HIGH, "a b,ç", "2025-12-10", NULL,
     "2025-12-10T10:00:05Z", "2025-12-10T12:00:06Z"},
    {"Äpfel", "ÄÖÜ äöü", false, PRIORITY_LOW, "%,_", "2025-12-10", "07:00:00",
     "2025-12-09T23:59:59Z", "2025-12-11T00:00:00Z"},
    {"éclair", NULL, true, PRIORITY_MEDIUM, "WORK,play", "2025-12-08", "12:00:00",
     "2025-12-11T00:00:00Z", "2025-12-11T00:00:00Z"},
    {"a b", "spaces", false, PRIORITY_NONE, "work", "2025-12-08", NULL, "2024-02-29T12:00:00Z",
     "2025-12-10T12:00:00Z"},
    {"ab", NULL, false, PRIORITY_LOW, NULL, NULL, NULL, "2025-12-10T10:00:01Z",
     "2025-12-10T12:00:00Z"},
    {"a_b", "under_score", true, PRIORITY_HIGH, "Homework,work", "2025-12-31", "00:00:00",
     "2025-12-10T10:00:00Z", "2025-12-10T12:00:00Z"},
    {"Zebra", NULL, false, PRIORITY_NONE, "zoo", "2025-12-14", NULL, "2025-12-10T10:00:02Z",
     "2025-12-10T12:00:07Z"},
};
enum { N_SEED = sizeof(seed) / sizeof(seed[0]) };

typedef struct both {
    pgfx_t *pg;
    store_t *sq;
    store_worker_t *sqw;
    arena_t *arena;
} both_t;

static store_task_t seed_task(const seed_row_t *r)
{
    store_task_t t = task_make("lister", r->title);
    t.description = r->description;
    t.completed = r->completed;
    t.completed_at = r->completed ? "2025-12-10T11:00:00Z" : NULL;
    t.priority = r->priority;
    t.tags = r->tags;
    t.due_date = r->due_date;
    t.due_time = r->due_time;
    t.created_at = r->created_at;
    t.updated_at = r->updated_at;
    return t;
}

static int setup(void **state)
{
    both_t *b = calloc(1, sizeof(*b));
    b->pg = pgfx_new(NULL, 2, 0);
    char err[256] = "";
    store_options_t opts = {.migrate_on_start = true};
    if (store_open("sqlite://:memory:", &opts, &b->sq, err, sizeof(err)) != 0)
        fail_msg("sqlite: %s", err);
    assert_int_equal(store_worker_new(b->sq, NULL, &b->sqw), 0);
    b->arena = arena_new();
    for (size_t i = 0; i < N_SEED; i++) {
        store_task_t t = seed_task(&seed[i]);
        int64_t pg_id = task_insert(b->pg, &t);
        capture_t c = {0};
        store_task_create(b->sqw, b->arena, &t, NULL, capture_cb, &c);
        assert_int_equal(c.calls, 1);
        assert_int_equal(c.res.status, STORE_OK);
        assert_int_equal(c.res.task->id, pg_id);
    }
    /* Another user's task that matches everything: never listed. */
    store_task_t other = seed_task(&seed[0]);
    other.user_id = "someone-else";
    task_insert(b->pg, &other);
    capture_t c = {0};
    store_task_create(b->sqw, b->arena, &other, NULL, capture_cb, &c);
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    both_t *b = *state;
    store_worker_free(b->sqw);
    store_close(b->sq);
    arena_free(b->arena);
    pgfx_free(b->pg);
    free(b);
    return 0;
}

static store_task_query_t base_query(void)
{
    return (store_task_query_t){.completed = -1,
                                .today = "2025-12-10",
                                .week_start = "2025-12-08",
                                .week_end = "2025-12-14",
                                .sort_by = SORT_CREATED_AT,
                                .descending = true,
                                .limit = 1000};
}

static void str_same(const char *what, const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        if (a != b)
            fail_msg("%s: %s vs %s", what, a ? a : "NULL", b ? b : "NULL");
        return;
    }
    if (strcmp(a, b) != 0)
        fail_msg("%s: \"%s\" vs \"%s\"", what, a, b);
}

/* Lists q on both and checks the answers are the same; returns the page. */
static capture_t compare(both_t *b, const store_task_query_t *q)
{
    capture_t s = {0}, p = {0};
    store_task_list(b->sqw, b->arena, "lister", q, capture_cb, &s);
    assert_int_equal(s.calls, 1);
    store_task_list(b->pg->w, b->pg->arena, "lister", q, capture_cb, &p);
    run_until(b->pg->loop, &p.calls, 1);
    assert_int_equal(p.res.status, STORE_OK);
    assert_int_equal(s.res.status, STORE_OK);
    if (p.res.total != s.res.total || p.res.n_tasks != s.res.n_tasks)
        fail_msg("sort %d%s completed %d priority %d tag %s search %s due %d limit %lld offset "
                 "%lld: total %lld/%lld rows %zu/%zu (pg/sqlite)",
                 q->sort_by, q->descending ? " desc" : "", q->completed, q->priority,
                 q->tag ? q->tag : "-", q->search ? q->search : "-", q->due_filter,
                 (long long)q->limit, (long long)q->offset, (long long)p.res.total,
                 (long long)s.res.total, p.res.n_tasks, s.res.n_tasks);
    assert_int_equal(p.res.more, s.res.more);
    for (size_t i = 0; i < p.res.n_tasks; i++) {
        const store_task_t *x = &p.res.tasks[i], *y = &s.res.tasks[i];
        if (x->id != y->id)
            fail_msg("sort %d%s tag %s search %s due %d row %zu: id %lld vs %lld (pg/sqlite)",
                     q->sort_by, q->descending ? " desc" : "", q->tag ? q->tag : "-",
                     q->search ? q->search : "-", q->due_filter, i, (long long)x->id,
                     (long long)y->id);
        str_same("user_id", x->user_id, y->user_id);
        str_same("title", x->title, y->title);
        str_same("description", x->description, y->description);
        assert_int_equal(x->completed, y->completed);
        str_same("completed_at", x->completed_at, y->completed_at);
        assert_int_equal(x->priority, y->priority);
        str_same("tags", x->tags, y->tags);
        str_same("due_date", x->due_date, y->due_date);
        str_same("due_time", x->due_time, y->due_time);
        assert_int_equal(x->recurrence_pattern, y->recurrence_pattern);
        assert_int_equal(x->recurrence_day, y->recurrence_day);
        str_same("created_at", x->created_at, y->created_at);
        str_same("updated_at", x->updated_at, y->updated_at);
        assert_int_equal(x->successor_id, y->successor_id);
    }
    return p;
}

typedef void (*variant_fn)(store_task_query_t *q);

static void v_none(store_task_query_t *q)
{
    (void)q;
}
static void v_open(store_task_query_t *q)
{
    q->completed = 0;
}
static void v_done(store_task_query_t *q)
{
    q->completed = 1;
}
static void v_high(store_task_query_t *q)
{
    q->priority = PRIORITY_HIGH;
}
static void v_low_open(store_task_query_t *q)
{
    q->priority = PRIORITY_LOW;
    q->completed = 0;
}

static const char *const tags[] = {"work", "WORK", "Homework", "a b", "ç",
                                   "%",    "_",    "wor",      "",    "work,urgent"};
static const char *const searches[] = {"a", "A", "work", "100%", "%", "_",   "a_",
                                       "ä", "Ä", "ÄÖÜ",  " ",    "",  "it's"};

static void test_every_sort_under_filters(void **state)
{
    both_t *b = *state;
    static const variant_fn variants[] = {v_none, v_open, v_done, v_high, v_low_open};
    for (int sort = SORT_CREATED_AT; sort <= SORT_COMPLETED; sort++) {
        for (int desc = 0; desc < 2; desc++) {
            store_task_query_t q = base_query();
            q.sort_by = (task_sort_t)sort;
            q.descending = desc;
            for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
                store_task_query_t qv = q;
                variants[v](&qv);
                compare(b, &qv);
                for (int due = DUE_FILTER_ANY; due <= DUE_FILTER_NONE; due++) {
                    qv.due_filter = (task_due_filter_t)due;
                    compare(b, &qv);
                }
            }
            for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
                store_task_query_t qt = q;
                qt.tag = tags[i];
                compare(b, &qt);
            }
            for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
                store_task_query_t qs = q;
                qs.search = searches[i];
                compare(b, &qs);
                qs.tag = "work";
                qs.completed = 0;
                qs.due_filter = DUE_FILTER_THIS_WEEK;
                compare(b, &qs);
            }
        }
    }
}

static void test_pages_and_totals(void **state)
{
    both_t *b = *state;
    static const task_sort_t sorts[] = {SORT_CREATED_AT, SORT_TITLE, SORT_DUE_DATE};
    for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
        for (int64_t limit = 1; limit <= 4; limit++) {
            for (int64_t offset = 0; offset <= N_SEED + 1; offset++) {
                store_task_query_t q = base_query();
                q.sort_by = sorts[s];
                q.descending = offset % 2;
                q.limit = limit;
                q.offset = offset;
                capture_t p = compare(b, &q);
                assert_int_equal(p.res.total, N_SEED);
                q.completed = 0;
                compare(b, &q);
            }
        }
    }
}

/* Keyset paging: page after page, each starting after the last task of
 * the one before, gives the unpaged order exactly (NULLs last and ties by
 * id, both ways, for every sort), and says whether more follows. */
static void page_by_cursor(both_t *b, const store_task_query_t *q)
{
    store_task_query_t all = *q;
    all.limit = 1000;
    capture_t whole = compare(b, &all);
    assert_false(whole.res.more);
    for (int64_t limit = 1; limit <= 4; limit++) {
        store_task_query_t qp = *q;
        qp.limit = limit;
        size_t seen = 0;
        for (int pages = 0;; pages++) {
            assert_true(pages <= N_SEED + 1);
            capture_t p = compare(b, &qp);
            assert_int_equal(p.res.total, whole.res.total);
            for (size_t i = 0; i < p.res.n_tasks; i++, seen++) {
                assert_true(seen < whole.res.n_tasks);
                assert_int_equal(p.res.tasks[i].id, whole.res.tasks[seen].id);
            }
            assert_int_equal(p.res.more, seen < whole.res.n_tasks);
            if (!p.res.more)
                break;
            assert_int_equal(p.res.n_tasks, limit);
            qp.after = &p.res.tasks[p.res.n_tasks - 1];
        }
        assert_int_equal(seen, whole.res.n_tasks);
    }
}

static void test_cursor_pages_every_sort(void **state)
{
    both_t *b = *state;
    static const variant_fn variants[] = {v_none, v_open, v_high};
    for (int sort = SORT_CREATED_AT; sort <= SORT_COMPLETED; sort++) {
        for (int desc = 0; desc < 2; desc++) {
            store_task_query_t q = base_query();
            q.sort_by = (task_sort_t)sort;
            q.descending = desc;
            for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
                store_task_query_t qv = q;
                variants[v](&qv);
                page_by_cursor(b, &qv);
            }
            store_task_query_t qf = q;
            qf.search = "a";
            page_by_cursor(b, &qf);
            qf.search = "alp";
            page_by_cursor(b, &qf);
            qf.search = NULL;
            qf.due_filter = DUE_FILTER_THIS_WEEK;
            page_by_cursor(b, &qf);
            qf.tag = "work";
            page_by_cursor(b, &qf);
        }
    }
}

/* What both must say, independently of each other (DBSCHEMA.md). */
static void test_semantics(void **state)
{
    both_t *b = *state;
    store_task_query_t q = base_query();
    q.tag = "work"; /* exact, any case: never "homework" */
    capture_t p = compare(b, &q);
    assert_int_equal(p.res.total, 5); /* 1, 4, 9, 10 and 12 */
    for (size_t i = 0; i < p.res.n_tasks; i++)
        assert_non_null(strcasestr(p.res.tasks[i].tags, "work"));

    q = base_query();
    q.search = "%"; /* not a wildcard */
    p = compare(b, &q);
    assert_int_equal(p.res.total, 1);
    assert_string_equal(p.res.tasks[0].title, "Gamma 100%");

    q = base_query();
    q.sort_by = SORT_DUE_DATE; /* no due date: last, both ways */
    for (int desc = 0; desc < 2; desc++) {
        q.descending = desc;
        p = compare(b, &q);
        assert_null(p.res.tasks[N_SEED - 1].due_date);
        assert_null(p.res.tasks[N_SEED - 2].due_date);
        assert_non_null(p.res.tasks[N_SEED - 3].due_date);
    }

    q = base_query();
    q.sort_by = SORT_TITLE; /* ASCII case folded, then bytes */
    q.descending = false;
    p = compare(b, &q);
    assert_string_equal(p.res.tasks[0].title, "a b");
    assert_string_equal(p.res.tasks[N_SEED - 1].title, "éclair");

    q = base_query();
    q.due_filter = DUE_FILTER_OVERDUE; /* before today and not completed */
    p = compare(b, &q);
    assert_int_equal(p.res.total, 2);
}

int main(void)
{
    pg_require_database("store_pg_list");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sort_under_filters),
        cmocka_unit_test(test_pages_and_totals),
        cmocka_unit_test(test_cursor_pages_every_sort),
        cmocka_unit_test(test_semantics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
