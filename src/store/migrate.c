/* The migration engine: which migrations to run, in which order, under the
 * driver's lock. It knows no SQL; the drivers (migrate_sqlite.c, store_pg.c)
 * run it. Also the `todo-server migrate` command. */
#include "store/migrate.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_sqlite.h"

/* One progress line: to report, or to the log when report is NULL. */
__attribute__((format(printf, 2, 3))) static void say(FILE *report, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (report != NULL)
        fprintf(report, "%s\n", line);
    else
        LOG_INFO("%s", line);
}

/* The highest version in list; asserts list is in strictly rising order. */
static int max_version(const migration_t *list, size_t n)
{
    int max = 0;
    for (size_t i = 0; i < n; i++) {
        assert(list[i].version > max);
        max = list[i].version;
    }
    return max;
}

/* Reads which versions are applied into a new array indexed by version. */
static bool *read_applied(const migrate_driver_t *d, int max, char *err, size_t errlen)
{
    bool *applied = xcalloc((size_t)max + 1, sizeof(*applied));
    if (d->ensure_table(d->db, err, errlen) < 0 ||
        d->applied(d->db, applied, max + 1, err, errlen) < 0) {
        free(applied);
        return NULL;
    }
    return applied;
}

static int run_up(const migrate_driver_t *d, const migration_t *list, size_t n, const bool *applied,
                  int steps, FILE *report, char *err, size_t errlen)
{
    int done = 0;
    for (size_t i = 0; i < n && (steps == 0 || done < steps); i++) {
        const migration_t *m = &list[i];
        if (applied[m->version])
            continue;
        if (d->apply(d->db, m, true, err, errlen) < 0)
            return -1;
        say(report, "applied %d %s", m->version, m->name);
        done++;
    }
    if (done == 0)
        say(report, "nothing to apply: the schema is up to date");
    return 0;
}

static int run_down(const migrate_driver_t *d, const migration_t *list, size_t n,
                    const bool *applied, int steps, FILE *report, char *err, size_t errlen)
{
    int done = 0;
    if (steps == 0)
        steps = 1;
    for (size_t i = n; i > 0 && done < steps; i--) {
        const migration_t *m = &list[i - 1];
        if (!applied[m->version])
            continue;
        if (d->apply(d->db, m, false, err, errlen) < 0)
            return -1;
        say(report, "reverted %d %s", m->version, m->name);
        done++;
    }
    if (done == 0)
        say(report, "nothing to revert: no migration is applied");
    return 0;
}

int migrate_run(const migrate_driver_t *d, const migration_t *list, size_t n, migrate_cmd_t cmd,
                int steps, FILE *report, char *err, size_t errlen)
{
    assert(steps >= 0);
    int max = max_version(list, n);
    if (d->lock(d->db, err, errlen) < 0)
        return -1;

    int rc = -1;
    bool *applied = read_applied(d, max, err, errlen);
    if (applied == NULL)
        goto unlock;
    switch (cmd) {
    case MIGRATE_UP:
        rc = run_up(d, list, n, applied, steps, report, err, errlen);
        break;
    case MIGRATE_DOWN:
        rc = run_down(d, list, n, applied, steps, report, err, errlen);
        break;
    case MIGRATE_STATUS:
        for (size_t i = 0; i < n; i++)
            say(report, "%d %s %s", list[i].version, list[i].name,
                applied[list[i].version] ? "applied" : "pending");
        rc = 0;
        break;
    }
    free(applied);

unlock:;
    /* Keep the first error's message. */
    char unlock_err[256] = "";
    if (d->unlock(d->db, rc == 0 ? err : unlock_err, rc == 0 ? errlen : sizeof(unlock_err)) < 0)
        rc = -1;
    return rc;
}

int migrate_pending(const migrate_driver_t *d, const migration_t *list, size_t n, int *pending,
                    char *err, size_t errlen)
{
    int max = max_version(list, n);
    bool *applied = read_applied(d, max, err, errlen);
    if (applied == NULL)
        return -1;
    *pending = 0;
    for (size_t i = 0; i < n; i++)
        if (!applied[list[i].version])
            (*pending)++;
    free(applied);
    return 0;
}

/* ---- the command ---------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: todo-server migrate up [N] | down [N] | status\n"
                    "  up [N]     apply the next N pending migrations (all by default)\n"
                    "  down [N]   undo the last N applied migrations (1 by default)\n"
                    "  status     list every migration as applied or pending\n");
    return 2;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parses a step count: a whole number from 1 to INT_MAX. */
static int parse_steps(const char *s, int *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

int migrate_cli(const char *database_url, int argc, char **argv)
{
    migrate_cmd_t cmd;
    int steps = 0;
    if (argc < 1)
        return usage();
    if (strcmp(argv[0], "up") == 0)
        cmd = MIGRATE_UP;
    else if (strcmp(argv[0], "down") == 0)
        cmd = MIGRATE_DOWN;
    else if (strcmp(argv[0], "status") == 0)
        cmd = MIGRATE_STATUS;
    else
        return usage();
    if (argc > (cmd == MIGRATE_STATUS ? 1 : 2))
        return usage();
    if (argc == 2 && parse_steps(argv[1], &steps) < 0) {
        fprintf(stderr, "migrate: N must be a whole number from 1 up, not \"%s\"\n", argv[1]);
        return 2;
    }

    char err[512] = "";
    migrate_driver_t d;
    const migration_t *list;
    size_t n;
    bool sqlite = has_prefix(database_url, "sqlite://");
    if (sqlite) {
        list = migrations_sqlite;
        n = migrations_sqlite_count;
        if (migrate__sqlite_open(database_url, &d, err, sizeof(err)) < 0)
            goto fail;
    } else if (has_prefix(database_url, "postgresql://") ||
               has_prefix(database_url, "postgres://") ||
               has_prefix(database_url, "postgresql+asyncpg://")) {
        list = migrations_pg;
        n = migrations_pg_count;
        if (migrate_pg_open(database_url, &d, err, sizeof(err)) < 0)
            goto fail;
    } else {
        snprintf(err, sizeof(err),
                 "unsupported database URL scheme (use sqlite:// or postgresql://)");
        goto fail;
    }

    int rc = migrate_run(&d, list, n, cmd, steps, stdout, err, sizeof(err));
    fflush(stdout);
    if (sqlite)
        migrate__sqlite_close(&d);
    else
        migrate_pg_close(&d);
    if (rc == 0)
        return 0;
fail:
    fprintf(stderr, "migrate: %s\n", err);
    return 1;
}
