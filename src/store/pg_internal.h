/* Private to the PostgreSQL pool (pg_pool.c: operations and the pipeline;
 * pg_conn.c: connecting, failing, reconnecting): its structures and the
 * functions one file calls in the other. */
#ifndef TODO_STORE_PG_INTERNAL_H
#define TODO_STORE_PG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "store/pg_conn.h"

/* Where an operation is: on no queue, the pool's waiting queue, its
 * connection's queue of sent batches, or the pool's done queue. */
enum { OP_NOWHERE = 0, OP_WAITING, OP_SENT, OP_DONE };

/** A FIFO of operations linked through q_prev/q_next (an operation is on
 *  one queue at most). */
typedef struct pg_queue {
    pg_op_t *head, *tail;
} pg_queue_t;

static inline void pg_queue_push(pg_queue_t *q, pg_op_t *op)
{
    op->q_next = NULL;
    op->q_prev = q->tail;
    if (q->tail != NULL)
        q->tail->q_next = op;
    else
        q->head = op;
    q->tail = op;
}

static inline void pg_queue_remove(pg_queue_t *q, pg_op_t *op)
{
    if (op->q_prev != NULL)
        op->q_prev->q_next = op->q_next;
    else
        q->head = op->q_next;
    if (op->q_next != NULL)
        op->q_next->q_prev = op->q_prev;
    else
        q->tail = op->q_prev;
    op->q_prev = op->q_next = NULL;
}
enum { CONN_DOWN = 0, CONN_CONNECTING, CONN_READY };

enum {
    MAX_DEPTH = 64,    /* batches in flight on one connection */
    N_BACKOFF = 7,     /* reconnect delays below */
    PREP_KEYS = 8192,  /* prepared statement keys per connection */
    FREE_OPS_MAX = 256 /* operations kept for reuse */
};
enum { BUF_KEEP_MAX = 16384 }; /* a larger parameter buffer is not kept */

struct pg_conn {
    pg_pool_t *pool;
    int state;
    PGconn *pg;
    h2o_socket_t *sock; /* wraps dup(PQsocket(pg)) */
    bool want_write;    /* PQflush left bytes: a write notification is armed */
    pg_queue_t fifo;    /* operations whose batch was sent, in order */
    int depth;
    pg_op_t *owner;            /* operation whose transaction is open here */
    h2o_timeout_entry_t retry; /* connect timeout, then reconnect delay */
    int backoff;
    unsigned char prepared[PREP_KEYS / 8];
};

struct pg_pool {
    h2o_loop_t *loop;
    char *conninfo;
    pg_shared_t *shared;
    unsigned long down_seen; /* shared->connects when this pool went down */
    char target[256];        /* host/port/db for logs */
    int size;
    pg_conn_t *conns;
    int n_ready;
    int n_connecting;
    bool unreachable; /* the last attempt failed, or work was lost with the
                         last connection: fail fast until one is up */
    bool closing, settling, down_logged;
    pg_queue_t waiting; /* operations no connection could take yet */
    int n_waiting;
    pg_queue_t done; /* finished batches whose done function is due */
    int timeout_ms;
    h2o_timeout_t t_query;
    h2o_timeout_t t_backoff[N_BACKOFF];
    size_t op_size;
    pg_op_t *free_ops; /* chained through next_free */
    int n_free;
};

/* pg_pool.c */

/** Runs due done functions, drains results and the waiting queue, until
 *  nothing moves; every entry point (socket event, timer, submit) ends with
 *  it. Reentrant calls return at once. */
void pg__pool_settle(pg_pool_t *p);
/** Ends op's current batch with status: off every list, onto the done list. */
void pg__op_finish(pg_op_t *op, int status);
/** Fails every waiting operation with STORE_UNAVAILABLE. */
void pg__fail_waiting(pg_pool_t *p);
/** Sends sql (no parameters) on c; nobody waits for its result. */
void pg__conn_send_background(pg_conn_t *c, const char *sql);
/** The read callback of a connection that is up. */
void pg__on_conn_readable(h2o_socket_t *sock, const char *err);

/* pg_conn.c */

/** Starts a non-blocking connect on c. */
void pg__conn_start(pg_conn_t *c);
/** Closes c (up) after an error and fails what was sent on it; why NULL:
 *  already logged. */
void pg__conn_fail(pg_conn_t *c, const char *why);
/** Closes c's socket and libpq connection, whatever its state. */
void pg__conn_close(pg_conn_t *c);
/** Nothing is up or on its way, after a failure: answer STORE_UNAVAILABLE. */
bool pg__pool_is_down(const pg_pool_t *p);
/** Down, but another pool has connected since: tries again now. Returns
 *  true if an attempt started. */
bool pg__pool_retry_now(pg_pool_t *p);
/** Opens one more connection when work could use it. */
void pg__pool_grow(pg_pool_t *p);

#endif
