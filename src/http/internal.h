/* Private to src/http/: the server, its workers and the request behind an
 * api_req_t. Nothing outside this folder includes it. */
#ifndef TODO_HTTP_INTERNAL_H
#define TODO_HTTP_INTERNAL_H

#include <h2o.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "core/ipnet.h"
#include "core/settings.h"
#include "http/api.h"
#include "http/cors.h"
#include "http/parse.h"
#include "http/router.h"
#include "http/server.h"

typedef struct http_server http_server_t;
typedef struct http_offload_pool http_offload_pool_t;

/** One event-loop thread: its h2o context, listener and database handle. */
typedef struct http_worker {
    http_server_t *server;
    int index;
    pthread_t thread;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;          /* owned until wrapped in `listener` */
    h2o_socket_t *listener; /* NULL once closed */
    store_worker_t *store;
    h2o_multithread_receiver_t control; /* shutdown requests from the main thread */
    h2o_multithread_receiver_t offload; /* finished offloaded jobs */
    h2o_multithread_message_t stop_msg; /* the one message `control` gets */
    h2o_timeout_entry_t accept_resume;  /* accepting paused after EMFILE */
    bool stopping;
    bool started;             /* worker_start ran: worker_stop runs too */
    uint64_t stop_deadline;   /* h2o_now() ms after which requests in flight are cut */
    size_t live_requests;     /* api requests not yet freed */
    size_t offload_pending;   /* jobs sent to the pool, not yet back */
    h2o_req_t *own_response;  /* the request our code is answering right now */
    h2o_linklist_t streams;   /* open streaming answers (stream.c) */
    h2o_linklist_t lingering; /* refused connections closing slowly (edge.c) */
    arena_t *spare_arenas[8]; /* reset arenas kept for the next requests */
    size_t n_spare_arenas;
} http_worker_t;

/** The process-wide server state. */
struct http_server {
    server_config_t cfg;
    const settings_t *settings;
    h2o_globalconf_t globalconf;
    router_t *router;
    cors_t *cors;
    ipnet_list_t trusted; /* TRUSTED_PROXIES */
    http_offload_pool_t *offload;
    http_worker_t *workers;
    size_t n_workers;
    /* startup handshake between the main thread and the workers */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t n_started;
    bool start_failed;
    bool stop_sent; /* every worker has been sent its stop message */
};

/** The request behind an api_req_t (which is its first member). It is freed
 *  when both the handler side (after its answer) and h2o (when it disposes
 *  the request) have let go. */
/** A header added by api_add_header (strings in the request's arena). */
typedef struct http_header {
    struct http_header *next;
    const char *name;
    const char *value;
} http_header_t;

typedef struct http_req {
    api_req_t api;
    h2o_req_t *h2o; /* NULL once h2o disposed of the request */
    http_worker_t *worker;
    int refs; /* 2: the handler side and h2o */
    bool responded;
    bool close_after;  /* answer with Connection: close, then close */
    bool auth_pending; /* waiting for api_auth_done */
    bool replayed;     /* the answer replays a stored one (api_mark_replayed) */
    cors_decision_t cors;
    const char *origin;     /* the request's Origin (in the arena) when allowed */
    http_header_t *headers; /* added by api_add_header, in order */
    http_header_t *headers_tail;
    struct timeval started_at; /* for the access log */
} http_req_t;

/** Lets go of one side's hold on hr; the last one frees it (request.c). */
void http__req_release(http_req_t *hr);
/** The client's X-Request-ID when it is sane, else a new one; written into
 *  buf, which is returned (request.c). */
const char *http__request_id_of(h2o_req_t *req, char buf[HTTP_REQUEST_ID_MAX + 1]);
/** Writes 32 random hex digits and a NUL (request.c). */
void http__request_id_new(char out[33]);
/** The client's numeric address written into buf (n >= INET6_ADDRSTRLEN),
 *  or "-": the peer's, or when the peer is a trusted proxy the one its
 *  X-Forwarded-For names (API.md section 5) (request.c). */
const char *http__client_addr(h2o_req_t *req, char *buf, size_t n);
/** Writes one access-log line (respond.c). */
void http__access_log(const char *request_id, const char *method, size_t method_len,
                      const char *path, size_t path_len, int status, size_t bytes,
                      const struct timeval *started_at, const char *client);

/** Takes a freshly accepted client socket: puts the framing layer in front
 *  of h2o on it (it owns the socket's on_close callback), counts it in the
 *  metrics and hands it to h2o (edge.c). */
void http__edge_accept(http_worker_t *w, h2o_socket_t *sock);
/** Puts the framing layer back in front of h2o's callbacks on sock; call it
 *  after any call into h2o that may start a read or a write on it, outside
 *  h2o's own callbacks (an answer sent later, for instance) (edge.c). */
void http__edge_arm(h2o_socket_t *sock);
/** For a request h2o hands the handler: 0 when its head passed the framing
 *  checks, else the status to answer (400 or 431, then close) and why
 *  (static text) (edge.c). */
int http__edge_check(h2o_req_t *req, const char **why);
/** Closes at once the sockets still lingering after a refusal (worker stop). */
void http__edge_linger_stop(http_worker_t *w);
/** Sets the head of a streaming answer on r (status, content type,
 *  Cache-Control: no-cache, X-Request-ID, CORS, added headers) and logs it,
 *  without sending anything or letting go of r (respond.c). */
void http__respond_stream_head(api_req_t *r, int status, const char *content_type);
/** Ends every open stream of w: the worker is stopping (stream.c). */
void http__streams_stop(http_worker_t *w);

/** Per-connection-thread handling of one h2o request (request.c). */
int http__on_request(h2o_handler_t *self, h2o_req_t *req);
/** The filter that gives h2o's own error answers (413 for huge bodies, 400
 *  for broken chunked encoding) our JSON body and headers (request.c). */
void http__on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot);

/** Starts the shared blocking-work pool with n threads (offload.c). */
http_offload_pool_t *http__offload_new(int n);
/** Stops the pool after finishing the queued jobs; NULL is fine. */
void http__offload_free(http_offload_pool_t *p);
/** Receives finished jobs on a worker's thread (offload.c). */
void http__offload_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/** The worker that runs the h2o context ctx. */
static inline http_worker_t *http__worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(http_worker_t, ctx, ctx);
}

#endif
