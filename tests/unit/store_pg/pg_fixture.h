/* What the PostgreSQL store tests share. They need a database: the URL in
 * TEST_DATABASE_URL (a role that may create schemas in it). Without it each
 * test program says so and exits 77, which meson reports as skipped.
 *
 * Every fixture works in a schema of its own (search_path set through the
 * URL's options), created here and dropped afterwards, so tests neither see
 * nor disturb anything else in that database. The store runs on an h2o event
 * loop of the test's own; run_until() turns it until callbacks have come.
 *
 * A small TCP proxy (proxy_*) sits between a store and PostgreSQL when a test
 * must make the database disappear and come back.
 *
 * Include after <cmocka.h>. */
#ifndef TODO_TESTS_PG_FIXTURE_H
#define TODO_TESTS_PG_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <h2o/socket.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "store/store.h"

/** The database under test, or NULL. */
static inline const char *pg_base_url(void)
{
    const char *u = getenv("TEST_DATABASE_URL");
    return u != NULL && *u != '\0' ? u : NULL;
}

/** Call first in main(): exits 77 (skipped) when there is no database. */
static inline void pg_require_database(const char *prog)
{
    if (pg_base_url() == NULL) {
        printf("1..0 # SKIP %s: TEST_DATABASE_URL is not set; set it to a postgresql:// URL "
               "to run the PostgreSQL store tests\n",
               prog);
        fflush(stdout);
        exit(77);
    }
}

static inline uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** base with query parameters params ("a=b&c=d") appended. */
static inline void url_with(char *out, size_t len, const char *base, const char *params)
{
    int n = snprintf(out, len, "%s%s%s", base, strchr(base, '?') ? "&" : "?", params);
    assert_true(n > 0 && (size_t)n < len);
}

/* ---- a blocking connection for checks ----------------------------------- */

static inline void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static inline PGconn *admin_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to TEST_DATABASE_URL: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    return c;
}

