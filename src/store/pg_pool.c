/* The PostgreSQL connection pool of one worker: operations and the libpq
 * pipeline on the worker's h2o event loop (see pg_conn.h); connecting and
 * reconnecting are in pg_conn.c.
 *
 * Each connection carries a FIFO of sent batches, each closed by a pipeline
 * sync; results are matched to them in order. Read-only and single-statement
 * operations share connections; one that opens a transaction owns its
 * connection until the batch that ends it has been sent.
 *
 * Callbacks: results are collected while reading; finished operations go on
 * a done list that pg__pool_settle() drains at the end of every entry point
 * (socket events, timers, submit), so that an operation's done function may
 * submit, continue or fail anything without disturbing a loop in progress. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg_internal.h"

static const uint64_t backoff_ms[N_BACKOFF] = {100, 200, 400, 800, 1600, 3200, 5000};

static void on_conn_writable(h2o_socket_t *sock, const char *err);

/* ---- operations ---------------------------------------------------------- */

static void op_clear_results(pg_op_t *op)
{
    for (int i = 0; i < PG_OP_MAX_CMDS; i++) {
        if (op->res[i] != NULL) {
            PQclear(op->res[i]);
            op->res[i] = NULL;
        }
    }
}

/* Ends the current batch: status, off every list, onto the done list. */
void pg__op_finish(pg_op_t *op, int status)
{
    pg_pool_t *p = op->pool;
    if (status != STORE_OK)
        op->status = status;
    if (h2o_timeout_is_linked(&op->timer))
        h2o_timeout_unlink(&op->timer);
    if (op->where == OP_WAITING) {
        pg_queue_remove(&p->waiting, op);
        p->n_waiting--;
    }
    assert(op->where == OP_NOWHERE || op->where == OP_WAITING);
    op->where = OP_DONE;
    pg_queue_push(&p->done, op);
}

static void on_op_timeout(h2o_timeout_entry_t *entry)
{
    pg_op_t *op = H2O_STRUCT_FROM_MEMBER(pg_op_t, timer, entry);
    pg_pool_t *p = op->pool;
    if (op->where == OP_WAITING) {
        LOG_WARN("postgresql: no connection free for %d ms; request failed", p->timeout_ms);
        pg__op_finish(op, STORE_UNAVAILABLE);
    } else if (op->where == OP_SENT && op->conn != NULL) {
        LOG_WARN("postgresql: no answer within %d ms; resetting the connection", p->timeout_ms);
        pg__conn_fail(op->conn, NULL);
    }
    pg__pool_settle(p);
}

pg_op_t *pg_op_new(pg_pool_t *p)
{
    pg_op_t *op = p->free_ops;
    char *buf = NULL;
    size_t cap = 0;
    if (op != NULL) {
        p->free_ops = op->next_free;
        p->n_free--;
        buf = op->buf;
        cap = op->buf_cap;
    } else {
        op = xmalloc(p->op_size);
    }
    memset(op, 0, p->op_size);
    op->buf = buf;
    op->buf_cap = cap;
    op->pool = p;
    op->timer.cb = on_op_timeout;
    return op;
}

long pg_op_keep(pg_op_t *op, const char *s)
{
    if (s == NULL)
        return -1;
    size_t n = strlen(s) + 1;
    if (op->buf == NULL || op->buf_cap - op->buf_len < n) {
        size_t cap = op->buf_cap ? op->buf_cap : 256;
        while (cap - op->buf_len < n)
            cap *= 2;
        op->buf = xrealloc(op->buf, cap);
        op->buf_cap = cap;
    }
    long h = (long)op->buf_len;
    memcpy(op->buf + op->buf_len, s, n);
    op->buf_len += n;
    return h;
}

const char *pg_op_str(const pg_op_t *op, long h)
{
    return h < 0 ? NULL : op->buf + h;
}

static void op_release(pg_op_t *op)
{
    pg_pool_t *p = op->pool;
    assert(op->where == OP_NOWHERE);
    assert(!h2o_timeout_is_linked(&op->timer));
    op_clear_results(op);
    if (p->n_free >= FREE_OPS_MAX || op->buf_cap > BUF_KEEP_MAX) {
        free(op->buf);
        free(op);
        return;
    }
    op->buf_len = 0;
    op->next_free = p->free_ops;
    p->free_ops = op;
    p->n_free++;
}

void pg_op_free(pg_op_t *op)
{
    if (op == NULL)
        return;
    pg_op_rollback(op);
    op_release(op);
}

/* ---- sending ------------------------------------------------------------- */

bool pg_conn_need_prepare(pg_conn_t *c, unsigned key)
{
    assert(key < PREP_KEYS);
    unsigned char bit = (unsigned char)(1u << (key % 8));
    if (c->prepared[key / 8] & bit)
        return false;
    c->prepared[key / 8] |= bit;
    return true;
}

