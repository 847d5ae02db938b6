/* The storage interface. Two backends implement it: SQLite (store_sqlite.c,
 * the embedded default) and PostgreSQL (store_pg.c, libpq in non-blocking
 * pipeline mode on each worker's event loop).
 *
 * Every operation is asynchronous in shape: it takes a callback that is called
 * exactly once with the result, and a caller context. SQLite calls it before
 * the operation returns for reads, and for writes of a worker opened without
 * a loop; a write of a worker on a loop goes to the store's group-commit
 * writer and is answered later, from the worker's event loop, after the
 * COMMIT that holds it. PostgreSQL calls it later, from the worker's event
 * loop. Callers must therefore do nothing after starting an operation that
 * the callback could have invalidated. What the caller passes in (records,
 * strings, a modify function's context) must stay valid until the callback,
 * and must not be touched meanwhile: a modify function may run on another
 * thread. Results (tasks, users, strings) are written into the arena the
 * caller passes, which must outlive the callback.
 *
 * The store knows nothing about HTTP and validates nothing: the caller hands
 * it records that are already valid, with timestamps already set. */
#ifndef TODO_STORE_STORE_H
#define TODO_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

/* ---- records ------------------------------------------------------------ */

typedef enum task_priority {
    PRIORITY_NONE = 0, /* null */
    PRIORITY_LOW = 1,
    PRIORITY_MEDIUM = 2,
    PRIORITY_HIGH = 3,
} task_priority_t;

typedef enum task_recurrence {
    RECURRENCE_NONE = 0, /* null */
    RECURRENCE_DAILY = 1,
    RECURRENCE_WEEKLY = 2,
    RECURRENCE_MONTHLY = 3,
} task_recurrence_t;

/** A task row. Strings are NUL-terminated UTF-8; NULL means JSON null. */
typedef struct store_task {
    int64_t id;              /* assigned by the store on create */
    const char *user_id;     /* owner: the token's sub */
    const char *title;       /* 1-200 code points */
    const char *description; /* or NULL */
    bool completed;
    const char *completed_at; /* "YYYY-MM-DDTHH:MM:SSZ" or NULL */
    task_priority_t priority;
    const char *tags;     /* normalised "a,b,c" or NULL */
    const char *due_date; /* "YYYY-MM-DD" or NULL */
    const char *due_time; /* "HH:MM:SS" or NULL */
    task_recurrence_t recurrence_pattern;
    int recurrence_day;     /* 0 means null */
    const char *created_at; /* "YYYY-MM-DDTHH:MM:SSZ" */
    const char *updated_at; /* "YYYY-MM-DDTHH:MM:SSZ" */
    int64_t successor_id;   /* internal: id of the next occurrence made when
                               this one was completed, 0 if none yet */
    int64_t version;        /* 1 on create, bumped by every change in the
                               statement that makes it (the ETag's source) */
} store_task_t;

/** A built-in account. */
typedef struct store_user {
    const char *id;            /* random string; also the sub of tokens issued here */
    const char *email;         /* trimmed, lower-cased */
    const char *name;          /* or NULL */
    const char *password_hash; /* Argon2id encoded string */
    const char *created_at;    /* "YYYY-MM-DDTHH:MM:SSZ" */
} store_user_t;

/* ---- list queries -------------------------------------------------------- */

typedef enum task_due_filter {
    DUE_FILTER_ANY = 0,
    DUE_FILTER_OVERDUE,   /* due_date < today AND NOT completed */
    DUE_FILTER_TODAY,     /* due_date = today */
    DUE_FILTER_THIS_WEEK, /* week_start <= due_date <= week_end */
    DUE_FILTER_UPCOMING,  /* due_date > today */
    DUE_FILTER_NONE,      /* due_date IS NULL */
} task_due_filter_t;

typedef enum task_sort {
    SORT_CREATED_AT = 0,
    SORT_UPDATED_AT,
    SORT_DUE_DATE, /* then due_time */
    SORT_PRIORITY, /* by rank: low < medium < high */
    SORT_TITLE,    /* case-insensitive */
    SORT_COMPLETED /* false < true */
} task_sort_t;

/** A validated list query. Rows with no value for the sort key come last in
 *  both directions; ties are broken by id in the sort direction. */
