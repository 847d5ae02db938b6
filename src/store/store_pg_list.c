/* The PostgreSQL list query: its WHERE and ORDER BY depend on which filters
 * are given, on the sort and on whether a cursor is followed, so, like the
 * SQLite backend's, the SQL is assembled from fixed fragments chosen by the
 * query's presence bits and enums (never from its values, which are only
 * ever bound), and each shape is a statement prepared once per connection,
 * on first use. Parameters keep fixed numbers whatever the shape (all are
 * declared text): $1 user_id, $2 completed, $3 priority, $4 tag, $5 search,
 * $6 today, $7 week_start, $8 week_end, $9 limit + 1 (one more tells
 * whether a page follows), $10 offset, $11 and $12 the cursor's sort key
 * values, $13 its id, $14 the search as a LIKE pattern. Matching and
 * ordering of text use the "C" collation, as SQLite does: ASCII case
 * folding, byte order.
 *
 * Every sort is a tuple of keys ending in id, all in one direction, NULLs
 * mapped past the end of that direction, each tuple an index of migration
 * 0005 (docs/list-plans.md has the plans); a cursor page is a row
 * comparison on it, one index seek.
 *
 * One round trip reads the page and the user's task_counts row; a filter
 * whose count is not cached at the row's version takes a second one (see
 * list_count.h). */
#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_pg.h"

enum {
    N_DUE = 6,
    N_DUE_WAYS = 2 * N_DUE, /* each due filter by its index range, or tested row by row */
    N_SORT = 6,
    N_SEARCH = 3, /* none, exact test only, trigram index */
    N_WHERE = 8 * N_SEARCH * N_DUE_WAYS,
    COUNTS_ROW_KEY = PG_COUNT_KEY,
    COUNT_KEY = PG_COUNT_KEY + 1,
    N_LIST = N_WHERE * N_SORT * 2 * 2,
};
enum { HAS_COMPLETED = 1, HAS_PRIORITY = 2, HAS_TAG = 4 };
enum { SEARCH_NONE = 0, SEARCH_EXACT = 1, SEARCH_TRGM = 2 };
_Static_assert((int)PG_LIST_KEY == (int)COUNT_KEY + (int)N_WHERE, "statement keys of store_pg.h");
_Static_assert((int)PG_LIST_KEY + (int)N_LIST <= 8192, "prepared statement keys of pg_conn.h");

static const char *const filter_sql[3] = {
    " AND completed = $2::boolean",
    " AND priority = $3::smallint",
    " AND strpos(',' || lower(tags COLLATE \"C\") || ',', ',' || lower($4 COLLATE \"C\") || ',') > "
    "0",
};

static const char *const search_sql[N_SEARCH] = {
    "",
    " AND (strpos(lower(title COLLATE \"C\"), lower($5 COLLATE \"C\")) > 0"
    " OR strpos(lower(coalesce(description, '') COLLATE \"C\"), lower($5 COLLATE \"C\")) > 0)",
    /* $14 is '%' || the lower-cased needle, LIKE-escaped || '%': exact, and
     * what the trigram indexes serve. */
    " AND (lower(title COLLATE \"C\") LIKE $14 OR"
    " lower(coalesce(description, '') COLLATE \"C\") LIKE $14)",
};

/* The due filters as ranges of ix_tasks_user_due_desc's first key ([1]),
 * or ([0]) on a key no index has (+ 0), so that the sort's index is walked:
 * the statements run with generic plans (pg_conn.c), which cannot tell a
 * rare date from a common one; the store tells (list_drive_by_filter). */
