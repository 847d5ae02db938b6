/* The SQLite list query. Its WHERE and ORDER BY depend on which filters are
 * given, on the sort and on whether a cursor is followed, so the SQL is
 * assembled from the fixed fragments below, chosen by the query's enums and
 * presence bits (never from its values, which are only ever bound), and
 * each distinct shape is prepared once per connection and cached.
 * Parameters keep fixed numbers whatever the shape: ?1 user_id,
 * ?2 completed, ?3 priority, ?4 tag, ?5 search, ?6 today, ?7 week_start,
 * ?8 week_end, ?9 limit + 1 (one more tells whether a page follows),
 * ?10 offset, ?11 and ?12 the cursor's sort key values, ?13 its id,
 * ?14 the search as an FTS5 phrase.
 *
 * Every sort is a tuple of keys ending in id, all in one direction, NULLs
 * mapped past the end of that direction, each tuple an index of migration
 * 0005 (docs/list-plans.md has the plans). A cursor page starts right after
 * the cursor's tuple: SQLite 3.40 seeks only on the first column of a row
 * value, so "tuple > cursor" is spelled as one index range per key
 * ((k1 = c1 AND id > c_id), (k1 > c1)), each limited to the page, chained.
 *
 * How the page is found: by walking the sort's index and testing each row,
 * or through the filters' own indexes (the search's trigram index, the due
 * date range) and sorting what they give; list_drive_by_filter decides from
 * the count (see list_count.h). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "store/list_count.h"
#include "store/store_sqlite.h"

enum { SQL_BUF = 8192, N_DUE = 6, N_SORT = 6 };

enum {
    HAS_COMPLETED = 1 << 0,
    HAS_PRIORITY = 1 << 1,
    HAS_TAG = 1 << 2,
    HAS_SEARCH = 1 << 3,
};

/* Filters in two spellings: [0] tested row by row (no index matches it),
 * [1] the one an index of 0005 serves. */
static const char *const filter_sql[4][2] = {
    {" AND completed = ?2", " AND completed = ?2"},
    {" AND priority = ?3", " AND coalesce(priority, 0) = ?3"},
    {" AND instr(',' || lower(tags) || ',', ',' || lower(?4) || ',') > 0",
     " AND instr(',' || lower(tags) || ',', ',' || lower(?4) || ',') > 0"},
    {" AND (instr(lower(title), lower(?5)) > 0"
     " OR instr(lower(coalesce(description, '')), lower(?5)) > 0)",
     " AND (instr(lower(title), lower(?5)) > 0"
     " OR instr(lower(coalesce(description, '')), lower(?5)) > 0)"},
};

/* The trigram index only narrows the candidates; the exact test above
 * decides. With it, the user's rows are not looked for by index. */
static const char *const fts_sql =
    " AND id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?14)";

/* The due filters as ranges of ix_tasks_user_due_desc's first key. */
#define DUE_KEY "coalesce(due_date, '')"
static const char *const due_sql[N_DUE][2] = {
    [DUE_FILTER_ANY] = {"", ""},
    [DUE_FILTER_OVERDUE] = {" AND +" DUE_KEY " > '' AND +" DUE_KEY " < ?6 AND completed = 0",
                            " AND " DUE_KEY " > '' AND " DUE_KEY " < ?6 AND completed = 0"},
    [DUE_FILTER_TODAY] = {" AND +" DUE_KEY " = ?6", " AND " DUE_KEY " = ?6"},
    [DUE_FILTER_THIS_WEEK] = {" AND +" DUE_KEY " BETWEEN ?7 AND ?8",
                              " AND " DUE_KEY " BETWEEN ?7 AND ?8"},
    [DUE_FILTER_UPCOMING] = {" AND +" DUE_KEY " > ?6", " AND " DUE_KEY " > ?6"},
    [DUE_FILTER_NONE] = {" AND +" DUE_KEY " = ''", " AND " DUE_KEY " = ''"},
};

/* A sort's key tuple before id: the expressions over the row and the same
 * ones over the cursor's parameters. These are the index expressions of
 * migration 0005, verbatim. */
typedef struct sort_key {
    int n;
    const char *col[2];
    const char *arg[2];
} sort_key_t;

