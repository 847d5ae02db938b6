/* The command line: serve (the default), migrate, token, --help, --version.
 * Wiring only: settings, logging, auth, store, HTTP server. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "app.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/settings.h"
#include "events/events.h"
#include "http/docs.h"
#include "http/metrics.h"
#include "http/server.h"
#include "store/migrate.h"
#include "store/store.h"
#include "tasks/task_model.h"
#include "users/users.h"

#ifndef TODO_VERSION
#define TODO_VERSION "dev"
#endif

enum { EXIT_USAGE = 2 };

#if defined(__SANITIZE_ADDRESS__)
#define TODO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TODO_ASAN 1
#endif
#endif
#ifdef TODO_ASAN
/* LeakSanitizer's hook. h2o keeps per-thread free lists of memory-pool
 * chunks and socket buffers (h2o_mem_alloc_recycle) and has no call that
 * empties them, so they are still held when a worker thread ends. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}
#endif

static void print_help(FILE *out)
{
    fprintf(out,
            "todo-server %s: a multi-user todo REST API\n"
            "\n"
            "Usage:\n"
            "  todo-server [serve]                run the API server (the default)\n"
            "  todo-server migrate up [N]         apply pending migrations (all, or N)\n"
            "  todo-server migrate down [N]       undo the last N migrations (default 1)\n"
            "  todo-server migrate status         list migrations and whether they are applied\n"
            "  todo-server token --sub ID [--email E] [--ttl SECONDS]\n"
            "                                     print a signed HS256 token (development)\n"
            "  todo-server openapi                print the OpenAPI 3.1 document (JSON)\n"
            "  todo-server --help | --version\n"
            "\n"
            "Every setting below may also be given as a flag, which wins over the\n"
            "environment. An empty variable counts as unset. A bad value stops the\n"
            "program with exit status 2.\n"
            "\n",
            TODO_VERSION);
    settings_print_help(out);
}

/* Creates the folder that will hold a SQLite file (sqlite://./data/todo.db
 * needs ./data), like mkdir -p. Failures are left to store_open to report. */
static void ensure_sqlite_dir(const char *url)
{
    static const char prefix[] = "sqlite://";
    if (strncasecmp(url, prefix, sizeof(prefix) - 1) != 0)
        return;
    const char *path = url + sizeof(prefix) - 1;
    if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return;
    char dir[4096];
    size_t len = strcspn(path, "?");
    if (len >= sizeof(dir))
        return;
    memcpy(dir, path, len);
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        LOG_WARN("cannot create the database folder %s: %s", dir, strerror(errno));
}

static int cmd_serve(settings_t *s)
{
    char err[512];
    char secret[96];
    int rc = 1;
    auth_t *auth = NULL;
    store_t *store = NULL;
    buf_t doc = BUF_INIT;

    if (sodium_init() < 0) {
        LOG_ERROR("libsodium failed to initialise");
        return 1;
    }
    if (s->secret == NULL && s->jwks_url == NULL && s->jwks_file == NULL) {
        unsigned char raw[48];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(secret, sizeof(secret), raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof(raw));
        s->secret = secret;
        s->secret_generated = true;
        LOG_WARN("BETTER_AUTH_SECRET is not set: using a random secret, so tokens will not "
                 "survive a restart (development only)");
    }
    if (auth_new(s, &auth, err, sizeof(err)) != 0) {
        LOG_ERROR("authentication: %s", err);
        goto out;
    }
    if (users_init(auth) != 0) {
        LOG_ERROR("accounts: libsodium failed to initialise");
        goto out;
    }
    /* The document never changes: made once, served from memory. */
    app_openapi_write(&doc);
    if (docs_init("todo-server", doc.data, doc.len, s->docs_assets_url, s->docs_assets_dir, err,
                  sizeof(err)) != 0) {
        LOG_ERROR("%s", err);
        goto out;
    }
    ensure_sqlite_dir(s->database_url);
    store_options_t opts = {.pool_size = s->db_pool_size,
                            .query_timeout_ms = 0,
                            .migrate_on_start = s->migrate_on_start,
                            .task_json = task_encode,
                            .on_event = events_on_commit,
                            .listen_url = s->database_listen_url};
    events_init((size_t)s->workers, s->events_retention);
    if (store_open(s->database_url, &opts, &store, err, sizeof(err)) != 0) {
        LOG_ERROR("database: %s", err);
        goto out;
    }
    events_set_store(store);
    LOG_INFO("todo-server %s: database %s, %d workers", TODO_VERSION, store_backend_name(store),
             s->workers);

    size_t n_routes = app_routes_serving(s);
    metrics_init((size_t)s->workers, app_routes, n_routes, store_backend_name(store));
    server_config_t cfg = {.settings = s,
                           .store = store,
                           .routes = app_routes,
                           .n_routes = n_routes,
                           .authenticate = auth_authenticate,
                           .auth_ctx = auth,
                           .worker_start = events_worker_start,
                           .worker_stop = events_worker_stop};
    rc = server_run(&cfg) == 0 ? 0 : 1;

out:
    events_dispose();
    metrics_dispose();
    docs_dispose();
    buf_dispose(&doc);
    store_close(store);
    users_shutdown();
    auth_free(auth);
    if (s->secret_generated) {
        s->secret = NULL; /* it lived in this function's frame */
        s->secret_generated = false;
    }
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("todo-server %s\n", TODO_VERSION);
            return 0;
        }
    }

    /* Before any thread exists, so that every thread inherits the mask:
     * the server takes SIGTERM/SIGINT with sigwait. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    signal(SIGPIPE, SIG_IGN);

    settings_t s;
    char err[512];
    if (settings_load(&s, &argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "todo-server: %s\n", err);
        return EXIT_USAGE;
    }
    log_configure(s.log_level, s.log_format);

    const char *cmd = argc > 1 ? argv[1] : "serve";
    if (strcmp(cmd, "serve") == 0) {
        if (argc > 2) {
            fprintf(stderr, "todo-server: unexpected argument \"%s\" (see --help)\n",
                    argv[argc - 1]);
            return EXIT_USAGE;
        }
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
        return cmd_serve(&s);
    }
    if (strcmp(cmd, "migrate") == 0) {
        if (argc < 3) {
            fprintf(stderr, "todo-server: usage: todo-server migrate up|down [N]|status\n");
            return EXIT_USAGE;
        }
        ensure_sqlite_dir(s.database_url);
        return migrate_cli(s.database_url, argc - 2, argv + 2);
    }
    if (strcmp(cmd, "token") == 0)
        return auth_token_cli(&s, argc - 1, argv + 1);
    if (strcmp(cmd, "openapi") == 0 && argc == 2) {
        buf_t doc = BUF_INIT;
        app_openapi_write(&doc);
        int rc = fwrite(doc.data, 1, doc.len, stdout) == doc.len && fflush(stdout) == 0 ? 0 : 1;
        buf_dispose(&doc);
        return rc;
    }
    if (strncmp(cmd, "-", 1) == 0)
        fprintf(stderr, "todo-server: unknown option \"%s\" (see --help)\n", cmd);
    else
        fprintf(stderr, "todo-server: unknown command \"%s\" (see --help)\n", cmd);
    return EXIT_USAGE;
}
