/* Private to src/store/: what the SQLite backend's files share. The backend
 * is split into the store and its operations (store_sqlite.c), the write
 * dispatch with its group-commit writer (store_sqlite_writer.c), the list
 * query (store_sqlite_list.c), connection and row helpers
 * (store_sqlite_util.c) and the migration driver (migrate_sqlite.c). */
#ifndef TODO_STORE_STORE_SQLITE_H
#define TODO_STORE_STORE_SQLITE_H

#include <h2o/multithread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/list_count.h"
#include "store/migrate.h"
#include "store/store.h"

/** The list query has 2^4 filter presence bits times 6 due filters times 3
 *  ways of finding rows WHERE shapes, each with 6 sort keys times 2
 *  directions times (first page, cursor page) ORDER BY shapes. */
enum {
    SQLITE_LIST_WHERE_SHAPES = 16 * 6 * 3,
    SQLITE_LIST_SHAPES = SQLITE_LIST_WHERE_SHAPES * 6 * 2 * 2,
};

/** A worker's connection and its cached list statements, by query shape
 *  (store_sqlite.c keeps the other statements next to it). */
typedef struct sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *list[SQLITE_LIST_SHAPES];        /* page queries, lazily prepared */
    sqlite3_stmt *count[SQLITE_LIST_WHERE_SHAPES]; /* COUNT(*) queries, lazily prepared */
    sqlite3_stmt *counts_row;                      /* the user's task_counts row */
    list_count_cache_t counts;                     /* filtered counts by version */
} sqlite_conn_t;

/** The columns every task query selects, in the order store__sqlite_read_task
 *  reads them. */
#define SQLITE_TASK_COLUMNS                                                                        \
    "id, user_id, title, description, completed, completed_at, priority, tags, due_date, "         \
    "due_time, recurrence_pattern, recurrence_day, created_at, updated_at, successor_id, version"

/** Opens a connection to path (an SQLite file name, or a "file:" URI when
 *  uri is true) and configures it: busy timeout, WAL, foreign keys,
 *  synchronous=NORMAL. On failure returns -1 with one line in err. */
int store__sqlite_connect(const char *path, bool uri, sqlite3 **out, char *err, size_t errlen);

/** Turns the path of a "sqlite://PATH" URL into the file name to open:
 *  a relative name that SQLite would take for a URI ("file:...") gets "./"
 *  in front. Returns -1 with err filled when the URL has no path. */
int store__sqlite_path(const char *url, char *out, size_t outlen, char *err, size_t errlen);

/** Reads the current row of st (selected with SQLITE_TASK_COLUMNS) into t,
 *  copying its strings into arena. user_id, when not NULL, is used for the
 *  row's owner instead of a fresh copy (the caller knows it). */
void store__sqlite_read_task(sqlite3_stmt *st, arena_t *arena, const char *user_id,
                             store_task_t *t);

/** The text stored for a recurrence pattern; NULL for none. */
const char *store__sqlite_recurrence_name(task_recurrence_t r);

/** Maps an SQLite result code to a store status and logs it: busy or
 *  I/O failures are STORE_UNAVAILABLE, anything else STORE_ERROR. what names
 *  the operation. */
store_status_t store__sqlite_fail(sqlite3 *db, int rc, const char *what);

/** Runs the list query q for user_id on c and fills res (tasks, n_tasks,
 *  total). Returns a store_status_t. */
store_status_t store__sqlite_list(sqlite_conn_t *c, arena_t *arena, const char *user_id,
                                  const store_task_query_t *q, store_result_t *res);
/** Finalizes the list statements of c. */
void store__sqlite_list_dispose(sqlite_conn_t *c);

/* ---- the write dispatch (store_sqlite_writer.c) ---------------------------- */

typedef struct sqlite_write sqlite_write_t;
typedef struct sqlite_writer sqlite_writer_t;
typedef struct sqlite_inbox sqlite_inbox_t;

/** Does one write's database work on conn, a worker handle of this backend
 *  (the writer's or, in direct mode, the caller's own), inside the write's
 *  own savepoint of an open transaction: it begins, commits and rolls back
 *  nothing itself. Fills w->res (everything but status). Returns STORE_OK to
 *  keep its changes; with any other status they are rolled back, and only
 *  they. */
typedef store_status_t (*sqlite_write_fn)(store_worker_t *conn, sqlite_write_t *w);