static void forget_prepared(pg_conn_t *c, unsigned key)
{
    c->prepared[key / 8] &= (unsigned char)~(1u << (key % 8));
}

int pg_conn_send_prepare(pg_conn_t *c, pg_op_t *op, unsigned key, const char *sql, int nparams)
{
    enum { TEXT_OID = 25, MAX_PARAMS = 64 };
    Oid text_types[MAX_PARAMS];
    char name[16];
    assert(op->n_cmds < PG_OP_MAX_CMDS && nparams <= MAX_PARAMS);
    for (int i = 0; i < nparams; i++)
        text_types[i] = TEXT_OID;
    snprintf(name, sizeof(name), "s%u", key);
    /* Every parameter is text (the SQL casts): then a statement may leave
     * some unused, and one numbering serves every shape of a query. */
    if (!PQsendPrepare(c->pg, name, sql, nparams, text_types))
        return -1;
    op->prep_key[op->n_cmds++] = (int)key;
    return 0;
}

int pg_conn_send_prepared(pg_conn_t *c, pg_op_t *op, unsigned key, int nparams,
                          const char *const *values)
{
    char name[16];
    assert(op->n_cmds < PG_OP_MAX_CMDS);
    snprintf(name, sizeof(name), "s%u", key);
    if (!PQsendQueryPrepared(c->pg, name, nparams, values, NULL, NULL, 1))
        return -1;
    op->prep_key[op->n_cmds++] = -1;
    return 0;
}

int pg_conn_send_sql(pg_conn_t *c, pg_op_t *op, const char *sql)
{
    assert(op->n_cmds < PG_OP_MAX_CMDS);
    if (!PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0))
        return -1;
    op->prep_key[op->n_cmds++] = -1;
    return 0;
}

/* Pushes libpq's output buffer out, or waits until the socket takes more. */
static void conn_flush(pg_conn_t *c)
{
    if (c->want_write)
        return;
    int r = PQflush(c->pg);
    if (r < 0) {
        pg__conn_fail(c, PQerrorMessage(c->pg));
    } else if (r > 0) {
        c->want_write = true;
        h2o_socket_notify_write(c->sock, on_conn_writable);
    }
}

/* Sends op's current batch and a sync on c. Returns -1 when libpq refused
 * (the caller fails the connection: part of the batch may be queued). */
static int send_batch(pg_op_t *op, pg_conn_t *c)
{
    pg_pool_t *p = c->pool;
    op_clear_results(op);
    op->n_cmds = 0;
    op->n_done = 0;
    op->got_result = false;
    op->status = STORE_OK;
    op->sqlstate[0] = '\0';
    for (int i = 0; i < PG_OP_MAX_CMDS; i++)
        op->prep_key[i] = -1;
    if (op->send(op, c) != 0 || op->n_cmds == 0 || PQpipelineSync(c->pg) != 1)
        return -1;
    op->conn = c;
    op->where = OP_SENT;
    pg_queue_push(&c->fifo, op);
    c->depth++;
    h2o_timeout_link(p->loop, &p->t_query, &op->timer);
    return 0;
}

/* Sends op on c, failing both when libpq refuses. Returns 0 if sent. */
static int send_or_fail(pg_op_t *op, pg_conn_t *c)
{
    if (send_batch(op, c) == 0)
        return 0;
    pg__conn_fail(c, PQerrorMessage(c->pg));
    op->conn = NULL;
    pg__op_finish(op, STORE_UNAVAILABLE);
    return -1;
}

static int send_kept_sql(pg_op_t *op, pg_conn_t *c)
{
    return pg_conn_send_sql(c, op, pg_op_str(op, 0));
}

void pg__conn_send_background(pg_conn_t *c, const char *sql)
{
    pg_op_t *op = pg_op_new(c->pool);
    op->send = send_kept_sql;
    op->discard = true;
    pg_op_keep(op, sql); /* handle 0 */
    if (send_or_fail(op, c) == 0)
        conn_flush(c);
}

/* The connection that takes the next batch: up, in nobody's transaction,
 * least busy. */
static pg_conn_t *pick_conn(pg_pool_t *p)
{
    pg_conn_t *best = NULL;
    for (int i = 0; i < p->size; i++) {
        pg_conn_t *c = &p->conns[i];
        if (c->state != CONN_READY || c->owner != NULL || c->depth >= MAX_DEPTH)
            continue;
        if (best == NULL || c->depth < best->depth)
            best = c;
    }
    return best;
}

static void dispatch(pg_op_t *op, pg_conn_t *c)
{
    if (send_or_fail(op, c) != 0)
        return;
    if (op->flags & PG_OP_TXN)
        c->owner = op;
    conn_flush(c);
}

