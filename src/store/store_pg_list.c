/* The PostgreSQL list query: its WHERE and ORDER BY depend on which filters
 * are given and on the sort, so, like the SQLite backend's, the SQL is
 * assembled from fixed fragments chosen by the query's presence bits and
 * enums (never from its values, which are only ever bound), and each shape
 * is a statement prepared once per connection, on first use. Parameters
 * keep fixed numbers whatever the shape (all are declared text): $1 user_id,
 * $2 completed, $3 priority, $4 tag, $5 search, $6 today, $7 week_start,
 * $8 week_end, $9 limit, $10 offset. Matching and ordering of text use the
 * "C" collation, as SQLite does: ASCII case folding, byte order. */
#include <assert.h>
#include <string.h>

#include "store/store_pg.h"

enum { N_DUE = 6, N_SORT = 6, N_WHERE = 16 * N_DUE };
enum { HAS_COMPLETED = 1, HAS_PRIORITY = 2, HAS_TAG = 4, HAS_SEARCH = 8 };
_Static_assert((int)PG_LIST_KEY == (int)PG_COUNT_KEY + (int)N_WHERE,
               "statement keys of store_pg.h");

static const char *const filter_sql[4] = {
    " AND completed = $2::boolean",
    " AND priority = $3::smallint",
    " AND strpos(',' || lower(tags COLLATE \"C\") || ',', ',' || lower($4 COLLATE \"C\") || ',') > "
    "0",
    " AND (strpos(lower(title COLLATE \"C\"), lower($5 COLLATE \"C\")) > 0"
    " OR strpos(lower(coalesce(description, '') COLLATE \"C\"), lower($5 COLLATE \"C\")) > 0)",
};

static const char *const due_sql[N_DUE] = {
    [DUE_FILTER_ANY] = "",
    [DUE_FILTER_OVERDUE] = " AND due_date < $6::date AND NOT completed",
    [DUE_FILTER_TODAY] = " AND due_date = $6::date",
    [DUE_FILTER_THIS_WEEK] = " AND due_date BETWEEN $7::date AND $8::date",
    [DUE_FILTER_UPCOMING] = " AND due_date > $6::date",
    [DUE_FILTER_NONE] = " AND due_date IS NULL",
};

static const char *const order_sql[N_SORT][2] = {
    [SORT_CREATED_AT] = {" ORDER BY created_at ASC, id ASC", " ORDER BY created_at DESC, id DESC"},
    [SORT_UPDATED_AT] = {" ORDER BY updated_at ASC, id ASC", " ORDER BY updated_at DESC, id DESC"},
    [SORT_DUE_DATE] = {" ORDER BY due_date ASC NULLS LAST, due_time ASC NULLS LAST, id ASC",
                       " ORDER BY due_date DESC NULLS LAST, due_time DESC NULLS LAST, id DESC"},
    [SORT_PRIORITY] = {" ORDER BY priority ASC NULLS LAST, id ASC",
                       " ORDER BY priority DESC NULLS LAST, id DESC"},
    [SORT_TITLE] = {" ORDER BY lower(title COLLATE \"C\") ASC, id ASC",
                    " ORDER BY lower(title COLLATE \"C\") DESC, id DESC"},
    [SORT_COMPLETED] = {" ORDER BY completed ASC, id ASC", " ORDER BY completed DESC, id DESC"},
};

static void append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    assert(*len + n < PG_SQL_BUF);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