__attribute__((format(printf, 2, 3))) static inline void admin_exec(PGconn *c, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/** The first column of the first row of a query, as a number. */
__attribute__((format(printf, 2, 3))) static inline long long admin_num(PGconn *c, const char *fmt,
                                                                        ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    long long v = PQgetisnull(r, 0, 0) ? -1 : atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* ---- the store on a loop ----------------------------------------------- */

typedef struct pgfx {
    char schema[64];
    char url[2048]; /* TEST_DATABASE_URL in the fixture's schema */
    h2o_loop_t *loop;
    store_t *store;
    store_worker_t *w;
    arena_t *arena;
    PGconn *admin;  /* search_path = the schema */
    PGconn *locker; /* a test's second session, closed by pgfx_free */
} pgfx_t;

typedef struct capture {
    int calls;
    store_result_t res;
} capture_t;

static inline void capture_cb(void *ctx, const store_result_t *res)
{
    capture_t *c = ctx;
    c->calls++;
    c->res = *res;
}

/** Turns loop until *calls reaches want (at most 30 s). */
static inline void run_until(h2o_loop_t *loop, const int *calls, int want)
{
    uint64_t deadline = ms_now() + 30000;
    while (*calls < want && ms_now() < deadline)
        h2o_evloop_run(loop, 20);
    assert_int_equal(*calls, want);
}

/** Turns loop for about ms milliseconds. */
static inline void run_for(h2o_loop_t *loop, int ms)
{
    uint64_t deadline = ms_now() + (uint64_t)ms;
    while (ms_now() < deadline)
        h2o_evloop_run(loop, 10);
}

/** Makes a fresh schema and f->url, TEST_DATABASE_URL in it. */
static inline void pgfx_schema(pgfx_t *f)
{
    static int seq;
    snprintf(f->schema, sizeof(f->schema), "tpg_%ld_%d_%d", (long)getpid(),
             (int)(time(NULL) % 100000), ++seq);
    char params[128];
    snprintf(params, sizeof(params), "options=-csearch_path%%3D%s", f->schema);
    url_with(f->url, sizeof(f->url), pg_base_url(), params);
    PGconn *c = admin_connect(pg_base_url());
    admin_exec(c, "CREATE SCHEMA %s", f->schema);
    PQfinish(c);
    f->admin = admin_connect(f->url);
}

/** Opens the store on url (migrating it) with its own loop and one worker. */
static inline void pgfx_open_url(pgfx_t *f, const char *url, int pool_size, int timeout_ms)
{
    char err[512] = "";
    store_options_t opts = {
        .pool_size = pool_size, .query_timeout_ms = timeout_ms, .migrate_on_start = true};
    int rc = store_open(url, &opts, &f->store, err, sizeof(err));
    if (rc != 0)
        fail_msg("store_open: %s", err);
    assert_string_equal(store_backend_name(f->store), "postgresql");
    f->loop = h2o_evloop_create();
    assert_int_equal(store_worker_new(f->store, f->loop, &f->w), 0);
    f->arena = arena_new();
}

/** A fixture whose store uses f->url plus the query parameters extra. */
static inline pgfx_t *pgfx_new(const char *extra, int pool_size, int timeout_ms)
{
    pgfx_t *f = calloc(1, sizeof(*f));
    pgfx_schema(f);
    char url[sizeof(f->url) + 256];
    if (extra != NULL)
        url_with(url, sizeof(url), f->url, extra);
    else
        snprintf(url, sizeof(url), "%s", f->url);
    pgfx_open_url(f, url, pool_size, timeout_ms);
    return f;
}

/** Frees the worker and the store; the schema stays (pgfx_free drops it). */
static inline void pgfx_close_store(pgfx_t *f)
{
    store_worker_free(f->w);
    f->w = NULL;
    h2o_evloop_run(f->loop, 0); /* h2o frees closed sockets on its next turn */
    store_close(f->store);
    f->store = NULL;
    h2o_evloop_destroy(f->loop);
    f->loop = NULL;
    arena_free(f->arena);
    f->arena = NULL;
}

static inline void pgfx_free(pgfx_t *f)
{
    if (f == NULL)
        return;
    if (f->store != NULL)
        pgfx_close_store(f);
    if (f->locker != NULL)
        PQfinish(f->locker); /* a failed test may leave it holding a lock */
    PQfinish(f->admin);
    PGconn *c = admin_connect(pg_base_url());
    admin_exec(c, "DROP SCHEMA %s CASCADE", f->schema);
    PQfinish(c);
    free(f);
}

/* ---- shortcuts for operations ------------------------------------------- */

/** A task of user with every optional field null. */
static inline store_task_t task_make(const char *user, const char *title)
{
    return (store_task_t){
        .user_id = user,
        .title = title,
        .created_at = "2025-12-10T10:00:00Z",
        .updated_at = "2025-12-10T10:00:00Z",
    };
}

static inline capture_t do_create(pgfx_t *f, const store_task_t *t)
{
    capture_t c = {0};
    store_task_create(f->w, f->arena, t, NULL, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    return c;
}

static inline int64_t task_insert(pgfx_t *f, const store_task_t *t)
{
    capture_t c = do_create(f, t);
    assert_int_equal(c.res.status, STORE_OK);
    assert_non_null(c.res.task);
    assert_true(c.res.task->id > 0);
    return c.res.task->id;
}

static inline capture_t do_get(pgfx_t *f, const char *user, int64_t id)
{
    capture_t c = {0};
    store_task_get(f->w, f->arena, user, id, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    return c;
}

static inline capture_t do_ping(pgfx_t *f)
{
    capture_t c = {0};
    store_ping(f->w, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    return c;
}

/** Turns the loop until no connection has work (background statements, such
 *  as a modify's ROLLBACK, included), at most 30 s; returns the stats. */
static inline store_pool_stats_t wait_idle(pgfx_t *f)
{
    store_pool_stats_t st;
    uint64_t deadline = ms_now() + 30000;
    do {
        h2o_evloop_run(f->loop, 10);
        store_worker_stats(f->w, &st);
    } while ((st.in_use > 0 || st.waiting > 0) && ms_now() < deadline);
    return st;
}

/** Pings until the store answers (at most 30 s); returns the tries made. */
static inline int wait_ready(pgfx_t *f)
{
    uint64_t deadline = ms_now() + 30000;
    int tries = 0;
    for (;;) {
        tries++;
        capture_t c = do_ping(f);
        if (c.res.status == STORE_OK)
            return tries;
        assert_int_equal(c.res.status, STORE_UNAVAILABLE);
        if (ms_now() > deadline)
            fail_msg("the store did not come back within 30 s");
        run_for(f->loop, 50);
    }
}

/** Pings on w until it answers, then lets the rest of its pool connect.
 *  Uses no cmocka assertion (threads call it): returns -1 after 30 s. */
static inline int worker_wait_ready(store_worker_t *w, h2o_loop_t *loop)
{
    uint64_t deadline = ms_now() + 30000;
    for (;;) {
        capture_t c = {0};
        store_ping(w, capture_cb, &c);
        while (c.calls == 0 && ms_now() < deadline)
            h2o_evloop_run(loop, 20);
        if (c.calls == 1 && c.res.status == STORE_OK)
            break;
        if (ms_now() >= deadline)
            return -1;
        run_for(loop, 50);
    }
    run_for(loop, 200);
    return 0;
}

/* ---- a TCP proxy that can make the database vanish ---------------------- */

enum { PROXY_MAX_PAIRS = 64 };

typedef struct proxy {
    int port;      /* where it listens, on 127.0.0.1 */
    int ctl[2];    /* commands: 'd' down, 'u' up, 'q' quit */
    int listen_fd; /* -1 while down */
    int pairs[PROXY_MAX_PAIRS][2];
    int n_pairs;
    struct sockaddr_storage target;
    socklen_t target_len;
    pthread_t thread;
    int ack[2]; /* the thread answers each command through it */
} proxy_t;

static inline int proxy_listen(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline void proxy_drop_all(proxy_t *p)
{
    for (int i = 0; i < p->n_pairs; i++) {
        close(p->pairs[i][0]);
        close(p->pairs[i][1]);
    }
    p->n_pairs = 0;
}

static inline void proxy_drop(proxy_t *p, int i)
{
    close(p->pairs[i][0]);
    close(p->pairs[i][1]);
    p->pairs[i][0] = p->pairs[p->n_pairs - 1][0];
    p->pairs[i][1] = p->pairs[p->n_pairs - 1][1];
    p->n_pairs--;
}

static inline void *proxy_main(void *arg)
{
    proxy_t *p = arg;
    for (;;) {
        struct pollfd fds[2 + 2 * PROXY_MAX_PAIRS];
        int n = 0;
        fds[n++] = (struct pollfd){.fd = p->ctl[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        for (int i = 0; i < p->n_pairs; i++) {
            fds[n++] = (struct pollfd){.fd = p->pairs[i][0], .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = p->pairs[i][1], .events = POLLIN};
        }
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue;
        if (fds[0].revents & POLLIN) {
            char cmd;
            if (read(p->ctl[0], &cmd, 1) != 1 || cmd == 'q') {
                proxy_drop_all(p);
                if (p->listen_fd >= 0)
                    close(p->listen_fd);
                return NULL;
            }
            if (cmd == 'd') {
                proxy_drop_all(p);
                if (p->listen_fd >= 0)
                    close(p->listen_fd);
                p->listen_fd = -1;
            } else if (cmd == 'u' && p->listen_fd < 0) {
                p->listen_fd = proxy_listen(p->port);
            }
            assert_int_equal(write(p->ack[1], "k", 1), 1);
            continue;
        }
        if (p->listen_fd >= 0 && (fds[1].revents & POLLIN)) {
            int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                int s = socket(p->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (p->n_pairs == PROXY_MAX_PAIRS || s < 0 ||
                    connect(s, (struct sockaddr *)&p->target, p->target_len) != 0) {
                    close(c);
                    if (s >= 0)
                        close(s);
                } else {
                    p->pairs[p->n_pairs][0] = c;
                    p->pairs[p->n_pairs][1] = s;
                    p->n_pairs++;
                }
            }
            continue; /* the pair list changed */
        }
        for (int i = p->n_pairs - 1; i >= 0; i--) {
            for (int side = 0; side < 2; side++) {
                if (!(fds[2 + 2 * i + side].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char buf[16384];
                ssize_t got = read(p->pairs[i][side], buf, sizeof(buf));
                if (got <= 0 || write(p->pairs[i][!side], buf, (size_t)got) != got) {
                    proxy_drop(p, i);
                    break;
                }
            }
        }
    }
}

/** Starts a proxy to the host and port of TEST_DATABASE_URL (TCP or a unix
 *  socket directory) and writes into url the fixture URL that goes through
 *  it. */
static inline proxy_t *proxy_start(const char *fixture_url, char *url, size_t len)
{
    proxy_t *p = calloc(1, sizeof(*p));
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(pg_base_url(), &errmsg);
    assert_non_null(opts);
    const char *host = "/var/run/postgresql", *port = "5432";
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val != NULL && *o->val && strcmp(o->keyword, "host") == 0)
            host = o->val;
        if (o->val != NULL && *o->val && strcmp(o->keyword, "port") == 0)
            port = o->val;
    }
    if (host[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)&p->target;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof(un->sun_path), "%s/.s.PGSQL.%s", host, port);
        p->target_len = sizeof(*un);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&p->target;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)atoi(port));
        assert_int_equal(
            inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &in->sin_addr), 1);
        p->target_len = sizeof(*in);
    }
    PQconninfoFree(opts);
    p->listen_fd = -1;
    for (unsigned tries = 0; tries < 50 && p->listen_fd < 0; tries++) {
        p->port = 20000 + (int)(((unsigned)getpid() * 7919u + tries * 104729u) % 40000);
        p->listen_fd = proxy_listen(p->port);
    }
    assert_true(p->listen_fd >= 0);
    assert_int_equal(pipe(p->ctl), 0);
    assert_int_equal(pipe(p->ack), 0);
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
    char params[64];
    snprintf(params, sizeof(params), "host=127.0.0.1&port=%d", p->port);
    url_with(url, len, fixture_url, params);
    return p;
}

static inline void proxy_command(proxy_t *p, char cmd)
{
    char k;
    assert_int_equal(write(p->ctl[1], &cmd, 1), 1);
    assert_int_equal(read(p->ack[0], &k, 1), 1);
}

/** Closes every proxied connection and refuses new ones. */
static inline void proxy_down(proxy_t *p)
{
    proxy_command(p, 'd');
}

/** Accepts connections again. */
static inline void proxy_up(proxy_t *p)
{
    proxy_command(p, 'u');
}

static inline void proxy_stop(proxy_t *p)
{
    char q = 'q';
    assert_int_equal(write(p->ctl[1], &q, 1), 1);
    pthread_join(p->thread, NULL);
    close(p->ctl[0]);
    close(p->ctl[1]);
    close(p->ack[0]);
    close(p->ack[1]);
    free(p);
}

#endif
