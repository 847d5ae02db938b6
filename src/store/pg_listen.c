/* The LISTEN connection of the change log (API.md section 7.3): one session
 * connection per process, on one worker's event loop, non-blocking like the
 * pools' (h2o watches a dup() of libpq's socket). Every committed event
 * comes back as a notification "<user_id> <event id>", in commit order.
 *
 * When the connection fails (a database restart, a network cut) it is
 * closed and opened again every RETRY_MS; each time it is up again the
 * listener reports user NULL, so that every stream reads the log after its
 * last delivered id and nothing committed meanwhile is lost. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg_conn.h"

enum {
    RETRY_MS = 250, /* between connection attempts */
    CONNECT_TIMEOUT_MS = 5000,
    MAX_USER_ID = 128,
};

struct pg_listen {
    h2o_loop_t *loop;
    char *conninfo;
    char *listen_sql; /* "LISTEN <channel>" */
    store_event_fn fn;
    void *ctx;
    PGconn *pg;
    h2o_socket_t *sock; /* wraps dup(PQsocket(pg)) */
    h2o_timeout_t t_retry, t_connect;
    h2o_timeout_entry_t retry; /* on t_retry when down, on t_connect while connecting */
    bool up;
    bool down_logged;
    char target[256];
};

static void listen_start(pg_listen_t *l);

static void close_conn(pg_listen_t *l)
{
    if (l->sock != NULL) {
        h2o_socket_close(l->sock);
        l->sock = NULL;
    }
    if (l->pg != NULL) {
        PQfinish(l->pg);
        l->pg = NULL;
    }
    if (h2o_timeout_is_linked(&l->retry))
        h2o_timeout_unlink(&l->retry);
    l->up = false;
}

static void on_retry(h2o_timeout_entry_t *entry)
{
    pg_listen_t *l = H2O_STRUCT_FROM_MEMBER(pg_listen_t, retry, entry);
    listen_start(l);
}

/* Closes the connection after a failure and tries again later. */
static void listen_failed(pg_listen_t *l, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", why != NULL && *why ? why : "unknown error");
    pg_one_line(msg);
    if (!l->down_logged) {
        LOG_WARN("postgresql: change notifications from %s stopped: %s; reconnecting", l->target,
                 msg);
        l->down_logged = true;
    }
    close_conn(l);
    l->retry.cb = on_retry;
    h2o_timeout_link(l->loop, &l->t_retry, &l->retry);
}

/* "<user_id> <id>" into fn; anything else is ignored (and logged). */
static void deliver(pg_listen_t *l, const char *payload)
{
    const char *sp = strrchr(payload, ' ');
    size_t ulen = sp != NULL ? (size_t)(sp - payload) : 0;
    char *end = NULL;
    long long id = sp != NULL ? strtoll(sp + 1, &end, 10) : 0;
    if (ulen == 0 || ulen > MAX_USER_ID || end == NULL || *end != '\0' || id <= 0) {
        LOG_WARN("postgresql: ignoring a malformed change notification");
        return;
    }
    char user[MAX_USER_ID + 1];
    memcpy(user, payload, ulen);
    user[ulen] = '\0';
    l->fn(l->ctx, user, (int64_t)id);
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    pg_listen_t *l = sock->data;
    (void)err; /* PQconsumeInput finds out */
    if (PQconsumeInput(l->pg) != 1) {
        listen_failed(l, PQerrorMessage(l->pg));
        return;
    }
    while (!PQisBusy(l->pg)) {
        PGresult *res = PQgetResult(l->pg);
        if (res == NULL)
            break;
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st != PGRES_COMMAND_OK) {
            listen_failed(l, "LISTEN failed");
            return;
        }
    }
    PGnotify *n;
    while ((n = PQnotifies(l->pg)) != NULL) {
        deliver(l, n->extra);
        PQfreemem(n);
    }
    if (PQstatus(l->pg) == CONNECTION_BAD)
        listen_failed(l, PQerrorMessage(l->pg));
}

