/* Listening sockets, worker threads, signals and the graceful stop.
 *
 * The main thread binds one socket per worker (SO_REUSEPORT, so the kernel
 * spreads connections), starts the workers, logs "listening on ..." once
 * each has its event loop and store handle, then waits for SIGTERM/SIGINT
 * with sigwait (the signals are blocked in every thread). To stop, it sends
 * each worker a message on its h2o queue: the worker closes its listener,
 * closes idle keep-alive connections, lets requests in flight finish (10 s
 * at most), frees its store handle on its own thread and exits. */
#include "http/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/internal.h"
#include "http/metrics.h"

enum {
    HTTP_REQ_TIMEOUT_MS = 15000,     /* whole request headers+body, and keep-alive idle time */
    HTTP_STOP_GRACE_MS = 10000,      /* requests in flight get this long at shutdown */
    HTTP_MIN_ENTITY_LIMIT = 1 << 20, /* h2o's own limit: at least 1 MiB, see configure_h2o */
    HTTP_ACCEPT_BATCH = 32,
};

/* ---- listening sockets ------------------------------------------------------ */

/* A listening socket on ai's address and port. reuse_port: join the
 * SO_REUSEPORT group (every worker's socket); without it the bind fails when
 * anything else holds the port, even another SO_REUSEPORT group. */
static int open_listener(const struct addrinfo *ai, int port, bool reuse_port, char *err,
                         size_t errlen)
{
    struct sockaddr_storage ss;
    int one = 1;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Binds every worker's socket to HOST:PORT; the first one picks the port
 * when PORT is 0. Returns the port, or -1 after logging why. */
static int open_listeners(http_server_t *srv)
{
    const settings_t *s = srv->settings;
    struct addrinfo hints, *res = NULL;
    char err[128];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(s->host, NULL, &hints, &res);
    if (rc != 0) {
        LOG_ERROR("cannot listen on %s: %s", s->host, gai_strerror(rc));
        return -1;
    }
    int port = s->port;
    if (port != 0) {
        /* SO_REUSEPORT would silently share the port with another server of
         * this user: first check that nobody holds it. */
        int probe = open_listener(res, port, false, err, sizeof(err));
        if (probe < 0) {
            LOG_ERROR("cannot listen on %s:%d: %s", s->host, port, err);
            freeaddrinfo(res);
            return -1;
        }
        close(probe);
    }
    for (size_t i = 0; i < srv->n_workers; i++) {
        int fd = open_listener(res, port, true, err, sizeof(err));
        if (fd < 0) {
            LOG_ERROR("cannot listen on %s:%d: %s", s->host, port, err);
            freeaddrinfo(res);
            return -1;
        }
        srv->workers[i].listen_fd = fd;
        if (port == 0) {
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof(ss));
            socklen_t len = sizeof(ss);
            if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
                LOG_ERROR("cannot read the port of %s: %s", s->host, strerror(errno));
                freeaddrinfo(res);
                return -1;
            }
            port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    freeaddrinfo(res);
    return port;
}

/* ---- accepting -------------------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_accept_resume(h2o_timeout_entry_t *entry)
{
    http_worker_t *w = H2O_STRUCT_FROM_MEMBER(http_worker_t, accept_resume, entry);
    if (w->listener != NULL)
        h2o_socket_read_start(w->listener, on_accept);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    http_worker_t *w = listener->data;
    if (err != NULL)
        return;
    for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
        errno = 0;
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: pausing beats spinning on a ready listener. */
                LOG_WARN("worker %d: cannot accept (%s); pausing for a second", w->index,
                         strerror(errno));
                h2o_socket_read_stop(listener);
                h2o_timeout_link(w->ctx.loop, &w->ctx.one_sec_timeout, &w->accept_resume);
            }
            return;
        }
        http__edge_accept(w, sock);
    }
}

/* ---- stopping --------------------------------------------------------------- */

static int shut_connection(h2o_req_t *req, void *all)
{
    /* version 0: no request read yet, so the connection is idle (or still
     * sending its first line) */
    if (req->version == 0 || *(bool *)all) {
        h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
        if (sock != NULL)
            shutdown(h2o_socket_get_fd(sock), SHUT_RDWR); /* h2o sees EOF and closes it */
    }
    return 0;
}

static void shut_connections(http_worker_t *w, bool all)
{
    w->server->globalconf.http1.callbacks.foreach_request(&w->ctx, shut_connection, &all);
}

