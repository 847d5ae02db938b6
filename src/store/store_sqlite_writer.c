/* Group commit for SQLite: one writer thread per database file runs the
 * writes of every worker and commits them together, one transaction for
 * many writes, each write in a savepoint of its own.
 *
 * Submitting: a worker pushes its write onto a lock-free stack (one
 * compare-and-swap); when the stack was empty it also wakes the writer
 * through an eventfd. Nobody waits on a mutex to write.
 *
 * The writer takes the whole stack with one exchange, puts it back in
 * arrival order, and runs it as batches: BEGIN IMMEDIATE; for each write
 * SAVEPOINT w, its work, then RELEASE w, or ROLLBACK TO w and RELEASE w when
 * it failed or was refused; COMMIT. A batch ends after BATCH_MAX writes or
 * BATCH_NS of work, whichever comes first. The writer never waits for more
 * writes to arrive: a lone write is committed at once, and the writes that
 * arrive while a batch runs make up the next one. It sleeps only when there
 * is nothing to do.
 *
 * Answering: after the COMMIT, each write travels back to the worker that
 * submitted it through that worker's h2o message queue (its inbox), and its
 * callback runs on the worker's event loop, never on the writer thread. A
 * write whose transaction could not commit is answered with the failure:
 * nothing is acknowledged before it is committed.
 *
 * Durability is the connection's (WAL, synchronous=NORMAL): a committed
 * batch survives the process being killed; the OS crashing may lose the
 * last batches, as it could lose the last single commits before. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_sqlite.h"

enum {
    BATCH_MAX = 256,     /* writes in one transaction */
    BATCH_NS = 2000000,  /* work in one transaction before it commits (2 ms) */
    DRAIN_POLL_US = 500, /* store__sqlite_inbox_free waiting for the writer */
};

/* ---- transaction statements --------------------------------------------------- */

enum { TX_BEGIN, TX_COMMIT, TX_ROLLBACK, TX_SAVEPOINT, TX_RELEASE, TX_ROLLBACK_TO, TX__COUNT };
_Static_assert((int)TX__COUNT == (int)SQLITE_TX_STATEMENTS,
               "sqlite_tx_t has one slot per statement");

static const char *const tx_sql[TX__COUNT] = {
    [TX_BEGIN] = "BEGIN IMMEDIATE", [TX_COMMIT] = "COMMIT",     [TX_ROLLBACK] = "ROLLBACK",
    [TX_SAVEPOINT] = "SAVEPOINT w", [TX_RELEASE] = "RELEASE w", [TX_ROLLBACK_TO] = "ROLLBACK TO w",
};

