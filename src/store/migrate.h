/* Versioned, embedded SQL migrations with up and down, for both dialects.
 * The engine (migrate.c) is dialect-free; each backend supplies a driver. */
#ifndef TODO_STORE_MIGRATE_H
#define TODO_STORE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** One migration: version N, applied with `up`, undone with `down`. */
typedef struct migration {
    int version;
    const char *name; /* "create_tasks" */
    const char *up;
    const char *down;
} migration_t;

/* Embedded from migrations/sqlite/ and migrations/pg/ at build time, ordered
 * by version; both dialects have the same versions. */
extern const migration_t migrations_sqlite[];
extern const size_t migrations_sqlite_count;
extern const migration_t migrations_pg[];
extern const size_t migrations_pg_count;

/** What a dialect provides. Every function returns 0 or -1 with one line in
 *  err (no secrets). */
typedef struct migrate_driver {
    void *db;
    /* Serialise concurrent migrators (PostgreSQL: pg_advisory_lock). */
    int (*lock)(void *db, char *err, size_t errlen);
    int (*unlock)(void *db, char *err, size_t errlen);
    /* Create the bookkeeping table schema_migrations(version, name, applied_at)
     * if missing. */
    int (*ensure_table)(void *db, char *err, size_t errlen);
    /* Sets *applied[i] = true for each applied version i < max_version. */
    int (*applied)(void *db, bool *applied, int max_version, char *err, size_t errlen);
    /* Runs m->up (or m->down) and records (or removes) its version, in one
     * transaction. */
    int (*apply)(void *db, const migration_t *m, bool up, char *err, size_t errlen);
} migrate_driver_t;

typedef enum migrate_cmd { MIGRATE_UP, MIGRATE_DOWN, MIGRATE_STATUS } migrate_cmd_t;

/** Runs a command under the driver's lock. UP applies `steps` pending
 *  migrations (0 = all); DOWN undoes the last `steps` (0 means 1); STATUS
 *  prints one line per migration. Progress goes to report (may be NULL). */
int migrate_run(const migrate_driver_t *d, const migration_t *list, size_t n, migrate_cmd_t cmd,
                int steps, FILE *report, char *err, size_t errlen);

/** Counts in *pending the migrations of list not applied yet, creating the
 *  bookkeeping table if it is missing (and changing nothing else): for a
 *  server told not to migrate, which must refuse an out-of-date schema. */
int migrate_pending(const migrate_driver_t *d, const migration_t *list, size_t n, int *pending,
                    char *err, size_t errlen);

/** The `todo-server migrate up|down [N]|status` command, on the database of
 *  database_url. argv[0] is "up", "down" or "status". Returns the exit code. */
int migrate_cli(const char *database_url, int argc, char **argv);

/** Opens a blocking PostgreSQL connection for migrate_cli and fills d
 *  (store_pg.c). migrate_pg_close frees it. */
int migrate_pg_open(const char *url, migrate_driver_t *d, char *err, size_t errlen);
void migrate_pg_close(migrate_driver_t *d);

#endif