static void close_listener(http_worker_t *w)
{
    if (h2o_timeout_is_linked(&w->accept_resume))
        h2o_timeout_unlink(&w->accept_resume);
    if (w->listener != NULL) {
        h2o_socket_read_stop(w->listener);
        h2o_socket_close(w->listener);
        w->listener = NULL;
    }
    if (w->listen_fd >= 0) {
        close(w->listen_fd);
        w->listen_fd = -1;
    }
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    http_worker_t *w = H2O_STRUCT_FROM_MEMBER(http_worker_t, control, receiver);
    /* The only message is stop_msg: detach it (leaving it unlinked). */
    for (h2o_linklist_t *node = messages->next, *next; node != messages; node = next) {
        next = node->next;
        node->next = node->prev = NULL;
    }
    h2o_linklist_init_anchor(messages);
    if (w->stopping)
        return;
    w->stopping = true;
    w->stop_deadline = h2o_now(w->ctx.loop) + HTTP_STOP_GRACE_MS;
    close_listener(w);
    http__streams_stop(w); /* event streams end now: they never finish by themselves */
    h2o_context_request_shutdown(&w->ctx);
}

static bool drained(http_worker_t *w)
{
    shut_connections(w, false);
    if (w->offload_pending != 0)
        return false; /* a job in the pool will send to our queue */
    if (w->live_requests == 0 && h2o_linklist_is_empty(&w->ctx.http1._conns))
        return true;
    return h2o_now(w->ctx.loop) >= w->stop_deadline;
}

/* ---- workers ---------------------------------------------------------------- */

static void report_start(http_worker_t *w, bool ok)
{
    http_server_t *srv = w->server;
    pthread_mutex_lock(&srv->lock);
    srv->n_started++;
    if (!ok)
        srv->start_failed = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
}