const char *store__pg_list_sql(unsigned key, char *buf)
{
    assert(key >= PG_COUNT_KEY && key < PG_LIST_KEY + N_WHERE * N_SORT * 2);
    size_t len = 0;
    unsigned where, shape = 0;
    bool count = key < PG_LIST_KEY;
    if (count) {
        where = key - PG_COUNT_KEY;
    } else {
        shape = key - PG_LIST_KEY;
        where = shape / (N_SORT * 2);
    }
    buf[0] = '\0';
    append(buf, &len, count ? "SELECT count(*)" : "SELECT " PG_TASK_COLUMNS);
    append(buf, &len, " FROM tasks WHERE user_id = $1");
    for (unsigned i = 0; i < 4; i++)
        if ((where / N_DUE) & (1u << i))
            append(buf, &len, filter_sql[i]);
    append(buf, &len, due_sql[where % N_DUE]);
    if (!count) {
        append(buf, &len, order_sql[(shape / 2) % N_SORT][shape % 2]);
        append(buf, &len, " LIMIT $9::bigint OFFSET $10::bigint");
    }
    return buf;
}

static bool given(const char *s)
{
    return s != NULL && *s != '\0'; /* an empty tag or search means no filter */
}

/* ---- operations ------------------------------------------------------------------ */

static void done_list_count(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    store_result_t out = {.status = (store_status_t)op->status};
    if (out.status == STORE_OK) {
        const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
        pg_row_t row = {.res = res, .arena = r->arena};
        if (res != NULL && PQntuples(res) == 1)
            out.total = pg_row_int(&row, 0);
        if (res == NULL || PQntuples(res) != 1 || row.bad) {
            out.status = STORE_ERROR;
        } else {
            out.tasks = r->tasks;
            out.n_tasks = r->n_tasks;
        }
    }
    store__pg_finish(r, &out);
}

static int send_count(pg_op_t *op, pg_conn_t *c)
{
    pg_req_t *r = (pg_req_t *)op;
    return store__pg_send_statement(r, c, r->count_key);
}

static void done_list_page(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    if (op->status != STORE_OK) {
        store__pg_finish_status(r, op->status);
        return;
    }
    const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
    if (res == NULL) {
        store__pg_finish_status(r, STORE_ERROR);
        return;
    }
    size_t n = (size_t)PQntuples(res);
    r->tasks = arena_alloc(r->arena, (n ? n : 1) * sizeof(*r->tasks));
    r->n_tasks = n;
    for (size_t i = 0; i < n; i++) {
        if (!store__pg_read_task(res, (int)i, r->arena, r->owner, &r->tasks[i])) {
            store__pg_finish_status(r, STORE_ERROR);
            return;
        }
    }
    /* A short page that is not past the end tells the total by itself. */
    if ((int64_t)n < r->limit && (n > 0 || r->offset == 0)) {
        store_result_t out = {
            .status = STORE_OK, .tasks = r->tasks, .n_tasks = n, .total = r->offset + (int64_t)n};
        store__pg_finish(r, &out);
        return;
    }
    op->send = send_count;
    op->done = done_list_count;
    pg_op_submit(op);
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
    unsigned bits = 0;
    store__pg_keep(r, 1, user_id);
    if (q->completed >= 0) {
        bits |= HAS_COMPLETED;
        store__pg_keep(r, 2, q->completed ? "true" : "false");
    }
    if (q->priority != PRIORITY_NONE) {
        bits |= HAS_PRIORITY;
        store__pg_keep_int(r, 3, (int64_t)q->priority);
    }
    if (given(q->tag)) {
        bits |= HAS_TAG;
        store__pg_keep(r, 4, q->tag);
    }
    if (given(q->search)) {
        bits |= HAS_SEARCH;
        store__pg_keep(r, 5, q->search);
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
    store__pg_keep_int(r, 9, q->limit);
    store__pg_keep_int(r, 10, q->offset);
    r->limit = q->limit;
    r->offset = q->offset;
    r->owner = arena_strdup(arena, user_id);
    unsigned where = bits * N_DUE + (unsigned)q->due_filter;
    r->count_key = PG_COUNT_KEY + where;
    store__pg_start(
        r, PG_LIST_KEY + (where * N_SORT + (unsigned)q->sort_by) * 2 + (q->descending ? 1u : 0u),
        done_list_page);
}
