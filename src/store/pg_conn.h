/* Private to src/store/: the PostgreSQL connection machinery under
 * store_pg.c (pg_pool.c, pg_conn.c; helpers in pg_util.c). One pg_pool_t per
 * worker owns DB_POOL_SIZE libpq connections in non-blocking pipeline mode,
 * watched by the worker's h2o event loop.
 *
 * Work is done by operations (pg_op_t). An operation sends one batch of
 * commands at a time, each batch closed by a pipeline sync; when the batch's
 * sync comes back the pool calls op->done from its settle loop, never from
 * inside libpq processing. done either sends the next batch on the same
 * connection (pg_op_continue: the body of a transaction) or finishes
 * (answers its caller, then pg_op_free).
 *
 * Read-only and single-statement operations share connections freely: their
 * batches are pipelined one after another. An operation with PG_OP_TXN opens
 * a transaction and owns its connection until the batch that closes it has
 * been sent; nobody else's command goes onto that connection meanwhile.
 *
 * Failures: a lost connection, a timed-out batch or no connection at all give
 * op->status == STORE_UNAVAILABLE; a connection that fails is closed and
 * reopened with exponential backoff (100 ms doubling to 5 s), one the server
 * closed while idle when work needs it (see pg_conn.c). */
#ifndef TODO_STORE_PG_CONN_H
#define TODO_STORE_PG_CONN_H

#include <h2o/socket.h>
#include <h2o/timeout.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "store/store.h"

typedef struct pg_pool pg_pool_t;
typedef struct pg_conn pg_conn_t;
typedef struct pg_op pg_op_t;

enum { PG_OP_MAX_CMDS = 8 }; /* commands in one batch (a prepare counts) */

/** Queues the commands of op's current batch on c with pg_conn_send_*
 *  (the pool adds the sync). Returns 0, or -1 when libpq refused. */
typedef int (*pg_op_send_fn)(pg_op_t *op, pg_conn_t *c);
/** The current batch is over: op->status and op->res[] hold its outcome. */
typedef void (*pg_op_done_fn)(pg_op_t *op);

/** Operation flags. */
enum {
    PG_OP_TXN = 1u << 0, /* the first batch opens a transaction (pins the connection) */
};

/** An operation. Allocated by the pool (pg_op_new) with room for the
 *  backend's own fields after it; the backend's struct begins with it. */
struct pg_op {
    /* set by the backend before pg_op_submit / pg_op_continue */
    pg_op_send_fn send;
    pg_op_done_fn done;
    unsigned flags;
    char *buf; /* the operation's own bytes (copied parameters); kept on reuse */
    size_t buf_len, buf_cap;

    /* outcome of the current batch, valid in done */
    int status;                    /* STORE_OK or a negative store_status_t */
    char sqlstate[6];              /* of the first error, "" if none */
    PGresult *res[PG_OP_MAX_CMDS]; /* one per command, in order; NULL if none */
    int n_cmds;                    /* commands in the batch */

    /* private to the pool */
    pg_pool_t *pool;
    pg_conn_t *conn;
    pg_op_t *q_prev, *q_next; /* in the one queue it is on (see where) */
    h2o_timeout_entry_t timer;
    int where;
    int n_done;
    bool got_result;
    bool discard;
    int prep_key[PG_OP_MAX_CMDS];
    pg_op_t *next_free;
};

/** What the pools of one store share across threads: how many connections
 *  any of them has made. A pool that is down after a failure tries again at
 *  once (instead of failing) when another one has connected since. */
typedef struct pg_shared {
    atomic_ulong connects;
} pg_shared_t;

/** Creates a worker's pool on loop and starts connecting (conninfo as for
 *  PQconnectStartParams' expanded dbname). shared outlives the pool.
 *  op_size >= sizeof(pg_op_t) is the size of the backend's operation struct. */
pg_pool_t *pg_pool_new(h2o_loop_t *loop, const char *conninfo, pg_shared_t *shared, int size,
                       int timeout_ms, size_t op_size);
/** Fails what is pending with STORE_UNAVAILABLE (their done functions run),
 *  closes the connections and frees the pool. pg_pool_free(NULL) is fine. */
void pg_pool_free(pg_pool_t *p);
/** Fills pool statistics for /metrics. */
void pg_pool_stats(const pg_pool_t *p, store_pool_stats_t *out);

/** A fresh operation (zeroed beyond the pg_op_t header). */
pg_op_t *pg_op_new(pg_pool_t *p);
/** Copies s (NULL allowed) into op's own buffer: parameters must outlive
 *  the caller's stack. Returns a handle for pg_op_str. */
long pg_op_keep(pg_op_t *op, const char *s);
/** The string kept under handle h (NULL for NULL). Valid until the next
 *  pg_op_keep on op. */
const char *pg_op_str(const pg_op_t *op, long h);
/** Sends op's first batch as soon as a connection can take it. op->done runs
 *  later (or before this returns, when no connection is up). */