typedef struct store_task_query {
    int completed;            /* -1 any, 0 false, 1 true */
    task_priority_t priority; /* PRIORITY_NONE: any */
    const char *tag;          /* exact tag, case-insensitive; NULL: any */
    const char *search;       /* substring of title or description,
                                 case-insensitive, no wildcards; NULL: any */
    task_due_filter_t due_filter;
    const char *today;      /* "YYYY-MM-DD", always set */
    const char *week_start; /* Monday of today's week, "YYYY-MM-DD" */
    const char *week_end;   /* Sunday of today's week */
    task_sort_t sort_by;
    bool descending;
    int64_t limit;  /* 1-1000 */
    int64_t offset; /* >= 0 */
    /* Keyset paging: the last task of the previous page (only its sort key
     * fields and id are read; NULL fields are "no value"); the page starts
     * right after it in the query's order. NULL: from the start (then
     * offset applies; with after set, offset is 0). */
    const store_task_t *after;
    const char *cursor; /* the cursor parameter as given (read by the tasks
                           layer, which sets after from it; unused here) */
} store_task_query_t;

/* ---- the change log (API.md section 7.3) ----------------------------------- */

/** One entry of a user's change log. Every task change writes its events in
 *  its own transaction: task.created and task.updated carry
 *  {"task": <the Task as GET answers it>}, task.deleted carries {"id": N}.
 *  Completing a recurring task writes its task.updated, then the
 *  successor's task.created. Deleting a user (store_user_delete) writes no
 *  events; it deletes the user's log and keeps the counter, so ids never
 *  repeat. */
typedef struct store_event {
    int64_t id;       /* per user, increasing by one with every event */
    const char *type; /* "task.created", "task.updated", "task.deleted" */
    const char *data; /* the event's data (JSON) */
} store_event_t;

/** Appends the Task object t as the API answers it: the store writes it into
 *  event data without knowing the HTTP or schema layers (the tasks module
 *  hands its encoder in at start-up, store_options_t.task_json). */
typedef void (*store_task_json_fn)(const store_task_t *t, buf_t *out);

/** Told that events of user_id up to last_id have been committed (by this
 *  process on SQLite; by any process sharing the database on PostgreSQL,
 *  through LISTEN/NOTIFY). user_id NULL means "notifications may have been
 *  missed" (the listening connection was lost and is back): every reader
 *  should look at the log again. Called on any thread; user_id is valid
 *  during the call only. */
typedef void (*store_event_fn)(void *ctx, const char *user_id, int64_t last_id);

/* ---- results ------------------------------------------------------------- */

typedef enum store_status {
    STORE_OK = 0,
    STORE_NOT_FOUND = -1,           /* no such row for this user */
    STORE_CONFLICT = -2,            /* a unique key is taken (user email) */
    STORE_REJECTED = -3,            /* a modify callback refused the change */
    STORE_UNAVAILABLE = -4,         /* the database cannot be reached: answer 503 */
    STORE_ERROR = -5,               /* anything else: answer 500, details are logged */
    STORE_PRECONDITION_FAILED = -6, /* the stored version is not an expected one */
    STORE_KEY_IN_USE = -7,          /* the idempotency key's first request is running */
    STORE_KEY_REUSED = -8,          /* the idempotency key was used for another request */
} store_status_t;

/* ---- what a write carries besides its record ---------------------------- */

/** An answer kept under an idempotency key: what the first request with the
 *  key answered, replayed byte for byte to its repeats. */
typedef struct store_answer {
    int status;           /* 2xx */
    const char *body;     /* NUL-terminated JSON */
    const char *location; /* or NULL */
    const char *etag;     /* or NULL */
} store_answer_t;

/** Fills *out (strings in arena) with the answer a write gives for task, the
 *  row as it now is. Called inside the write's transaction, so that the
 *  answer is stored together with the change. */
typedef void (*store_answer_fn)(void *ctx, arena_t *arena, const store_task_t *task,
                                store_answer_t *out);

