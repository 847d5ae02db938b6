/* The list query of the SQLite store (DBSCHEMA.md "List query semantics"):
 * filters, sorting with NULLs last and id tie-breaks, paging and the total.
 * Runs on a temporary file and on sqlite://:memory:. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

enum { N_SEED = 6 };

/* Six tasks of user "u" (numbered 1-6 below), with "today" 2025-12-10, a
 * Wednesday, whose week runs 2025-12-08 to 2025-12-14. */
typedef struct seed_row {
    const char *title, *description;
    bool completed;
    task_priority_t priority;
    const char *tags, *due_date, *due_time, *created_at, *updated_at;
} seed_row_t;

static const seed_row_t seed_rows[N_SEED] = {
    {"Alpha", NULL, false, PRIORITY_HIGH, "work,urgent", "2025-12-09", NULL, "2025-12-10T10:00:01Z",
     "2025-12-10T12:00:06Z"},
    {"beta", "Homework for school", true, PRIORITY_LOW, "homework", "2025-12-10", "08:00:00",
     "2025-12-10T10:00:02Z", "2025-12-10T12:00:05Z"},
    {"Gamma 100%", "has_underscore", false, PRIORITY_NONE, NULL, NULL, NULL, "2025-12-10T10:00:03Z",
     "2025-12-10T12:00:04Z"},
    {"delta", NULL, false, PRIORITY_MEDIUM, "Work", "2025-12-14", "23:00:00",
     "2025-12-10T10:00:04Z", "2025-12-10T12:00:03Z"},
    {"Epsilon", "WORK stuff", false, PRIORITY_HIGH, "play", "2025-12-20", NULL,
     "2025-12-10T10:00:04Z", "2025-12-10T12:00:02Z"}, /* same created_at as 4 */
    {"zeta", NULL, true, PRIORITY_NONE, NULL, "2025-12-01", NULL, "2025-12-10T10:00:05Z",
     "2025-12-10T12:00:01Z"},
};

typedef struct list_fixture {
    fixture_t *f;
    int64_t id[N_SEED + 1]; /* real id of task n */
} list_fixture_t;

static int list_setup(void **state, bool file)
{
    if (fixture_setup(state, file) != 0)
        return -1;
    list_fixture_t *lf = calloc(1, sizeof(*lf));
    lf->f = *state;
    for (int i = 0; i < N_SEED; i++) {
        const seed_row_t *r = &seed_rows[i];
        store_task_t t = task_make("u", r->title);
        t.description = r->description;
        t.completed = r->completed;
        t.completed_at = r->completed ? "2025-12-10T11:00:00Z" : NULL;
        t.priority = r->priority;
        t.tags = r->tags;
        t.due_date = r->due_date;
        t.due_time = r->due_time;
        t.created_at = r->created_at;
        t.updated_at = r->updated_at;
        lf->id[i + 1] = task_insert(lf->f, &t);
    }
    /* Another user's task that matches everything: never listed for "u". */
    store_task_t other = task_make("v", "Alpha work");
    other.tags = "work";
    other.due_date = "2025-12-09";
    task_insert(lf->f, &other);
    *state = lf;
    return 0;
}

static int list_setup_file(void **state)
{
    return list_setup(state, true);
}

static int list_setup_memory(void **state)
{
    return list_setup(state, false);
}

static int list_teardown(void **state)
{
    list_fixture_t *lf = *state;
    *state = lf->f;
    fixture_teardown(state);
    free(lf);
    return 0;
}

static store_task_query_t query(void)
{
    return (store_task_query_t){.completed = -1,
                                .today = "2025-12-10",
                                .week_start = "2025-12-08",
                                .week_end = "2025-12-14",
                                .sort_by = SORT_CREATED_AT,
                                .descending = true,
                                .limit = 1000};
}

/* Lists q and checks the page holds exactly the seed tasks listed (by number,
 * in order) and the total. */