void pg_op_submit(pg_op_t *op);
/** Sends op's next batch (op->send) on the connection its transaction holds.
 *  closes_txn: this batch ends the transaction (COMMIT): the connection is
 *  free for others once it is sent. The previous batch's results are freed. */
void pg_op_continue(pg_op_t *op, bool closes_txn);
/** Ends op's open transaction with a ROLLBACK sent in the background (nobody
 *  waits for it) and frees the connection for others. No-op without one. */
void pg_op_rollback(pg_op_t *op);
/** Returns op to the pool (rolling back a transaction it still holds). */
void pg_op_free(pg_op_t *op);

/** True when statement number key has not yet been prepared on c; marks it
 *  as prepared (the prepare must then be sent in this batch). key < 8192. */
bool pg_conn_need_prepare(pg_conn_t *c, unsigned key);
/** Queues PQsendPrepare of statement "s<key>", its nparams (<= 64) all text. */
int pg_conn_send_prepare(pg_conn_t *c, pg_op_t *op, unsigned key, const char *sql, int nparams);
/** Queues the execution of prepared statement "s<key>" with text parameters
 *  (NULL is SQL NULL); its results come in binary format (pg_row_*). */
int pg_conn_send_prepared(pg_conn_t *c, pg_op_t *op, unsigned key, int nparams,
                          const char *const *values);
/** Queues a parameterless statement (BEGIN, COMMIT, ROLLBACK). */
int pg_conn_send_sql(pg_conn_t *c, pg_op_t *op, const char *sql);

/* ---- the LISTEN connection (pg_listen.c) -------------------------------- */

/** The channel the change log notifies on; payload "<user_id> <event id>". */
#define PG_EVENTS_CHANNEL "todo_events"

typedef struct pg_listen pg_listen_t;

/** Opens a session connection on loop that LISTENs on channel and calls
 *  fn(ctx, user_id, id) for every notification. After a failure it
 *  reconnects with backoff; on every (re)connect it calls fn(ctx, NULL, 0),
 *  since notifications may have been missed meanwhile. */
pg_listen_t *pg_listen_new(h2o_loop_t *loop, const char *conninfo, const char *channel,
                           store_event_fn fn, void *ctx);
/** Closes the connection; call on the loop's thread. NULL is fine. */
void pg_listen_free(pg_listen_t *l);

/* ---- shared helpers (pg_util.c) ---------------------------------------- */

/** Turns a libpq message into one line in place: newlines and tabs become
 *  single spaces, the ends are trimmed. */
void pg_one_line(char *s);

/** Turns a DATABASE_URL into a libpq connection URI: postgresql+asyncpg://
 *  becomes postgresql://, the rest is kept as is. Returns a malloc'd string,
 *  or NULL if url is not a PostgreSQL URL. */
char *pg_conninfo_from_url(const char *url);
/** Checks that libpq can parse conninfo; if not, returns -1 with a line in
 *  err that never shows the password. */
int pg_check_conninfo(const char *conninfo, char *err, size_t errlen);
/** Keyword/value arrays for PQconnect*Params around conninfo: defaults for
 *  connect_timeout and application_name that the URL may override. */
void pg_connect_params(const char *conninfo, const char **keys, const char **values);
/** "host=H port=P db=D" (no user, no password) for logs, into buf. */
void pg_describe_target(const char *conninfo, char *buf, size_t len);
/** A notice processor that logs notices at debug level. */
void pg_notice_to_log(void *arg, const char *message);
/** Maps an error result (SQLSTATE, connection state) to a store_status_t. */
store_status_t pg_status_from_sqlstate(const char *sqlstate, bool conn_bad);
/** Opens a blocking connection for start-up work (migrations). On failure
 *  returns NULL with one line in err. */
PGconn *pg_connect_blocking(const char *conninfo, char *err, size_t errlen);

/** Reads one row of a binary-format result (the pool asks for binary: no
 *  text conversion on the server, no DateStyle or TimeZone to depend on).
 *  A value of an unexpected size sets bad. Strings go into arena. */
typedef struct pg_row {
    const PGresult *res;
    int row;
    arena_t *arena;
    bool bad;
} pg_row_t;

/** True when the value is SQL NULL. */
bool pg_row_null(const pg_row_t *r, int col);
/** A smallint, integer or bigint; NULL reads as 0. */
int64_t pg_row_int(pg_row_t *r, int col);
/** A boolean; NULL reads as false. */
bool pg_row_bool(pg_row_t *r, int col);
/** Text (any text type), or NULL. */
const char *pg_row_text(pg_row_t *r, int col);
/** A timestamptz as "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds), or NULL. */
const char *pg_row_timestamp(pg_row_t *r, int col);
/** A date as "YYYY-MM-DD", or NULL. */
const char *pg_row_date(pg_row_t *r, int col);
/** A time as "HH:MM:SS", or NULL. */
const char *pg_row_time(pg_row_t *r, int col);

#endif