void pg__fail_waiting(pg_pool_t *p)
{
    while (p->waiting.head != NULL)
        pg__op_finish(p->waiting.head, STORE_UNAVAILABLE);
}

/* Hands waiting operations to connections that can take them. */
static bool dispatch_waiting(pg_pool_t *p)
{
    bool progress = false;
    while (p->waiting.head != NULL) {
        pg_conn_t *c = pick_conn(p);
        if (c == NULL)
            break;
        pg_op_t *op = p->waiting.head;
        pg_queue_remove(&p->waiting, op);
        p->n_waiting--;
        h2o_timeout_unlink(&op->timer);
        op->where = OP_NOWHERE;
        dispatch(op, c);
        progress = true;
    }
    return progress;
}

void pg_op_submit(pg_op_t *op)
{
    pg_pool_t *p = op->pool;
    assert(op->send != NULL && op->done != NULL);
    pg_conn_t *c = NULL;
    if (pg__pool_is_down(p) && !pg__pool_retry_now(p)) {
        pg__op_finish(op, STORE_UNAVAILABLE);
        pg__pool_settle(p);
        return;
    }
    pg__pool_grow(p);
    if (p->waiting.head == NULL && (c = pick_conn(p)) != NULL) {
        dispatch(op, c);
    } else {
        op->where = OP_WAITING;
        pg_queue_push(&p->waiting, op);
        p->n_waiting++;
        h2o_timeout_link(p->loop, &p->t_query, &op->timer);
    }
    pg__pool_settle(p);
}

void pg_op_continue(pg_op_t *op, bool closes_txn)
{
    pg_pool_t *p = op->pool;
    pg_conn_t *c = op->conn;
    assert(op->where == OP_NOWHERE);
    if (c == NULL || c->state != CONN_READY || c->owner != op) {
        op->conn = NULL;
        op_clear_results(op);
        op->status = STORE_UNAVAILABLE;
        pg__op_finish(op, STORE_UNAVAILABLE);
    } else if (send_or_fail(op, c) == 0) {
        if (closes_txn) {
            /* Whatever the batch does (an error leaves the transaction block
             * open and aborted), this ROLLBACK closes it before anyone
             * else's command: outside a transaction it only warns. */
            c->owner = NULL;
            pg__conn_send_background(c, "ROLLBACK");
        }
        if (c->state == CONN_READY)
            conn_flush(c);
    }
    pg__pool_settle(p);
}

void pg_op_rollback(pg_op_t *op)
{
    pg_conn_t *c = op->conn;
    if (c == NULL || c->owner != op)
        return;
    c->owner = NULL;
    op->conn = NULL;
    if (c->state == CONN_READY)
        pg__conn_send_background(c, "ROLLBACK");
}

/* ---- receiving ----------------------------------------------------------- */

static void record_error(pg_op_t *op, pg_conn_t *c, PGresult *r)
{
    const char *ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int k = op->prep_key[op->n_done];
    if (k >= 0)
        forget_prepared(c, (unsigned)k);
    if (op->status != STORE_OK)
        return;
    op->status = pg_status_from_sqlstate(ss, PQstatus(c->pg) == CONNECTION_BAD);
    snprintf(op->sqlstate, sizeof(op->sqlstate), "%s", ss ? ss : "");
    if (op->status == STORE_ERROR) {
        /* The primary message only: details may quote row values. */
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        LOG_ERROR("postgresql: %s (SQLSTATE %s)", msg ? msg : "error", op->sqlstate);
    }
}

/* Reads every complete result libpq holds for c. Returns the number of
 * batches completed. */
static int conn_process(pg_conn_t *c)
{
    int completed = 0;
    pg_op_t *op;
    while (c->state == CONN_READY && (op = c->fifo.head) != NULL) {
        if (PQisBusy(c->pg))
            break;
        if (op->n_done < op->n_cmds) {
            if (op->got_result) {
                PGresult *r = PQgetResult(c->pg);
                if (r == NULL) { /* end of this command's results */
                    op->n_done++;
                    op->got_result = false;
                    continue;
                }
                PQclear(r); /* a second result for one command: not ours */
                pg__conn_fail(c, "unexpected extra result in the pipeline");
                break;
            }
            PGresult *r = PQgetResult(c->pg);
            if (r == NULL)
                break; /* nothing yet */
            ExecStatusType st = PQresultStatus(r);
            if (st == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                pg__conn_fail(c, "pipeline out of step");
                break;
            }
            op->got_result = true;
            if (st == PGRES_FATAL_ERROR) {
                record_error(op, c, r);
                PQclear(r);
            } else if (st == PGRES_PIPELINE_ABORTED) {
                if (op->status == STORE_OK)
                    op->status = STORE_ERROR;
                PQclear(r);
            } else {
                op->res[op->n_done] = r;
            }
            continue;
        }
        PGresult *r = PQgetResult(c->pg);
        if (r == NULL)
            break;
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st != PGRES_PIPELINE_SYNC) {
            pg__conn_fail(c, "pipeline out of step");
            break;
        }
        pg_queue_remove(&c->fifo, op);
        c->depth--;
        if (c->owner != op)
            op->conn = NULL;
        op->where = OP_NOWHERE;
        pg__op_finish(op, op->status);
        completed++;
    }
    return completed;
}