static void expect(list_fixture_t *lf, const store_task_query_t *q, int64_t total, int n, ...)
{
    capture_t c = {0};
    store_task_list(lf->f->w, lf->f->arena, "u", q, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.total, total);
    assert_int_equal(c.res.n_tasks, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int want = va_arg(ap, int);
        assert_int_equal(c.res.tasks[i].id, lf->id[want]);
        assert_string_equal(c.res.tasks[i].user_id, "u");
        assert_string_equal(c.res.tasks[i].title, seed_rows[want - 1].title);
    }
    va_end(ap);
}

static void test_default_order(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    expect(lf, &q, 6, 6, 6, 5, 4, 3, 2, 1); /* 5 and 4 tie: id decides */
    q.descending = false;
    expect(lf, &q, 6, 6, 1, 2, 3, 4, 5, 6);
}

static void test_filters(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    q.descending = false;

    q.completed = 1;
    expect(lf, &q, 2, 2, 2, 6);
    q.completed = 0;
    expect(lf, &q, 4, 4, 1, 3, 4, 5);
    q.completed = -1;

    q.priority = PRIORITY_HIGH;
    expect(lf, &q, 2, 2, 1, 5);
    q.priority = PRIORITY_LOW;
    expect(lf, &q, 1, 1, 2);
    q.priority = PRIORITY_NONE;

    q.completed = 0;
    q.priority = PRIORITY_HIGH;
    expect(lf, &q, 2, 2, 1, 5);
    q.completed = -1;
    q.priority = PRIORITY_NONE;
}

static void test_tag_is_exact_and_case_insensitive(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    q.descending = false;
    q.tag = "work"; /* not "homework" */
    expect(lf, &q, 2, 2, 1, 4);
    q.tag = "WORK";
    expect(lf, &q, 2, 2, 1, 4);
    q.tag = "wor";
    expect(lf, &q, 0, 0);
    q.tag = "urgent";
    expect(lf, &q, 1, 1, 1);
    q.tag = "work,urgent"; /* a tag never holds a comma */
    expect(lf, &q, 0, 0);
    q.tag = "%";
    expect(lf, &q, 0, 0);
    q.tag = ""; /* empty: no filter */
    expect(lf, &q, 6, 6, 1, 2, 3, 4, 5, 6);
}

static void test_search(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    q.descending = false;
    q.search = "work"; /* description of 2 and 5, any case; not tags */
    expect(lf, &q, 2, 2, 2, 5);
    q.search = "ALP";
    expect(lf, &q, 1, 1, 1);
    q.search = "100%";
    expect(lf, &q, 1, 1, 3);
    q.search = "%"; /* not a wildcard */
    expect(lf, &q, 1, 1, 3);
    q.search = "_";
    expect(lf, &q, 1, 1, 3);
    q.search = "a_";
    expect(lf, &q, 0, 0);
    q.search = "it's \"quoted\"";
    expect(lf, &q, 0, 0);
    q.search = "";
    expect(lf, &q, 6, 6, 1, 2, 3, 4, 5, 6);

    q.search = "work";
    q.priority = PRIORITY_HIGH;
    expect(lf, &q, 1, 1, 5);
}

static void test_due_filters(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    q.descending = false;
    q.due_filter = DUE_FILTER_OVERDUE; /* 6 is past but completed */
    expect(lf, &q, 1, 1, 1);
    q.due_filter = DUE_FILTER_TODAY;
    expect(lf, &q, 1, 1, 2);
    q.due_filter = DUE_FILTER_THIS_WEEK;
    expect(lf, &q, 3, 3, 1, 2, 4);
    q.due_filter = DUE_FILTER_UPCOMING;
    expect(lf, &q, 2, 2, 4, 5);
    q.due_filter = DUE_FILTER_NONE;
    expect(lf, &q, 1, 1, 3);

    q.today = "2025-12-02"; /* the client's own date */
    q.due_filter = DUE_FILTER_OVERDUE;
    expect(lf, &q, 0, 0);
    q.due_filter = DUE_FILTER_UPCOMING;
    expect(lf, &q, 4, 4, 1, 2, 4, 5);

    q.today = "2025-12-10";
    q.due_filter = DUE_FILTER_THIS_WEEK;
    q.completed = 0;
    q.tag = "work";
    expect(lf, &q, 2, 2, 1, 4);
}