#define DUE_KEY "coalesce(due_date, '-infinity'::date)"
#define DUE_NOKEY "(coalesce(due_date, '-infinity'::date) + 0)"
static const char *const due_sql[2][N_DUE] = {
    {
        [DUE_FILTER_ANY] = "",
        [DUE_FILTER_OVERDUE] =
            " AND " DUE_NOKEY " > '-infinity'::date AND " DUE_NOKEY " < $6::date AND NOT completed",
        [DUE_FILTER_TODAY] = " AND (coalesce(due_date, '-infinity'::date) + 0) = $6::date",
        [DUE_FILTER_THIS_WEEK] =
            " AND (coalesce(due_date, '-infinity'::date) + 0) BETWEEN $7::date AND $8::date",
        [DUE_FILTER_UPCOMING] = " AND (coalesce(due_date, '-infinity'::date) + 0) > $6::date",
        [DUE_FILTER_NONE] = " AND (coalesce(due_date, '-infinity'::date) + 0) = '-infinity'::date",
    },
    {
        [DUE_FILTER_ANY] = "",
        [DUE_FILTER_OVERDUE] =
            " AND " DUE_KEY " > '-infinity'::date AND " DUE_KEY " < $6::date AND NOT completed",
        [DUE_FILTER_TODAY] = " AND coalesce(due_date, '-infinity'::date) = $6::date",
        [DUE_FILTER_THIS_WEEK] =
            " AND coalesce(due_date, '-infinity'::date) BETWEEN $7::date AND $8::date",
        [DUE_FILTER_UPCOMING] = " AND coalesce(due_date, '-infinity'::date) > $6::date",
        [DUE_FILTER_NONE] = " AND coalesce(due_date, '-infinity'::date) = '-infinity'::date",
    },
};

/* A sort's keys and id over the row, and the same over the cursor's
 * parameters: the index expressions of migration 0005, verbatim. */
typedef struct sort_key {
    const char *cols;
    const char *args;
} sort_key_t;

static const sort_key_t sort_keys[N_SORT][2] = {
    [SORT_CREATED_AT] = {{"created_at, id", "$11::timestamptz, $13::bigint"},
                         {"created_at, id", "$11::timestamptz, $13::bigint"}},
    [SORT_UPDATED_AT] = {{"updated_at, id", "$11::timestamptz, $13::bigint"},
                         {"updated_at, id", "$11::timestamptz, $13::bigint"}},
    [SORT_DUE_DATE] = {{"coalesce(due_date, 'infinity'::date), coalesce(due_time, "
                        "'24:00:00'::time), id",
                        "coalesce($11::date, 'infinity'::date), coalesce($12::time, "
                        "'24:00:00'::time), $13::bigint"},
                       {"coalesce(due_date, '-infinity'::date), coalesce(due_time - "
                        "'00:00:00'::time, '-1 second'::interval), id",
                        "coalesce($11::date, '-infinity'::date), coalesce($12::time - "
                        "'00:00:00'::time, '-1 second'::interval), $13::bigint"}},
    [SORT_PRIORITY] = {{"coalesce(priority, 4), id", "coalesce($11::smallint, 4), $13::bigint"},
                       {"coalesce(priority, 0), id", "coalesce($11::smallint, 0), $13::bigint"}},
    [SORT_TITLE] = {{"lower(title COLLATE \"C\"), id", "lower($11 COLLATE \"C\"), $13::bigint"},
                    {"lower(title COLLATE \"C\"), id", "lower($11 COLLATE \"C\"), $13::bigint"}},
    [SORT_COMPLETED] = {{"completed, id", "$11::boolean, $13::bigint"},
                        {"completed, id", "$11::boolean, $13::bigint"}},
};

static void append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    assert(*len + n < PG_SQL_BUF);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

/* " ORDER BY k1 DIR, k2 DIR, id DIR": each comma-separated key of cols. */
static void append_order(char *buf, size_t *len, const char *cols, bool desc)
{
    append(buf, len, " ORDER BY ");
    const char *dir = desc ? " DESC" : " ASC";
    int depth = 0;
    char one[2] = {0, 0};
    for (const char *p = cols; *p; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (*p == ',' && depth == 0)
            append(buf, len, dir);
        one[0] = *p;
        append(buf, len, one);
    }
    append(buf, len, dir);
}

