/* Settings from the environment (API.md section 1), from one table that gives
 * parsing, validation, --help and the README's table. */
#ifndef TODO_CORE_SETTINGS_H
#define TODO_CORE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/log.h"

typedef struct settings {
    const char *database_url;        /* DATABASE_URL, default "sqlite://./data/todo.db" */
    const char *host;                /* HOST, default "127.0.0.1" */
    int port;                        /* PORT, default 8000; 0 = any free port */
    int workers;                     /* WORKERS, default: number of CPUs */
    const char *secret;              /* BETTER_AUTH_SECRET (>= 32 bytes) or NULL */
    bool secret_generated;           /* true when serve made a random one */
    const char *jwks_url;            /* JWKS_URL or NULL */
    const char *jwks_file;           /* JWKS_FILE or NULL */
    int jwks_refresh_seconds;        /* JWKS_REFRESH_SECONDS, default 60: least time
                                        between two refetches for an unknown kid */
    const char *jwt_issuer;          /* JWT_ISSUER or NULL */
    const char *jwt_audience;        /* JWT_AUDIENCE or NULL */
    long token_ttl;                  /* TOKEN_TTL seconds, default 604800 */
    const char *cors_origins;        /* CORS_ORIGINS, default "http://localhost:3000" */
    int db_pool_size;                /* DB_POOL_SIZE per worker, default 4 */
    bool migrate_on_start;           /* MIGRATE_ON_START, default true */
    log_level_t log_level;           /* LOG_LEVEL, default info */
    log_format_t log_format;         /* LOG_FORMAT, default text */
    long max_body_bytes;             /* MAX_BODY_BYTES, default 65536 */
    const char *docs_assets_url;     /* DOCS_ASSETS_URL: where /docs loads its
                                        scripts from; default a CDN */
    const char *docs_assets_dir;     /* DOCS_ASSETS_DIR: Swagger UI's files served
                                        from here instead (offline), or NULL */
    const char *trusted_proxies;     /* TRUSTED_PROXIES: addresses/CIDR blocks, or NULL */
    int shutdown_drain_seconds;      /* SHUTDOWN_DRAIN_SECONDS, default 0 */
    const char *db_pool_mode;        /* DB_POOL_MODE: "session" (default) or "transaction" */
    const char *database_listen_url; /* DATABASE_LISTEN_URL or NULL (then DATABASE_URL) */
    long idempotency_ttl;            /* IDEMPOTENCY_TTL seconds, default 86400 */
    long events_retention;           /* EVENTS_RETENTION seconds, default 3600 */
    bool web_app;                    /* WEB_APP, default true */
} settings_t;

/** Fills s from the environment, then from --name=value / --name value
 *  flags in argv (each flag is the variable's name lower-cased with '-' for
 *  '_', e.g. --max-body-bytes); consumed flags are removed from argv. On a
 *  bad value returns -1 with one line naming the setting and why in err. */
int settings_load(settings_t *s, int *argc, char **argv, char *err, size_t errlen);
/** Prints the settings table (variable, default, meaning) for --help. */
void settings_print_help(FILE *out);

#endif
