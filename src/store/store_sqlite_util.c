/* What the SQLite files share: reading the URL, opening and configuring a
 * connection, mapping result codes to store statuses, and decoding a task
 * row into the caller's arena. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/store_sqlite.h"

enum { BUSY_TIMEOUT_MS = 5000 };

store_status_t store__sqlite_fail(sqlite3 *db, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        LOG_WARN("sqlite: %s: %s (database unavailable)", what, sqlite3_errstr(rc));
        return STORE_UNAVAILABLE;
    default:
        /* errmsg names tables, columns and constraints, never values. */
        LOG_ERROR("sqlite: %s: %s", what, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        return STORE_ERROR;
    }
}

int store__sqlite_path(const char *url, char *out, size_t outlen, char *err, size_t errlen)
{
    static const char scheme[] = "sqlite://";
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(err, errlen, "not an sqlite:// URL");
        return -1;
    }
    const char *path = url + sizeof(scheme) - 1;
    if (*path == '\0') {
        snprintf(err, errlen, "sqlite:// URL has no path (e.g. sqlite://./data/todo.db)");
        return -1;
    }
    /* This SQLite is built with URI file names on: keep "file:..." a plain name. */
    const char *prefix = strncmp(path, "file:", 5) == 0 ? "./" : "";
    if ((size_t)snprintf(out, outlen, "%s%s", prefix, path) >= outlen) {
        snprintf(err, errlen, "sqlite:// path is too long");
        return -1;
    }
    return 0;
}

int store__sqlite_connect(const char *path, bool uri, sqlite3 **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (uri)
        flags |= SQLITE_OPEN_URI;
    *out = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open SQLite database %s: %s", path,
                 db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    /* Switching a new file to WAL can answer SQLITE_BUSY at once, without
     * the busy handler, while another connection opens the same file (several
     * servers or workers starting together): retry for up to the busy
     * timeout. This runs only when a connection is opened. */
    for (int waited_ms = 0;; waited_ms += 10) {
        rc = sqlite3_exec(db,
                          "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL;",
                          NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_sleep(10);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot use SQLite database %s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    *out = db;
    return 0;
fail:
    sqlite3_close(db);
    return -1;
}

static int recurrence_parse(const unsigned char *s)
{
    if (s == NULL)
        return RECURRENCE_NONE;
    if (strcmp((const char *)s, "daily") == 0)
        return RECURRENCE_DAILY;
    if (strcmp((const char *)s, "weekly") == 0)
        return RECURRENCE_WEEKLY;
    if (strcmp((const char *)s, "monthly") == 0)
        return RECURRENCE_MONTHLY;
    return RECURRENCE_NONE; /* the CHECK constraint makes this unreachable */
}

const char *store__sqlite_recurrence_name(task_recurrence_t r)
{
    switch (r) {
    case RECURRENCE_DAILY:
        return "daily";
    case RECURRENCE_WEEKLY:
        return "weekly";
    case RECURRENCE_MONTHLY:
        return "monthly";
    case RECURRENCE_NONE:
        break;
    }
    return NULL;
}

void store__sqlite_read_task(sqlite3_stmt *st, arena_t *arena, const char *user_id, store_task_t *t)
{
    /* The text columns, copied with one arena allocation per row. */
    enum { N_TEXT = 9 };
    static const int cols[N_TEXT] = {1, 2, 3, 5, 7, 8, 9, 12, 13};
    const char **dst[N_TEXT] = {&t->user_id,      &t->title,      &t->description,
                                &t->completed_at, &t->tags,       &t->due_date,
                                &t->due_time,     &t->created_at, &t->updated_at};
    const unsigned char *src[N_TEXT];
    size_t len[N_TEXT];
    size_t total = 0;

    for (int i = 0; i < N_TEXT; i++) {
        src[i] = NULL;
        len[i] = 0;
        if (i == 0 && user_id != NULL)
            continue;
        src[i] = sqlite3_column_text(st, cols[i]);
        if (src[i] != NULL) {
            len[i] = (size_t)sqlite3_column_bytes(st, cols[i]);
            total += len[i] + 1;
        }
    }
    char *p = total > 0 ? arena_alloc(arena, total) : NULL;
    for (int i = 0; i < N_TEXT; i++) {
        if (src[i] == NULL) {
            *dst[i] = NULL;
            continue;
        }
        memcpy(p, src[i], len[i]);
        p[len[i]] = '\0';
        *dst[i] = p;
        p += len[i] + 1;
    }
    if (user_id != NULL)
        t->user_id = user_id;

    /* sqlite3_column_int* give 0 for NULL, which is each field's "none". */
    t->id = sqlite3_column_int64(st, 0);
    t->completed = sqlite3_column_int(st, 4) != 0;
    t->priority = (task_priority_t)sqlite3_column_int(st, 6);
    t->recurrence_pattern = (task_recurrence_t)recurrence_parse(sqlite3_column_text(st, 10));
    t->recurrence_day = sqlite3_column_int(st, 11);
    t->successor_id = sqlite3_column_int64(st, 14);
    t->version = sqlite3_column_int64(st, 15);
}