/** One write on its way through the dispatch. A write is a heap block that
 *  begins with this struct (the backend's own arguments follow it); the
 *  dispatch frees it after its callback has run. */
struct sqlite_write {
    sqlite_write_fn run;
    store_cb cb;          /* answered exactly once, after the COMMIT that holds it */
    void *ctx;            /* cb's */
    store_result_t res;   /* res.status is set by the dispatch */
    sqlite_write_t *next; /* the dispatch's queues and a committed batch */
    sqlite_inbox_t *inbox;
    h2o_multithread_message_t msg;
    unsigned long batch; /* number of the writer's transaction that held it */
};

/** The transaction statements of one connection, prepared on first use. */
enum { SQLITE_TX_STATEMENTS = 6 };
typedef struct sqlite_tx {
    sqlite3 *db;
    sqlite3_stmt *st[SQLITE_TX_STATEMENTS];
} sqlite_tx_t;
/** Finalizes tx's statements (its connection stays open). */
void store__sqlite_tx_dispose(sqlite_tx_t *tx);

/** Called after each COMMIT with the writes it held, linked through next in
 *  the order they ran; each has its res.status (only STORE_OK ones changed
 *  anything). Runs on the thread that committed (the writer's, or the
 *  caller's in direct mode) before any of them is answered: it must be quick
 *  and must not touch the store. The store's announces the change log's
 *  events (store_options_t.on_event). */
typedef void (*sqlite_commit_hook_fn)(void *hook_ctx, const sqlite_write_t *writes);
typedef struct sqlite_commit_hook {
    sqlite_commit_hook_fn fn; /* NULL: none */
    void *ctx;
} sqlite_commit_hook_t;

/** Starts the writer thread of a file database. It owns conn (a worker
 *  handle whose connection is db, freed with conn_free when the writer
 *  stops) and runs every submitted write there. hook (not owned, may point
 *  at a hook set later) must outlive the writer. Returns NULL when the thread
 *  cannot start. */
sqlite_writer_t *store__sqlite_writer_new(store_worker_t *conn, sqlite3 *db,
                                          void (*conn_free)(store_worker_t *),
                                          const sqlite_commit_hook_t *hook);
/** Stops the writer after the writes already submitted, and frees it. Every
 *  inbox must have been freed. NULL is fine. */
void store__sqlite_writer_free(sqlite_writer_t *wr);
/** Transactions the writer has begun (for tests and statistics). */
unsigned long store__sqlite_writer_batches(const sqlite_writer_t *wr);
/** Tests: at most max writes and max_ns nanoseconds of work per batch (set
 *  while no write is on its way). */
void store__sqlite_writer_set_limits(sqlite_writer_t *wr, int max, uint64_t max_ns);

/** Where a worker's answers arrive: a message queue on its event loop
 *  (an h2o_loop_t *). */
sqlite_inbox_t *store__sqlite_inbox_new(store_loop_t *loop);
/** Waits until the writer is done with this inbox's writes, answers them
 *  (on this thread), and frees it. Call on the loop's thread. NULL is fine. */
void store__sqlite_inbox_free(sqlite_inbox_t *in);
/** Writes submitted through in and not answered yet. */
size_t store__sqlite_inbox_pending(const sqlite_inbox_t *in);

/** Queues w for the writer; its callback will run on in's loop after the
 *  COMMIT that holds it. */
void store__sqlite_write_submit(sqlite_writer_t *wr, sqlite_inbox_t *in, sqlite_write_t *w);
/** Direct mode: runs w now, as a transaction of its own, on conn (whose
 *  connection is tx->db), calls hook after the commit, and returns; the
 *  caller answers it with store__sqlite_write_answer. */
void store__sqlite_write_direct(sqlite_tx_t *tx, store_worker_t *conn, sqlite_write_t *w,
                                const sqlite_commit_hook_t *hook);
/** Calls w's callback with its result, then frees w. */
void store__sqlite_write_answer(sqlite_write_t *w);

/** Fills d with the SQLite migration driver working on db (not owned). */
void migrate__sqlite_driver(sqlite3 *db, migrate_driver_t *d);

/** Opens the database of a "sqlite://" URL for the migrate command and fills
 *  d; migrate__sqlite_close closes it. */
int migrate__sqlite_open(const char *url, migrate_driver_t *d, char *err, size_t errlen);
void migrate__sqlite_close(migrate_driver_t *d);

#endif