/* Runs one of tx's statements: SQLITE_OK or the error code. */
static int tx_exec(sqlite_tx_t *tx, int which)
{
    int rc;
    if (tx->st[which] == NULL) {
        rc = sqlite3_prepare_v3(tx->db, tx_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                &tx->st[which], NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    rc = sqlite3_step(tx->st[which]);
    sqlite3_reset(tx->st[which]);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void store__sqlite_tx_dispose(sqlite_tx_t *tx)
{
    for (int i = 0; i < TX__COUNT; i++) {
        sqlite3_finalize(tx->st[i]);
        tx->st[i] = NULL;
    }
}

/* Leaves no transaction open after a failure. */
static void tx_abandon(sqlite_tx_t *tx)
{
    if (!sqlite3_get_autocommit(tx->db)) {
        int rc = tx_exec(tx, TX_ROLLBACK);
        if (rc != SQLITE_OK)
            store__sqlite_fail(tx->db, rc, "rollback");
    }
}

/* ---- one batch ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs w in its own savepoint and sets w->res.status. Returns false when the
 * transaction itself is lost (SQLite rolled it back, or the savepoint could
 * not be opened or closed): then the batch cannot commit. */
static bool write_run(sqlite_tx_t *tx, store_worker_t *conn, sqlite_write_t *w)
{
    int rc = tx_exec(tx, TX_SAVEPOINT);
    if (rc != SQLITE_OK) {
        w->res.status = store__sqlite_fail(tx->db, rc, "savepoint");
        return false;
    }
    store_status_t status = w->run(conn, w);
    if (status == STORE_OK) {
        rc = tx_exec(tx, TX_RELEASE);
    } else {
        rc = tx_exec(tx, TX_ROLLBACK_TO);
        if (rc == SQLITE_OK)
            rc = tx_exec(tx, TX_RELEASE);
    }
    w->res.status = status;
    if (rc != SQLITE_OK) {
        w->res.status = store__sqlite_fail(tx->db, rc, "end of savepoint");
        return false;
    }
    /* Some errors (I/O, disk full) roll the whole transaction back. */
    if (sqlite3_get_autocommit(tx->db)) {
        LOG_WARN("sqlite: a write's failure rolled its whole batch back");
        if (w->res.status == STORE_OK)
            w->res.status = STORE_UNAVAILABLE;
        return false;
    }
    return true;
}

/* Answers every write of the list done with status (the batch is lost). */
static void batch_fail(sqlite_write_t *done, store_status_t status)
{
    for (sqlite_write_t *w = done; w != NULL; w = w->next) {
        w->res = (store_result_t){.status = status};
    }
}

/* Runs writes from the FIFO *queue in one transaction, at most max of them
 * or as many as fit in max_ns, unlinking them from *queue. Returns them, linked in the
 * order they ran, each with its final status. */
static sqlite_write_t *batch_run(sqlite_tx_t *tx, store_worker_t *conn, sqlite_write_t **queue,
                                 int max, uint64_t max_ns, unsigned long batch,
                                 const sqlite_commit_hook_t *hook)
{
    sqlite_write_t *done = NULL, **tail = &done;
    int rc = tx_exec(tx, TX_BEGIN);
    if (rc != SQLITE_OK) {
        /* Busy past the timeout or the file is gone: fail what is here. */
        store_status_t status = store__sqlite_fail(tx->db, rc, "begin");
        for (int n = 0; *queue != NULL && n < max; n++) {
            sqlite_write_t *w = *queue;
            *queue = w->next;
            *tail = w;
            tail = &w->next;
        }
        *tail = NULL;
        tx_abandon(tx);
        batch_fail(done, status);
        return done;
    }

    uint64_t start = now_ns();
    bool intact = true;
    for (int n = 0; *queue != NULL && intact && n < max; n++) {
        if (n > 0 && now_ns() - start >= max_ns)
            break;
        sqlite_write_t *w = *queue;
        *queue = w->next;
        w->next = NULL;
        *tail = w;
        tail = &w->next;
        w->batch = batch;
        intact = write_run(tx, conn, w);
    }

    store_status_t lost = STORE_UNAVAILABLE;
    if (intact) {
        rc = tx_exec(tx, TX_COMMIT);
        if (rc == SQLITE_OK) {
            if (hook != NULL && hook->fn != NULL)
                hook->fn(hook->ctx, done);
            return done;
        }
        lost = store__sqlite_fail(tx->db, rc, "commit");
    }
    tx_abandon(tx);
    batch_fail(done, lost);
    return done;
}

void store__sqlite_write_direct(sqlite_tx_t *tx, store_worker_t *conn, sqlite_write_t *w,
                                const sqlite_commit_hook_t *hook)
{
    sqlite_write_t *queue = w;
    w->next = NULL;
    (void)batch_run(tx, conn, &queue, 1, BATCH_NS, 0, hook);
}

void store__sqlite_write_answer(sqlite_write_t *w)
{
    w->cb(w->ctx, &w->res);
    free(w);
}

/* ---- inboxes: answers back on the worker's loop --------------------------------- */

struct sqlite_inbox {
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    atomic_size_t pending; /* submitted, not yet sent back */
};

/* Answers every write of messages and empties the list. */
static void answer_all(h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        sqlite_write_t *w = H2O_STRUCT_FROM_MEMBER(sqlite_write_t, msg.link, messages->next);
        h2o_linklist_unlink(&w->msg.link);
        store__sqlite_write_answer(w);
    }
}

static void on_answers(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    answer_all(messages);
}

sqlite_inbox_t *store__sqlite_inbox_new(store_loop_t *loop)
{
    sqlite_inbox_t *in = xcalloc(1, sizeof(*in));
    in->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(in->queue, &in->receiver, on_answers);
    atomic_init(&in->pending, 0);
    return in;
}

size_t store__sqlite_inbox_pending(const sqlite_inbox_t *in)
{
    return atomic_load_explicit(&in->pending, memory_order_relaxed);
}

void store__sqlite_inbox_free(sqlite_inbox_t *in)
{
    if (in == NULL)
        return;
    /* The writer runs everything it is given; wait for this worker's part. */
    while (atomic_load_explicit(&in->pending, memory_order_acquire) != 0) {
        struct timespec ts = {0, DRAIN_POLL_US * 1000L};
        nanosleep(&ts, NULL);
    }
    /* The writer is done with the receiver: what it sent is in its list. */
    h2o_linklist_t messages;
    h2o_linklist_init_anchor(&messages);
    h2o_linklist_insert_list(&messages, &in->receiver._messages);
    answer_all(&messages);
    h2o_multithread_unregister_receiver(in->queue, &in->receiver);
    h2o_multithread_destroy_queue(in->queue);
    free(in->queue); /* h2o 2.2.5's evloop destroy_queue leaves the struct */
    free(in);
}

/* ---- the writer ----------------------------------------------------------------- */

struct sqlite_writer {
    _Atomic(sqlite_write_t *) top; /* submitted writes, newest first */
    int wake_fd;                   /* eventfd: written when top turns non-empty */
    atomic_bool stopping;
    atomic_ulong batches;
    int batch_max;     /* BATCH_MAX unless a test says otherwise */
    uint64_t batch_ns; /* BATCH_NS unless a test says otherwise */
    pthread_t thread;
    store_worker_t *conn;
    void (*conn_free)(store_worker_t *);
    sqlite_tx_t tx;
    const sqlite_commit_hook_t *hook;
};

void store__sqlite_write_submit(sqlite_writer_t *wr, sqlite_inbox_t *in, sqlite_write_t *w)
{
    w->inbox = in;
    atomic_fetch_add_explicit(&in->pending, 1, memory_order_relaxed);
    sqlite_write_t *top = atomic_load_explicit(&wr->top, memory_order_relaxed);
    do {
        w->next = top;
    } while (!atomic_compare_exchange_weak_explicit(&wr->top, &top, w, memory_order_release,
                                                    memory_order_relaxed));
    if (top == NULL) {
        uint64_t one = 1;
        /* Cannot fail short of a bad descriptor: the counter never nears its limit. */
        if (write(wr->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            LOG_ERROR("sqlite: cannot wake the writer: %s", strerror(errno));
    }
}

/* Moves what was submitted to the end of the FIFO *queue (tail: its last
 * link). Returns the new tail. */
static sqlite_write_t **take_submitted(sqlite_writer_t *wr, sqlite_write_t **tail)
{
    sqlite_write_t *w = atomic_exchange_explicit(&wr->top, NULL, memory_order_acquire);
    sqlite_write_t *ordered = NULL;
    while (w != NULL) { /* newest first: reverse into arrival order */
        sqlite_write_t *next = w->next;
        w->next = ordered;
        ordered = w;
        w = next;
    }
    *tail = ordered;
    while (*tail != NULL)
        tail = &(*tail)->next;
    return tail;
}

/* Sends each write of done back to its worker. */
static void deliver(sqlite_write_t *done)
{
    while (done != NULL) {
        /* Once sent, the worker may answer and free it at once. */
        sqlite_write_t *next = done->next;
        sqlite_inbox_t *in = done->inbox;
        h2o_multithread_send_message(&in->receiver, &done->msg);
        atomic_fetch_sub_explicit(&in->pending, 1, memory_order_release);
        done = next;
    }
}

static void *writer_main(void *arg)
{
    sqlite_writer_t *wr = arg;
    sqlite_write_t *queue = NULL, **tail = &queue;
    for (;;) {
        tail = take_submitted(wr, tail);
        if (queue == NULL) {
            if (atomic_load_explicit(&wr->stopping, memory_order_acquire))
                break;
            uint64_t n;
            if (read(wr->wake_fd, &n, sizeof(n)) < 0 && errno != EINTR) {
                LOG_ERROR("sqlite: writer cannot wait: %s", strerror(errno));
                struct timespec ts = {0, 1000000L};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        unsigned long batch = atomic_fetch_add_explicit(&wr->batches, 1, memory_order_relaxed) + 1;
        sqlite_write_t *done =
            batch_run(&wr->tx, wr->conn, &queue, wr->batch_max, wr->batch_ns, batch, wr->hook);
        if (queue == NULL)
            tail = &queue;
        deliver(done);
    }
    return NULL;
}

sqlite_writer_t *store__sqlite_writer_new(store_worker_t *conn, sqlite3 *db,
                                          void (*conn_free)(store_worker_t *),
                                          const sqlite_commit_hook_t *hook)
{
    sqlite_writer_t *wr = xcalloc(1, sizeof(*wr));
    atomic_init(&wr->top, NULL);
    atomic_init(&wr->stopping, false);
    atomic_init(&wr->batches, 0);
    wr->conn = conn;
    wr->conn_free = conn_free;
    wr->tx.db = db;
    wr->hook = hook;
    wr->batch_max = BATCH_MAX;
    wr->batch_ns = BATCH_NS;
    wr->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (wr->wake_fd < 0) {
        LOG_ERROR("sqlite: cannot create the writer's eventfd: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
        LOG_ERROR("sqlite: cannot start the writer thread");
        close(wr->wake_fd);
        goto fail;
    }
    return wr;
fail:
    free(wr);
    return NULL;
}

void store__sqlite_writer_free(sqlite_writer_t *wr)
{
    if (wr == NULL)
        return;
    atomic_store_explicit(&wr->stopping, true, memory_order_release);
    uint64_t one = 1;
    if (write(wr->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
        LOG_ERROR("sqlite: cannot wake the writer: %s", strerror(errno));
    pthread_join(wr->thread, NULL);
    close(wr->wake_fd);
    store__sqlite_tx_dispose(&wr->tx);
    wr->conn_free(wr->conn);
    free(wr);
}

unsigned long store__sqlite_writer_batches(const sqlite_writer_t *wr)
{
    return atomic_load_explicit(&wr->batches, memory_order_relaxed);
}

void store__sqlite_writer_set_limits(sqlite_writer_t *wr, int max, uint64_t max_ns)
{
    wr->batch_max = max;
    wr->batch_ns = max_ns;
}
