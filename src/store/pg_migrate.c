/* The PostgreSQL migration driver (migrate.h): a blocking connection, a
 * session advisory lock so that servers starting together apply each
 * migration once, and each migration with its bookkeeping row in one
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/migrate.h"
#include "store/pg_conn.h"

/* pg_advisory_lock key: "todo_mig" read as a big-endian 64-bit number. */
#define MIGRATE_LOCK_KEY "8390035060319676775"

/* One line of the server's primary message (details may quote values). */
static void fail_line(PGconn *c, const PGresult *r, const char *what, char *err, size_t errlen)
{
    const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", msg != NULL ? msg : PQerrorMessage(c));
    pg_one_line(buf);
    snprintf(err, errlen, "%s: %s", what, buf);
}

/* Runs sql (one or several statements, or one with text parameters);
 * returns 0 or -1 with err. */
static int exec(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
                char *err, size_t errlen)
{
    PGresult *r = n > 0 ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(r);
        return 0;
    }
    fail_line(c, r, what, err, errlen);
    PQclear(r);
    return -1;
}

static int pg_lock(void *db, char *err, size_t errlen)
{
    return exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL,
                "taking the migration lock", err, errlen);
}

static int pg_unlock(void *db, char *err, size_t errlen)
{
    return exec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL,
                "releasing the migration lock", err, errlen);
}

static int pg_ensure_table(void *db, char *err, size_t errlen)
{
    return exec(db,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                0, NULL, "creating schema_migrations", err, errlen);
}

static int pg_applied(void *db, bool *applied, int max_version, char *err, size_t errlen)
{
    PGresult *r = PQexec(db, "SELECT version FROM schema_migrations");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_line(db, r, "reading schema_migrations", err, errlen);
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        long v = strtol(PQgetvalue(r, i, 0), NULL, 10);
        if (v >= 0 && v < max_version)
            applied[v] = true;
    }
    PQclear(r);
    return 0;
}

static int pg_apply(void *db, const migration_t *m, bool up, char *err, size_t errlen)
{
    char what[128], version[16];
    snprintf(what, sizeof(what), "migration %d %s (%s)", m->version, m->name, up ? "up" : "down");
    snprintf(version, sizeof(version), "%d", m->version);
    const char *params[2] = {version, m->name};
    if (exec(db, "BEGIN", 0, NULL, what, err, errlen) < 0)
        return -1;
    if (exec(db, up ? m->up : m->down, 0, NULL, what, err, errlen) < 0)
        goto rollback;
    if (up) {
        if (exec(db,
                 "INSERT INTO schema_migrations (version, name, applied_at) "
                 "VALUES ($1::integer, $2, now())",
                 2, params, what, err, errlen) < 0)
            goto rollback;
    } else if (exec(db, "DELETE FROM schema_migrations WHERE version = $1::integer", 1, params,
                    what, err, errlen) < 0) {
        goto rollback;
    }
    return exec(db, "COMMIT", 0, NULL, what, err, errlen);

rollback:;
    char ignored[512];
    exec(db, "ROLLBACK", 0, NULL, what, ignored, sizeof(ignored));
    return -1;
}

int migrate_pg_open(const char *url, migrate_driver_t *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    char *conninfo = pg_conninfo_from_url(url);
    if (conninfo == NULL) {
        snprintf(err, errlen, "not a PostgreSQL URL");
        return -1;
    }
    PGconn *c = NULL;
    if (pg_check_conninfo(conninfo, err, errlen) == 0)
        c = pg_connect_blocking(conninfo, err, errlen);
    free(conninfo);
    if (c == NULL)
        return -1;
    d->db = c;
    d->lock = pg_lock;
    d->unlock = pg_unlock;
    d->ensure_table = pg_ensure_table;
    d->applied = pg_applied;
    d->apply = pg_apply;
    return 0;
}

void migrate_pg_close(migrate_driver_t *d)
{
    if (d->db != NULL)
        PQfinish(d->db);
    d->db = NULL;
}
