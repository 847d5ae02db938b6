/* The SQLite list query. Its WHERE and ORDER BY depend on which filters are
 * given and on the sort, so the SQL is assembled from the fixed fragments
 * below, chosen by the query's enums and presence bits (never from its
 * values, which are only ever bound), and each distinct shape is prepared
 * once per connection and cached. Parameters keep fixed numbers whatever the
 * shape: ?1 user_id, ?2 completed, ?3 priority, ?4 tag, ?5 search,
 * ?6 today, ?7 week_start, ?8 week_end, ?9 limit, ?10 offset. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "store/store_sqlite.h"

enum { SQL_BUF = 2048, N_DUE = 6, N_SORT = 6 };

enum {
    HAS_COMPLETED = 1 << 0,
    HAS_PRIORITY = 1 << 1,
    HAS_TAG = 1 << 2,
    HAS_SEARCH = 1 << 3,
};

static const char *const filter_sql[4] = {
    " AND completed = ?2",
    " AND priority = ?3",
    " AND instr(',' || lower(tags) || ',', ',' || lower(?4) || ',') > 0",
    " AND (instr(lower(title), lower(?5)) > 0"
    " OR instr(lower(coalesce(description, '')), lower(?5)) > 0)",
};

static const char *const due_sql[N_DUE] = {
    [DUE_FILTER_ANY] = "",
    [DUE_FILTER_OVERDUE] = " AND due_date < ?6 AND completed = 0",
    [DUE_FILTER_TODAY] = " AND due_date = ?6",
    [DUE_FILTER_THIS_WEEK] = " AND due_date BETWEEN ?7 AND ?8",
    [DUE_FILTER_UPCOMING] = " AND due_date > ?6",
    [DUE_FILTER_NONE] = " AND due_date IS NULL",
};

/* Rows with no value for the key come last either way (SQLite puts NULLs
 * first ascending, so say so); ties go by id in the same direction. */
static const char *const order_sql[N_SORT][2] = {
    [SORT_CREATED_AT] = {" ORDER BY created_at ASC, id ASC", " ORDER BY created_at DESC, id DESC"},
    [SORT_UPDATED_AT] = {" ORDER BY updated_at ASC, id ASC", " ORDER BY updated_at DESC, id DESC"},
    [SORT_DUE_DATE] = {" ORDER BY due_date ASC NULLS LAST, due_time ASC NULLS LAST, id ASC",
                       " ORDER BY due_date DESC NULLS LAST, due_time DESC NULLS LAST, id DESC"},
    [SORT_PRIORITY] = {" ORDER BY priority ASC NULLS LAST, id ASC",
                       " ORDER BY priority DESC NULLS LAST, id DESC"},
    [SORT_TITLE] = {" ORDER BY lower(title) ASC, id ASC", " ORDER BY lower(title) DESC, id DESC"},
    [SORT_COMPLETED] = {" ORDER BY completed ASC, id ASC", " ORDER BY completed DESC, id DESC"},
};

static bool given(const char *s)
{
    return s != NULL && *s != '\0'; /* an empty tag or search means no filter */
}

static unsigned filter_bits(const store_task_query_t *q)
{
    unsigned bits = 0;
    if (q->completed >= 0)
        bits |= HAS_COMPLETED;
    if (q->priority != PRIORITY_NONE)
        bits |= HAS_PRIORITY;
    if (given(q->tag))
        bits |= HAS_TAG;
    if (given(q->search))
        bits |= HAS_SEARCH;
    return bits;
}

static void append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    assert(*len + n < SQL_BUF);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

/* Writes the shared FROM ... WHERE part of a query's SQL. */
static void append_where(char *sql, size_t *len, unsigned bits, task_due_filter_t due)
{
    append(sql, len, " FROM tasks WHERE user_id = ?1");
    for (int i = 0; i < 4; i++)
        if (bits & (1U << i))
            append(sql, len, filter_sql[i]);
    append(sql, len, due_sql[due]);
}

static sqlite3_stmt *prepare(sqlite3 *db, sqlite3_stmt **slot, const char *sql, int *rc)
{
    if (*slot == NULL) {
        *rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
        if (*rc != SQLITE_OK)
            return NULL;
    }
    return *slot;
}

static sqlite3_stmt *list_stmt(sqlite_conn_t *c, const store_task_query_t *q, unsigned bits,
                               int *rc)
{
    unsigned where = bits * N_DUE + (unsigned)q->due_filter;
    unsigned shape = (where * N_SORT + (unsigned)q->sort_by) * 2 + (q->descending ? 1 : 0);
    if (c->list[shape] != NULL)
        return c->list[shape];
    char sql[SQL_BUF];
    size_t len = 0;
    sql[0] = '\0';
    append(sql, &len, "SELECT " SQLITE_TASK_COLUMNS);
    append_where(sql, &len, bits, q->due_filter);
    append(sql, &len, order_sql[q->sort_by][q->descending ? 1 : 0]);
    append(sql, &len, " LIMIT ?9 OFFSET ?10");
    return prepare(c->db, &c->list[shape], sql, rc);
}