const char *store__pg_list_sql(unsigned key, char *buf)
{
    assert(key >= PG_COUNT_KEY && key < PG_LIST_KEY + N_LIST);
    size_t len = 0;
    buf[0] = '\0';
    if (key == COUNTS_ROW_KEY) {
        append(buf, &len, "SELECT total, completed, version FROM task_counts WHERE user_id = $1");
        return buf;
    }
    unsigned where, shape = 0;
    bool count = key < PG_LIST_KEY;
    if (count) {
        where = key - COUNT_KEY;
    } else {
        shape = key - PG_LIST_KEY;
        where = shape / (N_SORT * 2 * 2);
    }
    /* The count and, in the same statement (one snapshot), the version of
     * the user's tasks it was counted at. */
    append(buf, &len,
           count ? "SELECT (SELECT version FROM task_counts WHERE user_id = $1), count(*)"
                 : "SELECT " PG_TASK_COLUMNS);
    append(buf, &len, " FROM tasks WHERE user_id = $1");
    unsigned bits = where / (N_SEARCH * N_DUE_WAYS);
    for (unsigned i = 0; i < 3; i++)
        if (bits & (1u << i))
            append(buf, &len, filter_sql[i]);
    append(buf, &len, search_sql[(where / N_DUE_WAYS) % N_SEARCH]);
    append(buf, &len, due_sql[(where % N_DUE_WAYS) / N_DUE][where % N_DUE]);
    if (!count) {
        bool cursor = shape % 2;
        bool desc = (shape / 2) % 2;
        const sort_key_t *k = &sort_keys[(shape / 4) % N_SORT][desc ? 1 : 0];
        if (cursor) {
            append(buf, &len, " AND (");
            append(buf, &len, k->cols);
            append(buf, &len, desc ? ") < (" : ") > (");
            append(buf, &len, k->args);
            append(buf, &len, ")");
        }
        append_order(buf, &len, k->cols, desc);
        append(buf, &len, cursor ? " LIMIT $9::bigint" : " LIMIT $9::bigint OFFSET $10::bigint");
    }
    return buf;
}

static bool given(const char *s)
{
    return s != NULL && *s != '\0'; /* an empty tag or search means no filter */
}

/* pg_trgm finds a needle by its trigrams: one with a run of three ASCII
 * letters or digits surely has one; any other is only tested row by row. */
static bool search_indexable(const char *s)
{
    int run = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        run = isalnum(*p) && *p < 0x80 ? run + 1 : 0;
        if (run >= 3)
            return true;
    }
    return false;
}

/* '%' || needle lower-cased (ASCII, as lower() in "C") and LIKE-escaped ||
 * '%'. */
static char *like_pattern(arena_t *arena, const char *needle)
{
    size_t n = strlen(needle);
    char *out = arena_alloc(arena, 2 * n + 3);
    char *p = out;
    *p++ = '%';
    for (size_t i = 0; i < n; i++) {
        char ch = needle[i];
        if (ch == '%' || ch == '_' || ch == '\\')
            *p++ = '\\';
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch | 0x20); /* ASCII lower case */
        *p++ = ch;
    }
    *p++ = '%';
    *p = '\0';
    return out;
}

/* ---- operations ------------------------------------------------------------------ */

typedef struct pg_list {
    store_worker_t *worker;
    store_task_query_t q; /* needs_count etc. read from here */
    char *cache_key;      /* malloc'd count cache key, or NULL */
    bool more;            /* a task follows the page */
    int counts_ix;        /* result index of the counts row */
    list_counts_row_t row;
} pg_list_t;

static void list_free(pg_req_t *r)
{
    free(r->list->cache_key);
    r->list->cache_key = NULL;
}

static void finish_list(pg_req_t *r, store_result_t *out)
{
    list_free(r);
    store__pg_finish(r, out);
}

static void finish_list_status(pg_req_t *r, int status)
{
    store_result_t out = {.status = (store_status_t)status};
    finish_list(r, &out);
}

static void done_list_count(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    pg_list_t *l = r->list;
    store_result_t out = {.status = (store_status_t)op->status};
    if (out.status == STORE_OK) {
        const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
        pg_row_t row = {.res = res, .arena = r->arena};
        bool versioned = res != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
        if (res != NULL && PQntuples(res) == 1)
            out.total = pg_row_int(&row, 1);
        if (res == NULL || PQntuples(res) != 1 || row.bad) {
            out.status = STORE_ERROR;
        } else {
            if (versioned) {
                list_count_put(store__pg_worker_counts(l->worker), l->cache_key,
                               pg_row_int(&row, 0), out.total, l->row.total);
                l->cache_key = NULL;
            }
            out.tasks = r->tasks;
            out.n_tasks = r->n_tasks;
            out.more = l->more;
        }
    }
    finish_list(r, &out);
}