void pg__on_conn_readable(h2o_socket_t *sock, const char *err)
{
    pg_conn_t *c = sock->data;
    pg_pool_t *p = c->pool;
    if (err != NULL || !PQconsumeInput(c->pg)) {
        pg__conn_fail(c, PQerrorMessage(c->pg));
    } else {
        conn_process(c);
        if (c->state == CONN_READY && PQstatus(c->pg) == CONNECTION_BAD)
            pg__conn_fail(c, PQerrorMessage(c->pg));
    }
    pg__pool_settle(p);
}

static void on_conn_writable(h2o_socket_t *sock, const char *err)
{
    pg_conn_t *c = sock->data;
    pg_pool_t *p = c->pool;
    c->want_write = false;
    if (err != NULL) {
        pg__conn_fail(c, err);
    } else {
        conn_flush(c);
        if (c->state == CONN_READY)
            conn_process(c); /* PQflush may have read input */
    }
    pg__pool_settle(p);
}

/* Runs due done functions, drains results and the waiting queue, until
 * nothing moves. Reentrant calls return at once. */
void pg__pool_settle(pg_pool_t *p)
{
    if (p->settling)
        return;
    p->settling = true;
    for (;;) {
        bool progress = false;
        for (int i = 0; i < p->size; i++) {
            pg_conn_t *c = &p->conns[i];
            if (c->state == CONN_READY && c->depth > 0 && conn_process(c) > 0)
                progress = true;
        }
        if (dispatch_waiting(p))
            progress = true;
        if (p->waiting.head != NULL)
            pg__pool_grow(p); /* more work than the open connections take */
        /* The batches done so far; those their done functions finish go
         * round again. */
        pg_op_t *next = p->done.head;
        p->done.head = p->done.tail = NULL;
        while (next != NULL) {
            pg_op_t *op = next;
            next = op->q_next;
            op->q_prev = op->q_next = NULL;
            op->where = OP_NOWHERE;
            if (op->discard)
                op_release(op);
            else
                op->done(op);
            progress = true;
        }
        if (!progress)
            break;
    }
    p->settling = false;
}

/* ---- pool ---------------------------------------------------------------- */

pg_pool_t *pg_pool_new(h2o_loop_t *loop, const char *conninfo, pg_shared_t *shared, int size,
                       int timeout_ms, size_t op_size)
{
    assert(op_size >= sizeof(pg_op_t));
    pg_pool_t *p = xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->shared = shared;
    p->conninfo = xstrdup(conninfo);
    pg_describe_target(conninfo, p->target, sizeof(p->target));
    p->size = size > 0 ? size : 1;
    p->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    p->op_size = op_size;
    h2o_timeout_init(loop, &p->t_query, (uint64_t)p->timeout_ms);
    for (int i = 0; i < N_BACKOFF; i++)
        h2o_timeout_init(loop, &p->t_backoff[i], backoff_ms[i]);
    p->conns = xcalloc((size_t)p->size, sizeof(*p->conns));
    for (int i = 0; i < p->size; i++) {
        pg_conn_t *c = &p->conns[i];
        c->pool = p;
    }
    for (int i = 0; i < p->size; i++)
        pg__conn_start(&p->conns[i]);
    pg__pool_settle(p);
    return p;
}

void pg_pool_free(pg_pool_t *p)
{
    if (p == NULL)
        return;
    p->closing = true;
    for (int i = 0; i < p->size; i++) {
        pg_conn_t *c = &p->conns[i];
        if (c->state == CONN_READY)
            pg__conn_fail(c, NULL);
        pg__conn_close(c);
    }
    pg__fail_waiting(p);
    pg__pool_settle(p);
    assert(p->waiting.head == NULL && p->done.head == NULL);
    while (p->free_ops != NULL) {
        pg_op_t *op = p->free_ops;
        p->free_ops = op->next_free;
        free(op->buf);
        free(op);
    }
    h2o_timeout_dispose(p->loop, &p->t_query);
    for (int i = 0; i < N_BACKOFF; i++)
        h2o_timeout_dispose(p->loop, &p->t_backoff[i]);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

void pg_pool_stats(const pg_pool_t *p, store_pool_stats_t *out)
{
    int in_use = 0;
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].depth > 0 || p->conns[i].owner != NULL)
            in_use++;
    out->size = p->size;
    out->in_use = in_use;
    out->waiting = p->n_waiting;
    out->connected = p->n_ready > 0;
}
