/* Connecting, failing and reconnecting the connections of a worker's
 * PostgreSQL pool (pg_pool.c holds the operations and the pipeline).
 *
 * Sockets: h2o watches a dup() of PQsocket(), never libpq's own descriptor.
 * Closing the h2o wrapper closes only the duplicate, PQfinish closes libpq's,
 * so nothing is closed twice whatever the order, and a socket that libpq
 * replaces while connecting (another address, SSL then plain) is simply
 * wrapped afresh at each step of PQconnectPoll.
 *
 * Reconnecting: a connection lost with work on it, or an attempt that fails,
 * is retried with exponential backoff, and while no connection is up after
 * such a failure new operations fail at once. A connection the server closes
 * while idle (an idle timeout, a pooler, a serverless database suspending)
 * is reopened only when work needs it, so an idle server lets the database
 * sleep, and the next request waits for a fresh connection instead of
 * failing. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/pg_internal.h"

/* Nothing is up or on its way, after a failure: answer STORE_UNAVAILABLE. */
bool pg__pool_is_down(const pg_pool_t *p)
{
    return p->closing || (p->n_ready == 0 && p->n_connecting == 0 && p->unreachable);
}

/* Down after a failure, but another pool has connected since: tries again
 * now rather than at the end of the backoff. Returns true if it did. */
bool pg__pool_retry_now(pg_pool_t *p)
{
    unsigned long seen = atomic_load(&p->shared->connects);
    if (p->closing || seen == p->down_seen)
        return false;
    p->down_seen = seen;
    for (int i = 0; i < p->size; i++) {
        pg_conn_t *c = &p->conns[i];
        if (c->state == CONN_DOWN) {
            if (h2o_timeout_is_linked(&c->retry))
                h2o_timeout_unlink(&c->retry);
            pg__conn_start(c);
            return c->state == CONN_CONNECTING;
        }
    }
    return false;
}

/* Opens one more connection when work could use it: none is up or coming,
 * or every open one is busy. Prefers a connection closed while idle. */
void pg__pool_grow(pg_pool_t *p)
{
    if (p->closing || p->n_connecting > 0 || p->n_ready == p->size)
        return;
    for (int i = 0; i < p->size; i++) {
        const pg_conn_t *c = &p->conns[i];
        if (c->state == CONN_READY && c->depth == 0 && c->owner == NULL)
            return; /* an idle one is up */
    }
    pg_conn_t *idle = NULL, *waiting = NULL;
    for (int i = 0; i < p->size; i++) {
        pg_conn_t *c = &p->conns[i];
        if (c->state != CONN_DOWN)
            continue;
        if (!h2o_timeout_is_linked(&c->retry)) {
            idle = c;
            break;
        }
        if (waiting == NULL)
            waiting = c;
    }
    if (idle == NULL && (waiting == NULL || p->unreachable))
        return; /* after a failure, the backoff decides */
    pg_conn_t *c = idle != NULL ? idle : waiting;
    if (h2o_timeout_is_linked(&c->retry))
        h2o_timeout_unlink(&c->retry);
    pg__conn_start(c);
}

static void close_sock(pg_conn_t *c)
{
    if (c->sock != NULL) {
        h2o_socket_close(c->sock); /* closes our duplicate only */
        c->sock = NULL;
    }
    c->want_write = false;
}

/* Wraps a duplicate of libpq's current socket. */
static int wrap_socket(pg_conn_t *c)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0)
        return -1;
    c->sock = h2o_evloop_socket_create(c->pool->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    return 0;
}

