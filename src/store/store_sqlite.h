/* Private to src/store/: what the SQLite backend's files share. The backend
 * is split into the store and its operations (store_sqlite.c), the list
 * query (store_sqlite_list.c), connection and row helpers
 * (store_sqlite_util.c) and the migration driver (migrate_sqlite.c). */
#ifndef TODO_STORE_STORE_SQLITE_H
#define TODO_STORE_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "store/migrate.h"
#include "store/store.h"

/** The list query has 2^4 filter presence bits times 6 due filters WHERE
 *  shapes, each with 6 sort keys times 2 directions ORDER BY shapes. */
enum {
    SQLITE_LIST_WHERE_SHAPES = 16 * 6,
    SQLITE_LIST_SHAPES = SQLITE_LIST_WHERE_SHAPES * 6 * 2,
};

/** A worker's connection and its cached list statements, by query shape
 *  (store_sqlite.c keeps the other statements next to it). */
typedef struct sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *list[SQLITE_LIST_SHAPES];        /* page queries, lazily prepared */
    sqlite3_stmt *count[SQLITE_LIST_WHERE_SHAPES]; /* COUNT(*) queries, lazily prepared */
} sqlite_conn_t;

/** The columns every task query selects, in the order store__sqlite_read_task
 *  reads them. */
#define SQLITE_TASK_COLUMNS                                                                        \
    "id, user_id, title, description, completed, completed_at, priority, tags, due_date, "         \
    "due_time, recurrence_pattern, recurrence_day, created_at, updated_at, successor_id"

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

/** Fills d with the SQLite migration driver working on db (not owned). */
void migrate__sqlite_driver(sqlite3 *db, migrate_driver_t *d);

/** Opens the database of a "sqlite://" URL for the migrate command and fills
 *  d; migrate__sqlite_close closes it. */
int migrate__sqlite_open(const char *url, migrate_driver_t *d, char *err, size_t errlen);
void migrate__sqlite_close(migrate_driver_t *d);

#endif