static int wrap_socket(pg_listen_t *l)
{
    int fd = PQsocket(l->pg);
    int dupfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (dupfd < 0)
        return -1;
    l->sock = h2o_evloop_socket_create(l->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    l->sock->data = l;
    return 0;
}

static void on_connect_event(h2o_socket_t *sock, const char *err);

static void connect_wait(pg_listen_t *l, PostgresPollingStatusType st)
{
    if (wrap_socket(l) != 0) {
        listen_failed(l, "no socket");
        return;
    }
    if (st == PGRES_POLLING_READING)
        h2o_socket_read_start(l->sock, on_connect_event);
    else
        h2o_socket_notify_write(l->sock, on_connect_event);
}

/* Connected: LISTEN, then report that the log may hold what was missed. */
static void listen_up(pg_listen_t *l)
{
    if (h2o_timeout_is_linked(&l->retry))
        h2o_timeout_unlink(&l->retry);
    if (PQsetnonblocking(l->pg, 1) != 0 || PQsendQuery(l->pg, l->listen_sql) != 1 ||
        PQflush(l->pg) != 0 || wrap_socket(l) != 0) {
        listen_failed(l, PQerrorMessage(l->pg));
        return;
    }
    h2o_socket_read_start(l->sock, on_readable);
    l->up = true;
    if (l->down_logged) {
        LOG_INFO("postgresql: change notifications from %s resumed", l->target);
        l->down_logged = false;
    }
    l->fn(l->ctx, NULL, 0);
}

static void on_connect_event(h2o_socket_t *sock, const char *err)
{
    pg_listen_t *l = sock->data;
    (void)err; /* PQconnectPoll finds out */
    h2o_socket_close(l->sock);
    l->sock = NULL;
    PostgresPollingStatusType st = PQconnectPoll(l->pg);
    if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING)
        connect_wait(l, st);
    else if (st != PGRES_POLLING_OK)
        listen_failed(l, PQerrorMessage(l->pg));
    else
        listen_up(l);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    pg_listen_t *l = H2O_STRUCT_FROM_MEMBER(pg_listen_t, retry, entry);
    listen_failed(l, "timed out");
}

static void listen_start(pg_listen_t *l)
{
    const char *keys[4], *values[4];
    pg_connect_params(l->conninfo, keys, values);
    l->pg = PQconnectStartParams(keys, values, 1);
    if (l->pg == NULL || PQstatus(l->pg) == CONNECTION_BAD) {
        listen_failed(l, l->pg != NULL ? PQerrorMessage(l->pg) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(l->pg, pg_notice_to_log, NULL);
    l->retry.cb = on_connect_timeout;
    h2o_timeout_link(l->loop, &l->t_connect, &l->retry);
    connect_wait(l, PGRES_POLLING_WRITING);
}

pg_listen_t *pg_listen_new(h2o_loop_t *loop, const char *conninfo, const char *channel,
                           store_event_fn fn, void *ctx)
{
    pg_listen_t *l = xcalloc(1, sizeof(*l));
    l->loop = loop;
    l->conninfo = xstrdup(conninfo);
    size_t n = strlen("LISTEN ") + strlen(channel) + 1;
    l->listen_sql = xmalloc(n);
    snprintf(l->listen_sql, n, "LISTEN %s", channel);
    l->fn = fn;
    l->ctx = ctx;
    pg_describe_target(conninfo, l->target, sizeof(l->target));
    h2o_timeout_init(loop, &l->t_retry, RETRY_MS);
    h2o_timeout_init(loop, &l->t_connect, CONNECT_TIMEOUT_MS);
    listen_start(l);
    return l;
}

void pg_listen_free(pg_listen_t *l)
{
    if (l == NULL)
        return;
    close_conn(l);
    h2o_timeout_dispose(l->loop, &l->t_retry);
    h2o_timeout_dispose(l->loop, &l->t_connect);
    free(l->listen_sql);
    free(l->conninfo);
    free(l);
}