static sqlite3_stmt *count_stmt(sqlite_conn_t *c, const store_task_query_t *q, unsigned bits,
                                int *rc)
{
    unsigned where = bits * N_DUE + (unsigned)q->due_filter;
    if (c->count[where] != NULL)
        return c->count[where];
    char sql[SQL_BUF];
    size_t len = 0;
    sql[0] = '\0';
    append(sql, &len, "SELECT COUNT(*)");
    append_where(sql, &len, bits, q->due_filter);
    return prepare(c->db, &c->count[where], sql, rc);
}

/* Binds the filter parameters a shape uses (binding one it lacks is an
 * error, as its number may be past the statement's last). */
static void bind_filters(sqlite3_stmt *st, const char *user_id, const store_task_query_t *q,
                         unsigned bits)
{
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if (bits & HAS_COMPLETED)
        sqlite3_bind_int(st, 2, q->completed ? 1 : 0);
    if (bits & HAS_PRIORITY)
        sqlite3_bind_int(st, 3, (int)q->priority);
    if (bits & HAS_TAG)
        sqlite3_bind_text(st, 4, q->tag, -1, SQLITE_STATIC);
    if (bits & HAS_SEARCH)
        sqlite3_bind_text(st, 5, q->search, -1, SQLITE_STATIC);
    switch (q->due_filter) {
    case DUE_FILTER_OVERDUE:
    case DUE_FILTER_TODAY:
    case DUE_FILTER_UPCOMING:
        sqlite3_bind_text(st, 6, q->today, -1, SQLITE_STATIC);
        break;
    case DUE_FILTER_THIS_WEEK:
        sqlite3_bind_text(st, 7, q->week_start, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, q->week_end, -1, SQLITE_STATIC);
        break;
    case DUE_FILTER_ANY:
    case DUE_FILTER_NONE:
        break;
    }
}

static store_status_t count_rows(sqlite_conn_t *c, const char *user_id, const store_task_query_t *q,
                                 unsigned bits, int64_t *total)
{
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = count_stmt(c, q, bits, &rc);
    if (st == NULL)
        return store__sqlite_fail(c->db, rc, "prepare task count");
    bind_filters(st, user_id, q, bits);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? STORE_OK : store__sqlite_fail(c->db, rc, "task count");
}

store_status_t store__sqlite_list(sqlite_conn_t *c, arena_t *arena, const char *user_id,
                                  const store_task_query_t *q, store_result_t *res)
{
    assert(q->due_filter >= DUE_FILTER_ANY && q->due_filter <= DUE_FILTER_NONE);
    assert(q->sort_by >= SORT_CREATED_AT && q->sort_by <= SORT_COMPLETED);
    assert(q->limit >= 1 && q->offset >= 0);

    unsigned bits = filter_bits(q);
    if ((bits & HAS_TAG) && strchr(q->tag, ',') != NULL) {
        /* No tag holds a comma; the instr() test would match a run of tags. */
        res->tasks = NULL;
        res->n_tasks = 0;
        res->total = 0;
        return STORE_OK;
    }
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = list_stmt(c, q, bits, &rc);
    if (st == NULL)
        return store__sqlite_fail(c->db, rc, "prepare task list");
    bind_filters(st, user_id, q, bits);
    sqlite3_bind_int64(st, 9, q->limit);
    sqlite3_bind_int64(st, 10, q->offset);

    /* Every row belongs to user_id: share one copy of it. */
    const char *owner = arena_strdup(arena, user_id);
    size_t cap = q->limit < 16 ? (size_t)q->limit : 16;
    size_t n = 0;
    store_task_t *tasks = arena_alloc(arena, cap * sizeof(*tasks));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            store_task_t *bigger = arena_alloc(arena, 2 * cap * sizeof(*tasks));
            memcpy(bigger, tasks, n * sizeof(*tasks));
            tasks = bigger;
            cap *= 2;
        }
        store__sqlite_read_task(st, arena, owner, &tasks[n++]);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return store__sqlite_fail(c->db, rc, "task list");

    res->tasks = tasks;
    res->n_tasks = n;
    /* A short page that is not past the end tells the total by itself. */
    if ((int64_t)n < q->limit && (n > 0 || q->offset == 0)) {
        res->total = q->offset + (int64_t)n;
        return STORE_OK;
    }
    return count_rows(c, user_id, q, bits, &res->total);
}

void store__sqlite_list_dispose(sqlite_conn_t *c)
{
    for (size_t i = 0; i < SQLITE_LIST_SHAPES; i++)
        sqlite3_finalize(c->list[i]);
    for (size_t i = 0; i < SQLITE_LIST_WHERE_SHAPES; i++)
        sqlite3_finalize(c->count[i]);
}