static void test_sort_keys(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();

    q.sort_by = SORT_UPDATED_AT;
    q.descending = false;
    expect(lf, &q, 6, 6, 6, 5, 4, 3, 2, 1);
    q.descending = true;
    expect(lf, &q, 6, 6, 1, 2, 3, 4, 5, 6);

    q.sort_by = SORT_DUE_DATE; /* no due date: last either way */
    q.descending = false;
    expect(lf, &q, 6, 6, 6, 1, 2, 4, 5, 3);
    q.descending = true;
    expect(lf, &q, 6, 6, 5, 4, 2, 1, 6, 3);

    q.sort_by = SORT_PRIORITY; /* by rank; none last; ties by id */
    q.descending = false;
    expect(lf, &q, 6, 6, 2, 4, 1, 5, 3, 6);
    q.descending = true;
    expect(lf, &q, 6, 6, 5, 1, 4, 2, 6, 3);

    q.sort_by = SORT_TITLE; /* case-insensitive */
    q.descending = false;
    expect(lf, &q, 6, 6, 1, 2, 4, 5, 3, 6);
    q.descending = true;
    expect(lf, &q, 6, 6, 6, 3, 5, 4, 2, 1);

    q.sort_by = SORT_COMPLETED;
    q.descending = false;
    expect(lf, &q, 6, 6, 1, 3, 4, 5, 2, 6);
    q.descending = true;
    expect(lf, &q, 6, 6, 6, 2, 5, 4, 3, 1);
}

static void test_due_time_breaks_due_date_ties(void **state)
{
    fixture_t *f = *state;
    const char *times[3] = {"08:00:00", NULL, "07:00:00"};
    int64_t id[3];
    for (int i = 0; i < 3; i++) {
        store_task_t t = task_make("t", "same day");
        t.due_date = "2025-12-10";
        t.due_time = times[i];
        id[i] = task_insert(f, &t);
    }
    store_task_t undated = task_make("t", "undated");
    int64_t id_undated = task_insert(f, &undated);

    store_task_query_t q = query();
    q.sort_by = SORT_DUE_DATE;
    const int64_t asc[4] = {id[2], id[0], id[1], id_undated};
    const int64_t desc[4] = {id[0], id[2], id[1], id_undated};
    for (int d = 0; d < 2; d++) {
        q.descending = d == 1;
        capture_t c = {0};
        store_task_list(f->w, f->arena, "t", &q, capture_cb, &c);
        assert_int_equal(c.res.status, STORE_OK);
        assert_int_equal(c.res.n_tasks, 4);
        for (int i = 0; i < 4; i++)
            assert_int_equal(c.res.tasks[i].id, q.descending ? desc[i] : asc[i]);
    }
}

static void test_paging_and_total(void **state)
{
    list_fixture_t *lf = *state;
    store_task_query_t q = query();
    q.descending = false;

    q.limit = 2;
    expect(lf, &q, 6, 2, 1, 2); /* a full page: counted */
    q.offset = 4;
    expect(lf, &q, 6, 2, 5, 6);
    q.limit = 4;
    expect(lf, &q, 6, 2, 5, 6); /* a short page tells the total */
    q.offset = 10;
    expect(lf, &q, 6, 0); /* past the end: counted */
    q.offset = 6;
    q.limit = 1;
    expect(lf, &q, 6, 0);

    q.offset = 0;
    q.limit = 1;
    q.completed = 0;
    expect(lf, &q, 4, 1, 1);
    q.offset = 3;
    expect(lf, &q, 4, 1, 5);

    q = query();
    q.limit = 1000;
    expect(lf, &q, 6, 6, 6, 5, 4, 3, 2, 1);
}