/** An idempotency key (keys belong to the user the write is for). The write
 *  looks the key up first, in its transaction: an unexpired row with the same
 *  route and request_hash ends the write with STORE_OK and res->replayed set
 *  (nothing changes); another route or hash is STORE_KEY_REUSED; a first
 *  request with the key still running (another transaction holds the key) is
 *  STORE_KEY_IN_USE. Otherwise the write goes on and, in the same
 *  transaction, stores answer()'s answer until expires_at. */
typedef struct store_idem {
    const char *key;          /* 1-255 visible ASCII characters */
    const char *route;        /* "POST /api/u/tasks" */
    const char *request_hash; /* digest of the canonical body */
    int64_t now;              /* unix seconds: rows at or before it are expired */
    int64_t expires_at;       /* unix seconds */
    store_answer_fn answer;
    void *answer_ctx;
} store_idem_t;

/** Conditions and bookkeeping of one write, as plain data; a NULL pointer to
 *  it means none. It and what it points to must stay valid until the
 *  operation's callback (keep them in the request's arena). */
typedef struct store_write_opts {
    bool check_version; /* If-Match: the write goes on only when the stored
                           version is one of versions (none: it never does);
                           else STORE_PRECONDITION_FAILED, nothing changed.
                           Checked with the row locked, after not-found. */
    size_t n_versions;
    const int64_t *versions;
    const store_idem_t *idem; /* Idempotency-Key, or NULL */
} store_write_opts_t;

typedef struct store_result {
    store_status_t status;
    store_task_t *task;  /* get, create, modify */
    store_task_t *tasks; /* list: the page */
    size_t n_tasks;
    int64_t total;         /* list: matching rows before paging */
    bool more;             /* list: a matching task follows the page */
    store_user_t *user;    /* user operations */
    store_event_t *events; /* events_read: in id order */
    size_t n_events;
    int64_t last_event_id;        /* events_read: the user's newest id (0: none yet) */
    const store_answer_t *answer; /* writes with an idempotency key: the stored answer */
    bool replayed;                /* ... which an earlier request stored */
} store_result_t;

/** Called exactly once per operation. res and everything it points to live in
 *  the caller's arena (res itself may be on the store's stack: copy what you
 *  keep). */
typedef void (*store_cb)(void *ctx, const store_result_t *res);

/** What a modify callback decided. */
typedef enum store_modify {
    STORE_MODIFY_WRITE = 0,    /* write *next (and insert *successor if set) */
    STORE_MODIFY_NO_CHANGE = 1 /* leave the row alone; the result is cur */
    /* any negative value: refuse; the operation ends with STORE_REJECTED */
} store_modify_t;

/** Decides a change to a task inside the store's transaction, with the row
 *  locked. cur is the row as stored; *next starts as a copy of cur and is what
 *  will be written (id, user_id and created_at are kept whatever it says).
 *  To create the next occurrence of a recurring task, point *successor at a
 *  new record in arena (user_id set, id ignored): the store inserts it in the
 *  same transaction and sets next->successor_id to its id. Returns a
 *  store_modify_t, or a negative number to refuse (the callback keeps the
 *  reason in its own context). Called at most once per operation. */
typedef int (*store_modify_fn)(void *fn_ctx, arena_t *arena, const store_task_t *cur,
                               store_task_t *next, store_task_t **successor);

/* ---- lifetime ------------------------------------------------------------ */

typedef struct store store_t;               /* one per process */
typedef struct store_worker store_worker_t; /* one per event-loop thread */

/** The event loop a worker runs (an h2o_loop_t *, kept opaque here so the
 *  store does not depend on the HTTP layer's headers). */
typedef void store_loop_t;

typedef struct store_options {
    int pool_size;                /* PostgreSQL connections per worker */
    int query_timeout_ms;         /* PostgreSQL: per query; 0 = default (5000) */
    bool migrate_on_start;        /* apply pending migrations in store_open */
    store_task_json_fn task_json; /* event data; NULL: the data holds the id only */
    store_event_fn on_event;      /* NULL: nobody listens */
    void *on_event_ctx;
    const char *listen_url; /* PostgreSQL: a session URL for LISTEN; NULL: the main URL */
} store_options_t;

/** Opens the database named by url ("sqlite://PATH", "postgresql://...",
 *  "postgres://...", "postgresql+asyncpg://..."), checks it can be reached,
 *  and applies pending migrations if asked. On failure returns a negative
 *  store_status_t and writes one line (no secrets) into err. */
