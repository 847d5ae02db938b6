/* Streaming answers (api_stream_*): an h2o generator that sends what its
 * owner queues, one piece at a time. h2o takes a piece with h2o_send and
 * asks for the next with proceed once the socket has written it, so the
 * bytes of the piece in flight must stay put until then: a stream keeps two
 * buffers, `flight` (handed to h2o) and `queue` (written meanwhile), and
 * swaps them in proceed. A client that reads slowly makes `queue` grow;
 * past max_pending the stream ends, which bounds the memory of any stream.
 *
 * HTTP/1 stops reading a connection while its answer is being sent, so a
 * client that hangs up between two writes is only noticed by the next write.
 * Every PROBE_TICKS seconds a stream peeks at its socket: end of file means
 * the client is gone, and the stream ends at once (its per-user slot frees).
 *
 * Lifetime: the stream holds the handler side's reference to its request
 * (http__req_release when the stream is freed). h2o stopping the generator
 * (the connection closed) or the worker stopping ends it from outside: the
 * owner hears on_close. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "http/internal.h"
#include "http/metrics.h"

enum { PROBE_TICKS = 5, KEEP_BUF = 4096 };

struct api_stream {
    h2o_generator_t gen;
    http_req_t *hr;
    http_worker_t *w;
    h2o_req_t *req; /* NULL once h2o let go */
    api_stream_config_t cfg;
    buf_t flight; /* handed to h2o, valid until proceed */
    buf_t queue;  /* written since */
    unsigned queue_messages, flight_messages;
    bool sending;        /* h2o has a piece and owes us a proceed */
    bool ending;         /* the final send follows what is in flight */
    bool gone;           /* freed as soon as nobody is inside a call */
    int busy;            /* calls into h2o in progress */
    uint64_t last_write; /* h2o_now() of the last bytes queued */
    int ticks;
    h2o_linklist_t link; /* the worker's open streams */
    h2o_timeout_entry_t tick;
};

static void stream_free(api_stream_t *s)
{
    if (h2o_timeout_is_linked(&s->tick))
        h2o_timeout_unlink(&s->tick);
    if (h2o_linklist_is_linked(&s->link))
        h2o_linklist_unlink(&s->link);
    metrics_stream_open(s->w, -1);
    buf_dispose(&s->flight);
    buf_dispose(&s->queue);
    http__req_release(s->hr);
    free(s);
}

/* Frees s when it is gone and no call into h2o is on the stack. */
static void stream_settle(api_stream_t *s)
{
    if (s->gone && s->busy == 0)
        stream_free(s);
}

/* Hands the queue to h2o (nothing may be in flight). */
static void send_queue(api_stream_t *s)
{
    buf_t t = s->flight;
    s->flight = s->queue;
    s->queue = t;
    buf_clear(&s->queue);
    s->flight_messages = s->queue_messages;
    s->queue_messages = 0;
    h2o_iovec_t v = h2o_iovec_init(s->flight.data, s->flight.len);
    s->sending = true;
    s->busy++;
    h2o_socket_t *sock = s->req->conn->callbacks->get_socket(s->req->conn);
    h2o_send(s->req, &v, 1, H2O_SEND_STATE_IN_PROGRESS);
    http__edge_arm(sock); /* h2o may have started a write */
    s->busy--;
}

/* The last send: the answer ends and h2o lets go of the generator. */
static void send_final(api_stream_t *s)
{
    s->gone = true;
    if (s->req != NULL) {
        h2o_req_t *req = s->req;
        s->req = NULL;
        if (s->w->stopping)
            req->http1_is_persistent = 0;
        s->busy++;
        h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        http__edge_arm(sock); /* h2o may go on reading the next request */
        s->busy--;
    }
    stream_settle(s);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    api_stream_t *s = (api_stream_t *)gen;
    (void)req;
    s->sending = false;
    metrics_stream_sent(s->w, s->flight_messages);
    s->flight_messages = 0;
    if (s->flight.cap > KEEP_BUF)
        buf_dispose(&s->flight); /* a burst is over: idle streams stay small */
    else
        buf_clear(&s->flight);
    if (s->ending)
        send_final(s);
    else if (s->queue.len > 0)
        send_queue(s);
}