void pg__conn_close(pg_conn_t *c)
{
    close_sock(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    if (h2o_timeout_is_linked(&c->retry))
        h2o_timeout_unlink(&c->retry);
    c->state = CONN_DOWN;
}

static void on_retry(h2o_timeout_entry_t *entry)
{
    pg_conn_t *c = H2O_STRUCT_FROM_MEMBER(pg_conn_t, retry, entry);
    pg__conn_start(c);
    pg__pool_settle(c->pool);
}

static void schedule_retry(pg_conn_t *c)
{
    pg_pool_t *p = c->pool;
    if (p->closing)
        return;
    int lvl = c->backoff < N_BACKOFF ? c->backoff : N_BACKOFF - 1;
    c->retry.cb = on_retry;
    h2o_timeout_link(p->loop, &p->t_backoff[lvl], &c->retry);
    if (c->backoff < N_BACKOFF - 1)
        c->backoff++;
}

/* Copies libpq's message as one line. */
static void copy_message(char *buf, size_t len, const char *msg)
{
    snprintf(buf, len, "%s", msg != NULL && *msg ? msg : "unknown error");
    pg_one_line(buf);
}

static void attempt_failed(pg_conn_t *c, const char *why)
{
    pg_pool_t *p = c->pool;
    char msg[256];
    copy_message(msg, sizeof(msg), why);
    pg__conn_close(c);
    p->n_connecting--;
    p->unreachable = true;
    p->down_seen = atomic_load(&p->shared->connects);
    if (p->n_ready == 0 && !p->down_logged) {
        LOG_WARN("postgresql: cannot connect to %s: %s; retrying", p->target, msg);
        p->down_logged = true;
    } else {
        LOG_DEBUG("postgresql: connect to %s failed: %s", p->target, msg);
    }
    schedule_retry(c);
    if (pg__pool_is_down(p))
        pg__fail_waiting(p);
}

static void connect_wait(pg_conn_t *c, PostgresPollingStatusType st);

/* Binary timestamps are 64-bit microseconds (the only kind since 10). */
static bool integer_datetimes(const PGconn *pg)
{
    const char *v = PQparameterStatus(pg, "integer_datetimes");
    return v == NULL || strcmp(v, "on") == 0;
}

static void on_connect_event(h2o_socket_t *sock, const char *err)
{
    pg_conn_t *c = sock->data;
    pg_pool_t *p = c->pool;
    (void)err; /* PQconnectPoll finds out what happened */
    close_sock(c);
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
        connect_wait(c, st);
    } else if (st != PGRES_POLLING_OK) {
        attempt_failed(c, PQerrorMessage(c->pg));
    } else if (!integer_datetimes(c->pg)) {
        attempt_failed(c, "the server stores timestamps as floating point (integer_datetimes "
                          "off), which this server does not read");
    } else if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1 ||
               wrap_socket(c) != 0) {
        attempt_failed(c, "cannot enter pipeline mode");
    } else {
        if (h2o_timeout_is_linked(&c->retry))
            h2o_timeout_unlink(&c->retry);
        h2o_socket_read_start(c->sock, pg__on_conn_readable);
        memset(c->prepared, 0, sizeof(c->prepared));
        c->state = CONN_READY;
        c->backoff = 0;
        p->n_connecting--;
        p->n_ready++;
        p->unreachable = false;
        atomic_fetch_add(&p->shared->connects, 1);
        /* The statements are prepared once and run with other values each
         * time: plan them once too (what PostgreSQL's choice after five
         * custom plans would often be anyway). The list's generic plans
         * walk the (user_id, sort key) indexes instead of sorting. */
        pg__conn_send_background(c, "SET plan_cache_mode = force_generic_plan");
        if (p->down_logged) {
            LOG_INFO("postgresql: connected to %s again", p->target);
            p->down_logged = false;
        }
        /* The server is back: bring the other connections up now. */
        for (int i = 0; i < p->size; i++) {
            pg_conn_t *o = &p->conns[i];
            if (o->state == CONN_DOWN && h2o_timeout_is_linked(&o->retry)) {
                h2o_timeout_unlink(&o->retry);
                pg__conn_start(o);
            }
        }
    }
    pg__pool_settle(p);
}

static void connect_wait(pg_conn_t *c, PostgresPollingStatusType st)
{
    if (wrap_socket(c) != 0) {
        attempt_failed(c, "no socket");
        return;
    }
    if (st == PGRES_POLLING_READING)
        h2o_socket_read_start(c->sock, on_connect_event);
    else
        h2o_socket_notify_write(c->sock, on_connect_event);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    pg_conn_t *c = H2O_STRUCT_FROM_MEMBER(pg_conn_t, retry, entry);
    attempt_failed(c, "timed out");
    pg__pool_settle(c->pool);
}

/* Starts a non-blocking connect. (libpq resolves the host name inside
 * PQconnectStart: a DNS lookup is the one step it cannot do asynchronously.) */
void pg__conn_start(pg_conn_t *c)
{
    pg_pool_t *p = c->pool;
    const char *keys[4], *values[4];
    pg_connect_params(p->conninfo, keys, values);
    c->state = CONN_CONNECTING;
    p->n_connecting++;
    c->pg = PQconnectStartParams(keys, values, 1);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        attempt_failed(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->pg, pg_notice_to_log, NULL);
    c->retry.cb = on_connect_timeout;
    h2o_timeout_link(p->loop, &p->t_query, &c->retry);
    connect_wait(c, PGRES_POLLING_WRITING);
}

/* Closes c after an error and fails what was sent on it. why NULL: already
 * logged. */
void pg__conn_fail(pg_conn_t *c, const char *why)
{
    pg_pool_t *p = c->pool;
    if (c->state != CONN_READY)
        return;
    bool busy = c->depth > 0 || c->owner != NULL;
    if (why != NULL) {
        char msg[256];
        copy_message(msg, sizeof(msg), why);
        if (busy)
            LOG_WARN("postgresql: connection to %s lost: %s", p->target, msg);
        else
            LOG_INFO("postgresql: %s closed an idle connection (%s); it is reopened when needed",
                     p->target, msg);
    }
    pg__conn_close(c);
    p->n_ready--;
    pg_op_t *op;
    while ((op = c->fifo.head) != NULL) {
        pg_queue_remove(&c->fifo, op);
        op->where = OP_NOWHERE;
        op->conn = NULL;
        pg__op_finish(op, STORE_UNAVAILABLE);
    }
    c->depth = 0;
    if (c->owner != NULL) {
        c->owner->conn = NULL;
        c->owner = NULL;
    }
    if (busy) {
        if (p->n_ready == 0) {
            p->unreachable = true;
            p->down_seen = atomic_load(&p->shared->connects);
            p->down_logged = true;
        }
        schedule_retry(c);
    }
    if (pg__pool_is_down(p))
        pg__fail_waiting(p);
    else if (p->waiting.head != NULL)
        pg__pool_grow(p);
}