static int send_count(pg_op_t *op, pg_conn_t *c)
{
    pg_req_t *r = (pg_req_t *)op;
    return store__pg_send_statement(r, c, r->count_key);
}

/* The counts row's result into l->row; false when it is not one. */
static bool read_counts_row(pg_req_t *r)
{
    pg_list_t *l = r->list;
    const PGresult *res = r->op.res[l->counts_ix];
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        LOG_ERROR("postgresql: unexpected result of the task counts");
        return false;
    }
    memset(&l->row, 0, sizeof(l->row));
    if (PQntuples(res) == 0)
        return true;
    pg_row_t row = {.res = res, .arena = r->arena};
    l->row.exists = true;
    l->row.total = pg_row_int(&row, 0);
    l->row.completed = pg_row_int(&row, 1);
    l->row.version = pg_row_int(&row, 2);
    return !row.bad;
}

static void done_list_page(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    pg_list_t *l = r->list;
    if (op->status != STORE_OK) {
        finish_list_status(r, op->status);
        return;
    }
    const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
    if (res == NULL || !read_counts_row(r)) {
        finish_list_status(r, STORE_ERROR);
        return;
    }
    size_t n = (size_t)PQntuples(res);
    bool more = (int64_t)n > r->limit;
    if (more)
        n = (size_t)r->limit;
    r->tasks = arena_alloc(r->arena, (n ? n : 1) * sizeof(*r->tasks));
    r->n_tasks = n;
    for (size_t i = 0; i < n; i++) {
        if (!store__pg_read_task(res, (int)i, r->arena, r->owner, &r->tasks[i])) {
            finish_list_status(r, STORE_ERROR);
            return;
        }
    }
    store_result_t out = {.status = STORE_OK, .tasks = r->tasks, .n_tasks = n, .more = more};
    if (!list_needs_count(&l->q)) {
        out.total = list_total_from_row(&l->q, &l->row);
        finish_list(r, &out);
        return;
    }
    /* A short page that is not past the end tells the total by itself. */
    if (!more && l->q.after == NULL && (n > 0 || r->offset == 0)) {
        out.total = r->offset + (int64_t)n;
        finish_list(r, &out);
        return;
    }
    if (!l->row.exists) {
        finish_list(r, &out);
        return;
    }
    if (l->cache_key == NULL)
        l->cache_key = list_count_key(r->owner, &l->q);
    if (list_count_get(store__pg_worker_counts(l->worker), l->cache_key, l->row.version,
                       &out.total)) {
        finish_list(r, &out);
        return;
    }
    l->more = more;
    op->send = send_count;
    op->done = done_list_count;
    pg_op_submit(op);
}

/* The first batch: the user's counts row, then the page. */
static int send_page(pg_op_t *op, pg_conn_t *c)
{
    pg_req_t *r = (pg_req_t *)op;
    if (store__pg_send_statement(r, c, COUNTS_ROW_KEY) < 0)
        return -1;
    r->list->counts_ix = r->ix;
    return store__pg_send_statement(r, c, r->key);
}

/* The cursor's sort key values ($11, $12) and id ($13). */
static void keep_cursor(pg_req_t *r, task_sort_t sort, const store_task_t *after)
{
    switch (sort) {
    case SORT_CREATED_AT:
        store__pg_keep(r, 11, after->created_at);
        break;
    case SORT_UPDATED_AT:
        store__pg_keep(r, 11, after->updated_at);
        break;
    case SORT_DUE_DATE:
        store__pg_keep(r, 11, after->due_date);
        store__pg_keep(r, 12, after->due_time);
        break;
    case SORT_PRIORITY:
        if (after->priority != PRIORITY_NONE)
            store__pg_keep_int(r, 11, (int64_t)after->priority);
        break;
    case SORT_TITLE:
        store__pg_keep(r, 11, after->title);
        break;
    case SORT_COMPLETED:
        store__pg_keep(r, 11, after->completed ? "true" : "false");
        break;
    }
    store__pg_keep_int(r, 13, after->id);
}