/* h2o ends the answer: the connection closed (the client went away). */
static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    api_stream_t *s = (api_stream_t *)gen;
    (void)req;
    s->req = NULL;
    s->sending = false;
    bool told = s->ending || s->gone;
    s->ending = true;
    s->gone = true;
    if (!told && s->cfg.on_close != NULL)
        s->cfg.on_close(s->cfg.owner);
    stream_settle(s);
}

/* Ends s from outside its owner (client gone, server stopping). */
static void end_from_outside(api_stream_t *s)
{
    if (s->ending || s->gone)
        return;
    s->ending = true;
    if (s->cfg.on_close != NULL)
        s->cfg.on_close(s->cfg.owner);
    buf_clear(&s->queue);
    if (!s->sending)
        send_final(s);
}

/* End of file from the peer: the client closed its side. */
static bool peer_closed(api_stream_t *s)
{
    if (s->req == NULL)
        return true;
    h2o_socket_t *sock = s->req->conn->callbacks->get_socket(s->req->conn);
    if (sock == NULL)
        return true;
    char c;
    ssize_t n = recv(h2o_socket_get_fd(sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    api_stream_t *s = H2O_STRUCT_FROM_MEMBER(api_stream_t, tick, entry);
    h2o_timeout_link(s->w->ctx.loop, &s->w->ctx.one_sec_timeout, &s->tick);
    if (++s->ticks % PROBE_TICKS == 0 && peer_closed(s)) {
        end_from_outside(s);
        return;
    }
    uint64_t now = h2o_now(s->w->ctx.loop);
    if (s->cfg.heartbeat != NULL && now - s->last_write >= (uint64_t)s->cfg.heartbeat_ms) {
        if (api_stream_write(s, s->cfg.heartbeat, strlen(s->cfg.heartbeat), 0) != 0)
            return;
    }
    if (s->cfg.on_tick != NULL)
        s->cfg.on_tick(s->cfg.owner);
}

api_stream_t *api_stream_open(api_req_t *r, const api_stream_config_t *cfg)
{
    http_req_t *hr = (http_req_t *)r;
    http_worker_t *w = hr->worker;
    h2o_req_t *req = hr->h2o;
    api_stream_t *s = xcalloc(1, sizeof(*s));
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    s->hr = hr;
    s->w = w;
    s->req = req;
    s->cfg = *cfg;
    s->tick.cb = on_tick;
    metrics_stream_open(w, 1);
    http__respond_stream_head(r, 200, cfg->content_type);
    if (req == NULL) { /* the client left before the answer */
        s->gone = true;
        stream_settle(s);
        return NULL;
    }
    s->last_write = h2o_now(w->ctx.loop);
    w->own_response = req;
    h2o_start_response(req, &s->gen);
    w->own_response = NULL;
    if (w->stopping) { /* opened after the streams were ended: the head, and done */
        send_final(s);
        return NULL;
    }
    h2o_linklist_insert(&w->streams, &s->link);
    h2o_timeout_link(w->ctx.loop, &w->ctx.one_sec_timeout, &s->tick);
    /* The head, now. h2o sends nothing for an empty piece, so the head goes
     * with a heartbeat (which is there for the client to ignore). */
    if (cfg->heartbeat != NULL)
        buf_puts(&s->queue, cfg->heartbeat);
    send_queue(s);
    return s;
}

int api_stream_write(api_stream_t *s, const char *data, size_t len, unsigned n_messages)
{
    if (s->ending || s->gone)
        return -1;
    if (s->queue.len + len > s->cfg.max_pending) {
        LOG_INFO("request %s: stream closed: the client reads too slowly", s->hr->api.request_id);
        s->ending = true;
        buf_clear(&s->queue);
        if (!s->sending)
            send_final(s);
        return -1;
    }
    buf_append(&s->queue, data, len);
    s->queue_messages += n_messages;
    s->last_write = h2o_now(s->w->ctx.loop);
    if (!s->sending)
        send_queue(s);
    return 0;
}

void api_stream_close(api_stream_t *s)
{
    if (s->ending || s->gone)
        return;
    s->ending = true;
    if (!s->sending)
        send_final(s);
}

void http__streams_stop(http_worker_t *w)
{
    for (h2o_linklist_t *node = w->streams.next, *next; node != &w->streams; node = next) {
        next = node->next;
        api_stream_t *s = H2O_STRUCT_FROM_MEMBER(api_stream_t, link, node);
        h2o_linklist_unlink(&s->link);
        end_from_outside(s); /* frees s alone */
    }
}