static void test_many_rows(void **state)
{
    fixture_t *f = *state;
    enum { MANY = 250 };
    for (int i = 0; i < MANY; i++) {
        store_task_t t = task_make("m", "row");
        t.description = i % 2 ? "odd" : NULL;
        task_insert(f, &t);
    }
    store_task_query_t q = query();
    q.descending = false;
    capture_t c = {0};
    store_task_list(f->w, f->arena, "m", &q, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.n_tasks, MANY);
    assert_int_equal(c.res.total, MANY);
    for (int i = 1; i < MANY; i++) {
        assert_true(c.res.tasks[i].id > c.res.tasks[i - 1].id);
        if (i % 2)
            assert_string_equal(c.res.tasks[i].description, "odd");
        else
            assert_null(c.res.tasks[i].description);
    }
    q.limit = 100;
    q.offset = 200;
    c = (capture_t){0};
    store_task_list(f->w, f->arena, "m", &q, capture_cb, &c);
    assert_int_equal(c.res.n_tasks, 50);
    assert_int_equal(c.res.total, MANY);
}

static void test_empty_list(void **state)
{
    fixture_t *f = *state;
    store_task_query_t q = query();
    capture_t c = {0};
    store_task_list(f->w, f->arena, "nobody", &q, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.n_tasks, 0);
    assert_int_equal(c.res.total, 0);
}

/* Every shape of query prepares and runs (the SQL is assembled from pieces). */
static void test_every_shape(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("s", "x");
    task_insert(f, &t);
    store_task_query_t q = query();
    for (int bits = 0; bits < 16; bits++) {
        for (int due = DUE_FILTER_ANY; due <= DUE_FILTER_NONE; due++) {
            for (int sort = SORT_CREATED_AT; sort <= SORT_COMPLETED; sort++) {
                for (int desc = 0; desc < 2; desc++) {
                    q.completed = bits & 1 ? 0 : -1;
                    q.priority = bits & 2 ? PRIORITY_LOW : PRIORITY_NONE;
                    q.tag = bits & 4 ? "t" : NULL;
                    q.search = bits & 8 ? "x" : NULL;
                    q.due_filter = (task_due_filter_t)due;
                    q.sort_by = (task_sort_t)sort;
                    q.descending = desc;
                    q.limit = 1;
                    q.offset = 0;
                    capture_t c = {0};
                    store_task_list(f->w, f->arena, "s", &q, capture_cb, &c);
                    assert_int_equal(c.calls, 1);
                    assert_int_equal(c.res.status, STORE_OK);
                    /* The one task is incomplete, titled "x", with no
                     * priority, tags or due date. */
                    bool match =
                        (bits & 6) == 0 && (due == DUE_FILTER_ANY || due == DUE_FILTER_NONE);
                    assert_int_equal(c.res.total, match ? 1 : 0);
                }
            }
        }
        arena_reset(f->arena);
    }
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, list_setup_file, list_teardown),                           \
        cmocka_unit_test_setup_teardown(fn, list_setup_memory, list_teardown)
#define BOTH_PLAIN(fn)                                                                             \
    cmocka_unit_test_setup_teardown(fn, setup_file, fixture_teardown),                             \
        cmocka_unit_test_setup_teardown(fn, setup_memory, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_default_order),
        BOTH(test_filters),
        BOTH(test_tag_is_exact_and_case_insensitive),
        BOTH(test_search),
        BOTH(test_due_filters),
        BOTH(test_sort_keys),
        BOTH(test_paging_and_total),
        BOTH_PLAIN(test_due_time_breaks_due_date_ties),
        BOTH_PLAIN(test_many_rows),
        BOTH_PLAIN(test_empty_list),
        BOTH_PLAIN(test_every_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