int store_open(const char *url, const store_options_t *opts, store_t **out, char *err,
               size_t errlen);
/** Closes the database. All workers must have been detached. */
void store_close(store_t *s);
/** Name of the backend: "sqlite" or "postgresql". */
const char *store_backend_name(const store_t *s);

/** Creates the per-thread handle on that thread's loop (PostgreSQL connects
 *  asynchronously from here on; SQLite opens its connection). */
int store_worker_new(store_t *s, store_loop_t *loop, store_worker_t **out);
/** Cancels what is pending (their callbacks run with STORE_UNAVAILABLE) and
 *  frees the handle; call on the worker's own thread. */
void store_worker_free(store_worker_t *w);

/** Pool statistics for /metrics: connections busy and requests waiting. */
typedef struct store_pool_stats {
    int size, in_use, waiting;
    bool connected;
} store_pool_stats_t;
void store_worker_stats(const store_worker_t *w, store_pool_stats_t *out);

/** Starts delivering committed events to options.on_event. PostgreSQL: a
 *  dedicated session connection on loop LISTENs, reconnects with backoff
 *  after a failure and then reports user_id NULL (look at the log again).
 *  SQLite: events are reported by the committing thread, loop is unused.
 *  Call once, on loop's thread; store_listen_stop on the same thread. */
void store_listen_start(store_t *s, store_loop_t *loop);
void store_listen_stop(store_t *s);

/* ---- operations -------------------------------------------------------- */

/** Checks that the database answers: STORE_OK or STORE_UNAVAILABLE. */
void store_ping(store_worker_t *w, store_cb cb, void *ctx);

/** One page of a user's tasks and the total count. */
void store_task_list(store_worker_t *w, arena_t *arena, const char *user_id,
                     const store_task_query_t *q, store_cb cb, void *ctx);
/** One task of this user, or STORE_NOT_FOUND. */
void store_task_get(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id, store_cb cb,
                    void *ctx);
/** Inserts t (its id is ignored); the result is the stored task with its id.
 *  opts (or NULL): an idempotency key (see store_idem_t). */
void store_task_create(store_worker_t *w, arena_t *arena, const store_task_t *t,
                       const store_write_opts_t *opts, store_cb cb, void *ctx);
/** Read-modify-write of one task in one transaction: see store_modify_fn.
 *  opts (or NULL): expected versions, checked after not-found and before fn
 *  runs; an idempotency key. Results: STORE_OK with the task as it now is,
 *  STORE_NOT_FOUND, STORE_PRECONDITION_FAILED, STORE_KEY_*, STORE_REJECTED,
 *  STORE_UNAVAILABLE or STORE_ERROR. */
void store_task_modify(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                       store_cb cb, void *ctx);
/** Deletes one task of this user: STORE_OK, STORE_NOT_FOUND, or (opts with
 *  expected versions) STORE_PRECONDITION_FAILED with nothing deleted. */
void store_task_delete(store_worker_t *w, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_cb cb, void *ctx);

/** Reads user_id's log after after_id: at most limit events (id order),
 *  leaving out those created before since (unix seconds: older than the
 *  history kept count as gone). res->last_event_id is the user's newest id
 *  whatever was read. */
void store_events_read(store_worker_t *w, arena_t *arena, const char *user_id, int64_t after_id,
                       int64_t since, int limit, store_cb cb, void *ctx);
/** Deletes at most limit events created before `before` (unix seconds), in
 *  one short transaction; res->total is how many went. */
void store_events_sweep(store_worker_t *w, int64_t before, int limit, store_cb cb, void *ctx);

/** Inserts a user: STORE_OK (result user) or STORE_CONFLICT on a taken email. */
void store_user_create(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                       void *ctx);
/** Finds a user by (already lower-cased) email, or STORE_NOT_FOUND. */
void store_user_get_by_email(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                             void *ctx);
/** Finds a user by id, or STORE_NOT_FOUND. */
void store_user_get(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx);
/** Deletes a user and, in the same transaction, all their tasks. */
void store_user_delete(store_worker_t *w, const char *id, store_cb cb, void *ctx);

#endif