/* The WHERE shape of q. indexed: let the filters' indexes (trigram, due
 * date range) find the rows. */
static unsigned where_of(const store_task_query_t *q, bool indexed)
{
    unsigned bits = 0, search = SEARCH_NONE;
    if (q->completed >= 0)
        bits |= HAS_COMPLETED;
    if (q->priority != PRIORITY_NONE)
        bits |= HAS_PRIORITY;
    if (given(q->tag))
        bits |= HAS_TAG;
    if (given(q->search))
        search = indexed && search_indexable(q->search) ? SEARCH_TRGM : SEARCH_EXACT;
    return (bits * N_SEARCH + search) * N_DUE_WAYS + (indexed ? N_DUE : 0u) +
           (unsigned)q->due_filter;
}

/* Keeps the filter parameters every shape of q may use. */
static void keep_filters(pg_req_t *r, const store_task_query_t *q, arena_t *arena)
{
    if (q->completed >= 0)
        store__pg_keep(r, 2, q->completed ? "true" : "false");
    if (q->priority != PRIORITY_NONE)
        store__pg_keep_int(r, 3, (int64_t)q->priority);
    if (given(q->tag))
        store__pg_keep(r, 4, q->tag);
    if (given(q->search)) {
        store__pg_keep(r, 5, q->search);
        store__pg_keep(r, 14, like_pattern(arena, q->search));
    }
    switch (q->due_filter) {
    case DUE_FILTER_OVERDUE:
    case DUE_FILTER_TODAY:
    case DUE_FILTER_UPCOMING:
        store__pg_keep(r, 6, q->today);
        break;
    case DUE_FILTER_THIS_WEEK:
        store__pg_keep(r, 7, q->week_start);
        store__pg_keep(r, 8, q->week_end);
        break;
    case DUE_FILTER_ANY:
    case DUE_FILTER_NONE:
        break;
    }
}

void store__pg_task_list(store_worker_t *w, arena_t *arena, const char *user_id,
                         const store_task_query_t *q, store_cb cb, void *ctx)
{
    assert(q->due_filter >= DUE_FILTER_ANY && q->due_filter <= DUE_FILTER_NONE);
    assert(q->sort_by >= SORT_CREATED_AT && q->sort_by <= SORT_COMPLETED);
    assert(q->limit >= 1 && q->offset >= 0);
    if (given(q->tag) && strchr(q->tag, ',') != NULL) {
        /* No tag holds a comma; the strpos() test would match a run of tags. */
        store_result_t none = {.status = STORE_OK};
        cb(ctx, &none);
        return;
    }
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    pg_list_t *l = arena_calloc(arena, 1, sizeof(*l));
    l->worker = w;
    l->q = *q;
    r->list = l;
    store__pg_keep(r, 1, user_id);
    bool cursor = q->after != NULL;
    /* How the rows are found: by the filters' indexes unless the last count
     * of this query says they match too many (sorting by due date, its
     * index is the filter's too). */
    bool indexed = true;
    int64_t seen_total, seen_user_total;
    if (list_needs_count(q) && q->sort_by != SORT_DUE_DATE) {
        l->cache_key = list_count_key(user_id, q);
        if (list_count_peek(store__pg_worker_counts(w), l->cache_key, &seen_total,
                            &seen_user_total))
            indexed = list_drive_by_filter(seen_total, seen_user_total,
                                           q->limit + (cursor ? 0 : q->offset));
    }
    keep_filters(r, q, arena);
    unsigned where = where_of(q, indexed);
    store__pg_keep_int(r, 9, q->limit + 1);
    if (cursor)
        keep_cursor(r, q->sort_by, q->after);
    else
        store__pg_keep_int(r, 10, q->offset);
    r->limit = q->limit;
    r->offset = cursor ? 0 : q->offset;
    r->owner = arena_strdup(arena, user_id);
    r->count_key = COUNT_KEY + where_of(q, true); /* counting reads every match */
    r->key = PG_LIST_KEY +
             ((where * N_SORT + (unsigned)q->sort_by) * 2 + (q->descending ? 1u : 0u)) * 2 +
             (cursor ? 1u : 0u);
    r->op.send = send_page;
    r->op.done = done_list_page;
    pg_op_submit(&r->op);
}