static void worker_teardown(http_worker_t *w)
{
    http_server_t *srv = w->server;
    h2o_evloop_t *loop = w->ctx.loop;
    close_listener(w);
    metrics_worker_stop(w);
    store_worker_free(w->store); /* pending operations answer STORE_UNAVAILABLE */
    w->store = NULL;
    if (w->started && srv->cfg.worker_stop != NULL)
        srv->cfg.worker_stop(srv->cfg.worker_ctx, w->index, loop);
    for (int i = 0; i < 50 && !h2o_linklist_is_empty(&w->ctx.http1._conns); i++) {
        shut_connections(w, true);
        h2o_evloop_run(loop, 10);
    }
    http__edge_linger_stop(w);
    while (w->n_spare_arenas > 0)
        arena_free(w->spare_arenas[--w->n_spare_arenas]);

    /* The main thread may still be writing the stop message into our queue:
     * wait until it is done with every worker before destroying the queue. */
    pthread_mutex_lock(&srv->lock);
    while (!srv->stop_sent)
        pthread_cond_wait(&srv->cond, &srv->lock);
    pthread_mutex_unlock(&srv->lock);

    if (!h2o_linklist_is_empty(&w->ctx.http1._conns) || w->live_requests != 0) {
        LOG_WARN("worker %d: %zu requests were cut off at shutdown", w->index, w->live_requests);
        return; /* leave the loop as it is; the process is about to exit */
    }
    /* h2o_context_request_shutdown armed HTTP/2's GOAWAY timer (unused here). */
    if (h2o_timeout_is_linked(&w->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&w->ctx.http2._graceful_shutdown_timeout);
    h2o_multithread_unregister_receiver(w->ctx.queue, &w->control);
    h2o_multithread_unregister_receiver(w->ctx.queue, &w->offload);
    h2o_context_dispose(&w->ctx);
    free(w->ctx.queue); /* h2o 2.2.5's evloop h2o_multithread_destroy_queue leaves it */
    if (h2o_linklist_is_empty(&loop->_timeouts))
        h2o_evloop_destroy(loop);
}

static void *worker_main(void *arg)
{
    http_worker_t *w = arg;
    http_server_t *srv = w->server;
    h2o_evloop_t *loop = h2o_evloop_create();

    h2o_context_init(&w->ctx, loop, &srv->globalconf);
    h2o_linklist_init_anchor(&w->streams);
    h2o_linklist_init_anchor(&w->lingering);
    h2o_multithread_register_receiver(w->ctx.queue, &w->control, on_control);
    h2o_multithread_register_receiver(w->ctx.queue, &w->offload, http__offload_on_done);
    w->accept_resume.cb = on_accept_resume;
    if (store_worker_new(srv->cfg.store, loop, &w->store) != 0) {
        /* The main thread sees the failure and stops every worker. */
        LOG_ERROR("worker %d: cannot open its database handle", w->index);
        w->store = NULL;
        report_start(w, false);
    } else {
        w->accept_ctx.ctx = &w->ctx;
        w->accept_ctx.hosts = srv->globalconf.hosts;
        w->listener = h2o_evloop_socket_create(loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
        w->listen_fd = -1;
        w->listener->data = w;
        h2o_socket_read_start(w->listener, on_accept);
        metrics_worker_start(w);
        if (srv->cfg.worker_start != NULL)
            srv->cfg.worker_start(srv->cfg.worker_ctx, w->index, w->store, loop);
        w->started = true;
        report_start(w, true);
    }

    while (!(w->stopping && drained(w))) {
        if (h2o_evloop_run(loop, w->stopping ? 100 : INT32_MAX) != 0 && errno != EINTR) {
            LOG_ERROR("worker %d: event loop failed: %s", w->index, strerror(errno));
            break;
        }
    }
    worker_teardown(w);
    return NULL;
}

static void stop_workers(http_server_t *srv, size_t n_running)
{
    for (size_t i = 0; i < n_running; i++)
        h2o_multithread_send_message(&srv->workers[i].control, &srv->workers[i].stop_msg);
    pthread_mutex_lock(&srv->lock);
    srv->stop_sent = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    for (size_t i = 0; i < n_running; i++)
        pthread_join(srv->workers[i].thread, NULL);
}

/* ---- the server ------------------------------------------------------------- */

static void configure_h2o(http_server_t *srv)
{
    h2o_globalconf_t *gc = &srv->globalconf;
    h2o_config_init(gc);
    gc->server_name = h2o_iovec_init(H2O_STRLIT("")); /* no Server header */
    /* h2o answers 413 itself, before our handler, once Content-Length or the
     * chunked body passes this; below it our handler answers with the JSON
     * error, so keep it a little above MAX_BODY_BYTES. */
    size_t limit = (size_t)srv->settings->max_body_bytes;
    gc->max_request_entity_size = limit > HTTP_MIN_ENTITY_LIMIT ? limit : HTTP_MIN_ENTITY_LIMIT;
    gc->http1.req_timeout = HTTP_REQ_TIMEOUT_MS;
    gc->http1.upgrade_to_http2 = 0; /* HTTP/1.1 only; TLS and h2 belong to a proxy */
    h2o_hostconf_t *host =
        h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    /* Everything lands on the fallback path: one handler, one filter. */
    h2o_handler_t *handler = h2o_create_handler(&host->fallback_path, sizeof(*handler));
    handler->on_req = http__on_request;
    h2o_filter_t *filter = h2o_create_filter(&host->fallback_path, sizeof(*filter));
    filter->on_setup_ostream = http__on_setup_ostream;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

int server_run(const server_config_t *cfg)
{
    int ret = -1;
    size_t n_running = 0;
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask); /* inherited by our threads */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    http_server_t *srv = xcalloc(1, sizeof(*srv));
    srv->cfg = *cfg;
    srv->settings = cfg->settings;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->cond, NULL);
    configure_h2o(srv);
    srv->router = router_new(cfg->routes, cfg->n_routes);
    srv->cors = cors_new(srv->settings->cors_origins);
    char why[160];
    if (srv->settings->trusted_proxies != NULL &&
        ipnet_list_parse(srv->settings->trusted_proxies, &srv->trusted, why, sizeof(why)) != 0) {
        LOG_ERROR("TRUSTED_PROXIES: %s", why); /* settings_load checked it already */
        goto out;
    }
    srv->n_workers = (size_t)srv->settings->workers;
    srv->workers = xcalloc(srv->n_workers, sizeof(*srv->workers));
    for (size_t i = 0; i < srv->n_workers; i++) {
        srv->workers[i].server = srv;
        srv->workers[i].index = (int)i;
        srv->workers[i].listen_fd = -1;
    }
    int workers = srv->settings->workers;
    srv->offload = http__offload_new(workers < 2 ? 2 : workers > 8 ? 8 : workers);

    int port = open_listeners(srv);
    if (port < 0)
        goto out;

    for (; n_running < srv->n_workers; n_running++) {
        if (pthread_create(&srv->workers[n_running].thread, NULL, worker_main,
                           &srv->workers[n_running]) != 0) {
            LOG_ERROR("cannot start worker thread %zu", n_running);
            break;
        }
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->n_started < n_running)
        pthread_cond_wait(&srv->cond, &srv->lock);
    bool failed = srv->start_failed || n_running < srv->n_workers;
    pthread_mutex_unlock(&srv->lock);
    if (failed) {
        stop_workers(srv, n_running);
        goto out;
    }

    const char *host = srv->settings->host;
    bool v6 = strchr(host, ':') != NULL;
    LOG_INFO("listening on http://%s%s%s:%d (%zu worker%s)", v6 ? "[" : "", host, v6 ? "]" : "",
             port, srv->n_workers, srv->n_workers == 1 ? "" : "s");

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    LOG_INFO("%s received: finishing requests in flight, then stopping", signal_name(sig));
    stop_workers(srv, n_running);
    LOG_INFO("server stopped");
    ret = 0;

out:
    for (size_t i = 0; i < srv->n_workers; i++)
        if (srv->workers[i].listen_fd >= 0)
            close(srv->workers[i].listen_fd);
    http__offload_free(srv->offload);
    router_free(srv->router);
    cors_free(srv->cors);
    ipnet_list_dispose(&srv->trusted);
    h2o_config_dispose(&srv->globalconf);
    free(srv->workers);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return ret;
}