static const sort_key_t sort_keys[N_SORT][2] = {
    [SORT_CREATED_AT] = {{1, {"created_at"}, {"?11"}}, {1, {"created_at"}, {"?11"}}},
    [SORT_UPDATED_AT] = {{1, {"updated_at"}, {"?11"}}, {1, {"updated_at"}, {"?11"}}},
    [SORT_DUE_DATE] = {{2,
                        {"coalesce(due_date, '9999-99-99')", "coalesce(due_time, '99:99:99')"},
                        {"coalesce(?11, '9999-99-99')", "coalesce(?12, '99:99:99')"}},
                       {2,
                        {"coalesce(due_date, '')", "coalesce(due_time, '')"},
                        {"coalesce(?11, '')", "coalesce(?12, '')"}}},
    [SORT_PRIORITY] = {{1, {"coalesce(priority, 4)"}, {"coalesce(?11, 4)"}},
                       {1, {"coalesce(priority, 0)"}, {"coalesce(?11, 0)"}}},
    [SORT_TITLE] = {{1, {"lower(title)"}, {"lower(?11)"}}, {1, {"lower(title)"}, {"lower(?11)"}}},
    [SORT_COMPLETED] = {{1, {"completed"}, {"?11"}}, {1, {"completed"}, {"?11"}}},
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

/* The trigram index finds needles of three code points or more. */
static bool search_indexable(const store_task_query_t *q)
{
    return given(q->search) && utf8_count_codepoints(q->search, strlen(q->search)) >= 3;
}

static void append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    assert(*len + n < SQL_BUF);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

/* Writes FROM ... WHERE for the filters. indexed: the spelling the filters'
 * indexes serve (and the trigram index for an indexable search). */
static void append_where(char *sql, size_t *len, unsigned bits, task_due_filter_t due, bool indexed,
                         bool fts)
{
    append(sql, len, fts ? " FROM tasks WHERE +user_id = ?1" : " FROM tasks WHERE user_id = ?1");
    if (fts)
        append(sql, len, fts_sql);
    for (int i = 0; i < 4; i++)
        if (bits & (1U << i))
            append(sql, len, filter_sql[i][indexed ? 1 : 0]);
    append(sql, len, due_sql[due][indexed ? 1 : 0]);
}

/* " ORDER BY k1 DIR, ..., id DIR", over the keys from the first-th on. */
static void append_order(char *sql, size_t *len, const sort_key_t *k, int first, bool desc)
{
    const char *dir = desc ? " DESC" : " ASC";
    append(sql, len, " ORDER BY ");
    for (int i = first; i < k->n; i++) {
        append(sql, len, k->col[i]);
        append(sql, len, dir);
        append(sql, len, ", ");
    }
    append(sql, len, "id");
    append(sql, len, dir);
}

/* The shape of a query: the index into sqlite_conn_t's statement caches. */
typedef struct shape {
    unsigned bits;
    task_due_filter_t due;
    bool indexed, fts;
    task_sort_t sort;
    bool desc, cursor;
} shape_t;

static unsigned where_index(const shape_t *s)
{
    unsigned mode = s->fts ? 2U : s->indexed ? 1U : 0U;
    return (s->bits * N_DUE + (unsigned)s->due) * 3 + mode;
}

static void append_select(char *sql, size_t *len, const shape_t *s)
{
    append(sql, len, "SELECT " SQLITE_TASK_COLUMNS);
    append_where(sql, len, s->bits, s->due, s->indexed, s->fts);
}

/* A cursor page: one range per key, "k1..k(i-1) equal to the cursor's, ki
 * past it" (the last range is on id), each its own index seek limited to
 * the page. The ranges follow each other in the sort's order, so they are
 * chained with UNION ALL, which SQLite runs arm after arm (an ORDER BY over
 * the compound would make it sort each arm again, costing 5x the page). */
static void cursor_sql(char *sql, size_t *len, const shape_t *s, const sort_key_t *k)
{
    const char *past = s->desc ? " < " : " > ";
    for (int i = k->n; i >= 0; i--) {
        if (i != k->n)
            append(sql, len, " UNION ALL ");
        append(sql, len, "SELECT * FROM (");
        append_select(sql, len, s);
        for (int j = 0; j < i; j++) {
            append(sql, len, " AND ");
            append(sql, len, k->col[j]);
            append(sql, len, " = ");
            append(sql, len, k->arg[j]);
        }
        append(sql, len, " AND ");
        append(sql, len, i == k->n ? "id" : k->col[i]);
        append(sql, len, past);
        append(sql, len, i == k->n ? "?13" : k->arg[i]);
        append_order(sql, len, k, i, s->desc);
        append(sql, len, " LIMIT ?9)");
    }
    append(sql, len, " LIMIT ?9");
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

static sqlite3_stmt *list_stmt(sqlite_conn_t *c, const shape_t *s, int *rc)
{
    unsigned index = ((where_index(s) * N_SORT + (unsigned)s->sort) * 2 + (s->desc ? 1U : 0U)) * 2 +
                     (s->cursor ? 1U : 0U);
    assert(index < SQLITE_LIST_SHAPES);
    if (c->list[index] != NULL)
        return c->list[index];
    char *sql = malloc(SQL_BUF);
    if (sql == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    size_t len = 0;
    sql[0] = '\0';
    const sort_key_t *k = &sort_keys[s->sort][s->desc ? 1 : 0];
    if (s->cursor) {
        cursor_sql(sql, &len, s, k);
    } else {
        append_select(sql, &len, s);
        append_order(sql, &len, k, 0, s->desc);
        append(sql, &len, " LIMIT ?9 OFFSET ?10");
    }
    sqlite3_stmt *st = prepare(c->db, &c->list[index], sql, rc);
    free(sql);
    return st;
}

/* The count and, in the same statement (one snapshot), the version of the
 * user's tasks it was counted at. */
static sqlite3_stmt *count_stmt(sqlite_conn_t *c, const shape_t *s, int *rc)
{
    unsigned index = where_index(s);
    assert(index < SQLITE_LIST_WHERE_SHAPES);
    if (c->count[index] != NULL)
        return c->count[index];
    char sql[SQL_BUF];
    size_t len = 0;
    sql[0] = '\0';
    append(&sql[0], &len, "SELECT (SELECT version FROM task_counts WHERE user_id = ?1), count(*)");
    append_where(sql, &len, s->bits, s->due, s->indexed, s->fts);
    return prepare(c->db, &c->count[index], sql, rc);
}

static sqlite3_stmt *counts_row_stmt(sqlite_conn_t *c, int *rc)
{
    return prepare(c->db, &c->counts_row,
                   "SELECT total, completed, version FROM task_counts WHERE user_id = ?1", rc);
}

/* The search as an FTS5 phrase: in double quotes, inner ones doubled. */
static char *fts_phrase(arena_t *arena, const char *needle)
{
    size_t n = strlen(needle), quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += needle[i] == '"';
    char *out = arena_alloc(arena, n + quotes + 3);
    char *p = out;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        *p++ = needle[i];
        if (needle[i] == '"')
            *p++ = '"';
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

/* Binds the filter parameters a shape uses (binding one it lacks is an
 * error, as its number may be past the statement's last). */
static void bind_filters(sqlite3_stmt *st, const char *user_id, const store_task_query_t *q,
                         const shape_t *s, const char *phrase)
{
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if (s->bits & HAS_COMPLETED)
        sqlite3_bind_int(st, 2, q->completed ? 1 : 0);
    if (s->bits & HAS_PRIORITY)
        sqlite3_bind_int(st, 3, (int)q->priority);
    if (s->bits & HAS_TAG)
        sqlite3_bind_text(st, 4, q->tag, -1, SQLITE_STATIC);
    if (s->bits & HAS_SEARCH)
        sqlite3_bind_text(st, 5, q->search, -1, SQLITE_STATIC);
    if (s->fts)
        sqlite3_bind_text(st, 14, phrase, -1, SQLITE_STATIC);
    switch (s->due) {
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

static void bind_text_or_null(sqlite3_stmt *st, int n, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(st, n, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, n);
}

/* The cursor's sort key values (?11, ?12) and id (?13). */
static void bind_cursor(sqlite3_stmt *st, task_sort_t sort, const store_task_t *after)
{
    switch (sort) {
    case SORT_CREATED_AT:
        bind_text_or_null(st, 11, after->created_at);
        break;
    case SORT_UPDATED_AT:
        bind_text_or_null(st, 11, after->updated_at);
        break;
    case SORT_DUE_DATE:
        bind_text_or_null(st, 11, after->due_date);
        bind_text_or_null(st, 12, after->due_time);
        break;
    case SORT_PRIORITY:
        if (after->priority != PRIORITY_NONE)
            sqlite3_bind_int(st, 11, (int)after->priority);
        else
            sqlite3_bind_null(st, 11);
        break;
    case SORT_TITLE:
        bind_text_or_null(st, 11, after->title);
        break;
    case SORT_COMPLETED:
        sqlite3_bind_int(st, 11, after->completed ? 1 : 0);
        break;
    }
    sqlite3_bind_int64(st, 13, after->id);
}

static store_status_t read_counts_row(sqlite_conn_t *c, const char *user_id, list_counts_row_t *row)
{
    memset(row, 0, sizeof(*row));
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = counts_row_stmt(c, &rc);
    if (st == NULL)
        return store__sqlite_fail(c->db, rc, "prepare task counts");
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->exists = true;
        row->total = sqlite3_column_int64(st, 0);
        row->completed = sqlite3_column_int64(st, 1);
        row->version = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
                                                 : store__sqlite_fail(c->db, rc, "task counts");
}

/* The number of rows matching q: from the cache when it was counted at the
 * user's current version, else counted (and cached). */
static store_status_t count_rows(sqlite_conn_t *c, const char *user_id, const store_task_query_t *q,
                                 const shape_t *s, const char *phrase, const list_counts_row_t *row,
                                 int64_t *total)
{
    char *key = list_count_key(user_id, q);
    if (list_count_get(&c->counts, key, row->version, total)) {
        free(key);
        return STORE_OK;
    }
    shape_t cs = *s;
    cs.indexed = true; /* counting reads every match: by their indexes */
    cs.fts = search_indexable(q);
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = count_stmt(c, &cs, &rc);
    if (st == NULL) {
        free(key);
        return store__sqlite_fail(c->db, rc, "prepare task count");
    }
    bind_filters(st, user_id, q, &cs, phrase);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *total = sqlite3_column_int64(st, 1);
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            list_count_put(&c->counts, key, sqlite3_column_int64(st, 0), *total, row->total);
        else
            free(key);
    } else {
        free(key);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? STORE_OK : store__sqlite_fail(c->db, rc, "task count");
}

static store_status_t read_page(sqlite_conn_t *c, arena_t *arena, const char *user_id,
                                const store_task_query_t *q, const shape_t *s, const char *phrase,
                                store_result_t *res)
{
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = list_stmt(c, s, &rc);
    if (st == NULL)
        return store__sqlite_fail(c->db, rc, "prepare task list");
    bind_filters(st, user_id, q, s, phrase);
    sqlite3_bind_int64(st, 9, q->limit + 1);
    if (s->cursor)
        bind_cursor(st, q->sort_by, q->after);
    else
        sqlite3_bind_int64(st, 10, q->offset);

    /* Every row belongs to user_id: share one copy of it. */
    const char *owner = arena_strdup(arena, user_id);
    size_t cap = q->limit < 16 ? (size_t)q->limit : 16;
    size_t n = 0;
    store_task_t *tasks = arena_alloc(arena, cap * sizeof(*tasks));
    res->more = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)n == q->limit) {
            res->more = true; /* the extra row: only its existence counts */
            continue;
        }
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
    return STORE_OK;
}

store_status_t store__sqlite_list(sqlite_conn_t *c, arena_t *arena, const char *user_id,
                                  const store_task_query_t *q, store_result_t *res)
{
    assert(q->due_filter >= DUE_FILTER_ANY && q->due_filter <= DUE_FILTER_NONE);
    assert(q->sort_by >= SORT_CREATED_AT && q->sort_by <= SORT_COMPLETED);
    assert(q->limit >= 1 && q->offset >= 0);

    res->tasks = NULL;
    res->n_tasks = 0;
    res->total = 0;
    res->more = false;
    shape_t s = {.bits = filter_bits(q),
                 .due = q->due_filter,
                 .sort = q->sort_by,
                 .desc = q->descending,
                 .cursor = q->after != NULL};
    if ((s.bits & HAS_TAG) && strchr(q->tag, ',') != NULL)
        return STORE_OK; /* no tag holds a comma; instr() would match a run of tags */

    list_counts_row_t row;
    store_status_t status = read_counts_row(c, user_id, &row);
    if (status != STORE_OK || !row.exists)
        return status; /* a user who never had a task has none */
    const char *phrase = search_indexable(q) ? fts_phrase(arena, q->search) : NULL;
    if (list_needs_count(q)) {
        status = count_rows(c, user_id, q, &s, phrase, &row, &res->total);
        if (status != STORE_OK)
            return status;
        int64_t reach = q->limit + (s.cursor ? 0 : q->offset);
        /* Sorting by due date, its index is the filter's too. */
        s.indexed =
            q->sort_by == SORT_DUE_DATE || list_drive_by_filter(res->total, row.total, reach);
        s.fts = s.indexed && phrase != NULL;
    } else {
        res->total = list_total_from_row(q, &row);
    }
    if (res->total == 0)
        return STORE_OK;
    return read_page(c, arena, user_id, q, &s, phrase, res);
}

void store__sqlite_list_dispose(sqlite_conn_t *c)
{
    for (size_t i = 0; i < SQLITE_LIST_SHAPES; i++)
        sqlite3_finalize(c->list[i]);
    for (size_t i = 0; i < SQLITE_LIST_WHERE_SHAPES; i++)
        sqlite3_finalize(c->count[i]);
    sqlite3_finalize(c->counts_row);
    list_count_dispose(&c->counts);
}
