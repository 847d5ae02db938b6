/* The framing layer between each client socket and h2o (API.md section 2).
 *
 * h2o 2.2.5 frames an ambiguous request its own way and keeps the
 * connection (FRAMING-FACTS.md), and it parses pipelined heads straight
 * from the socket's input buffer. So every byte is checked as it arrives,
 * before h2o's read callback sees it: the socket's read callback is this
 * layer's, which feeds the new bytes to the framing scanner (framing.c) and
 * then calls h2o's. h2o installs its callback again each time it starts
 * reading (after an answer, after "100 Continue"), and it does so only from
 * its read and write callbacks or from calls we make into it (accepting,
 * answering): after each of those, http__edge_arm puts this layer back in
 * front, for reads and for writes.
 *
 * When a head is refused, its bytes and everything after them are replaced
 * by a small head of our own (same method and target, the client's
 * X-Request-ID and Origin), and nothing more is read. h2o serves the
 * requests before it in order, then hands ours to the handler, which asks
 * http__edge_check and answers 400/431 with Connection: close; h2o closes
 * the connection after that answer, so nothing pipelined behind the refused
 * request is ever answered. The connection then closes slowly (see
 * "lingering close" below), so that the answer is not lost to a reset while
 * the client is still sending. Counting heads against requests also catches a
 * request that reached h2o without being checked (it would be a bug here):
 * it is refused the same way. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/framing.h"
#include "http/internal.h"
#include "http/metrics.h"

enum {
    SYNTH_METHOD_MAX = 32,   /* longer methods are written as GET */
    SYNTH_TARGET_MAX = 1024, /* longer targets are written as / */
    SYNTH_ORIGIN_MAX = 256,
    SYNTH_HEAD_MAX =
        64 + SYNTH_METHOD_MAX + SYNTH_TARGET_MAX + HTTP_REQUEST_ID_MAX + SYNTH_ORIGIN_MAX,
    LINGER_MAX_BYTES = 1 << 20, /* a lingering socket reads at most this much */
    SYNTH_PAD_MAX = 256 * 1024, /* longest refused head we stand in for */
};
#define SYNTH_PAD_NAME "X-Framing-Pad: "

/** One client connection's layer state, owned through the socket's
 *  on_close callback. */
typedef struct http_conn {
    http_worker_t *worker;
    h2o_socket_t *sock;
    h2o_socket_cb inner_read;  /* h2o's read callback behind ours */
    h2o_socket_cb inner_write; /* h2o's write callback behind ours */
    http_framing_t framing;
    uint64_t served;         /* requests h2o handed to the handler */
    int refused;             /* 0, or the status of the refused head */
    const char *refused_why; /* static text */
    int depth;               /* > 0 while h2o runs under one of our callbacks */
    bool closed;             /* the socket closed while depth > 0 */
    int linger_fd;           /* after a refusal: a dup of the socket's fd, or -1 */
} http_conn_t;

static void on_conn_close(void *data);
static void on_read(h2o_socket_t *sock, const char *err);
static void on_write(h2o_socket_t *sock, const char *err);

static http_conn_t *conn_of(h2o_socket_t *sock)
{
    return sock != NULL && sock->on_close.cb == on_conn_close ? sock->on_close.data : NULL;
}

static void arm(http_conn_t *c)
{
    h2o_socket_t *s = c->sock;
    if (s->_cb.read != NULL && s->_cb.read != on_read) {
        c->inner_read = s->_cb.read;
        s->_cb.read = on_read;
    }
    if (s->_cb.write != NULL && s->_cb.write != on_write) {
        c->inner_write = s->_cb.write;
        s->_cb.write = on_write;
    }
}

/* ---- lingering close --------------------------------------------------------
 * A refused client may still be sending (the rest of a 100 KB head, a body
 * that is never read). Closing a socket with unread input makes the kernel
 * answer with a reset, which can destroy the 400/431 answer before the
 * client has read it. So at the refusal the socket's fd is duplicated; when
 * h2o closes its fd after the answer, the dup keeps the connection open:
 * our side is shut for writing (the answer is followed by FIN), and what
 * still arrives is read and dropped until the client's EOF, one second, or
 * LINGER_MAX_BYTES, whichever comes first. */

typedef struct http_linger {
    h2o_socket_t *sock;
    h2o_timeout_entry_t timer;
    h2o_linklist_t link; /* in the worker's `lingering` list */
    size_t dropped;
} http_linger_t;

/* Closes and frees l, which its caller has taken off the worker's list. */
static void linger_free(http_linger_t *l)
{
    if (h2o_timeout_is_linked(&l->timer))
        h2o_timeout_unlink(&l->timer);
    h2o_socket_close(l->sock);
    free(l);
}

static void linger_end(http_linger_t *l)
{
    h2o_linklist_unlink(&l->link);
    linger_free(l);
}

static void linger_on_read(h2o_socket_t *sock, const char *err)
{
    http_linger_t *l = sock->data;
    l->dropped += sock->input->size;
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL || l->dropped > LINGER_MAX_BYTES)
        linger_end(l);
}

static void linger_on_timeout(h2o_timeout_entry_t *entry)
{
    linger_end(H2O_STRUCT_FROM_MEMBER(http_linger_t, timer, entry));
}

static void linger_start(http_worker_t *w, int fd)
{
    shutdown(fd, SHUT_WR);
    if (w->stopping) {
        close(fd);
        return;
    }
    http_linger_t *l = xcalloc(1, sizeof(*l));
    l->sock = h2o_evloop_socket_create(w->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    l->sock->data = l;
    l->timer.cb = linger_on_timeout;
    h2o_timeout_link(w->ctx.loop, &w->ctx.one_sec_timeout, &l->timer);
    h2o_linklist_insert(&w->lingering, &l->link);
    h2o_socket_read_start(l->sock, linger_on_read);
}

void http__edge_linger_stop(http_worker_t *w)
{
    if (h2o_linklist_is_empty(&w->lingering))
        return;
    /* Detach the whole list first, then free its entries one by one. */
    h2o_linklist_t *node = w->lingering.next;
    w->lingering.prev->next = NULL;
    h2o_linklist_init_anchor(&w->lingering);
    while (node != NULL) {
        h2o_linklist_t *next = node->next;
        node->next = node->prev = NULL;
        linger_free(H2O_STRUCT_FROM_MEMBER(http_linger_t, link, node));
        node = next;
    }
}

static void on_conn_close(void *data)
{
    http_conn_t *c = data;
    metrics_conn_close(c->worker);
    if (c->linger_fd >= 0) {
        linger_start(c->worker, c->linger_fd);
        c->linger_fd = -1;
    }
    /* the socket is disposed but not freed yet (the loop frees it later) */
    c->sock->on_close.cb = NULL;
    c->sock->on_close.data = NULL;
    if (c->depth > 0)
        c->closed = true;
    else
        free(c);
}

/* Runs one of h2o's callbacks, then puts this layer back in front. */
static void forward(http_conn_t *c, h2o_socket_cb cb, const char *err)
{
    h2o_socket_t *sock = c->sock;
    c->depth++;
    cb(sock, err);
    c->depth--;
    if (c->closed) {
        if (c->depth == 0)
            free(c);
        return;
    }
    arm(c);
}

/* ---- refusing a head -------------------------------------------------------- */

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* Our stand-in for the refused head: what the answer and the access log
 * need from it, in a head h2o parses without a body. */
static size_t synth_head(const http_framing_reject_t *rej, char *out, size_t cap)
{
    const char *m = "GET", *t = "/";
    int ml = 3, tl = 1;
    if (rej->method != NULL && rej->method_len <= SYNTH_METHOD_MAX && rej->target_len > 0 &&
        rej->target_len <= SYNTH_TARGET_MAX) {
        m = rej->method;
        ml = (int)rej->method_len;
        t = rej->target;
        tl = (int)rej->target_len;
    }
    int n = snprintf(out, cap, "%.*s %.*s HTTP/1.1\r\n", ml, m, tl, t);
    if (rej->request_id != NULL && http_request_id_is_valid(rej->request_id, rej->request_id_len))
        n += snprintf(out + n, cap - (size_t)n, "X-Request-ID: %.*s\r\n", (int)rej->request_id_len,
                      rej->request_id);
    if (rej->origin != NULL && rej->origin_len <= SYNTH_ORIGIN_MAX &&
        printable(rej->origin, rej->origin_len))
        n += snprintf(out + n, cap - (size_t)n, "Origin: %.*s\r\n", (int)rej->origin_len,
                      rej->origin);
    n += snprintf(out + n, cap - (size_t)n, "\r\n");
    return (size_t)n;
}

/* Copies s without its NUL to o; returns the end. */
static char *put_text(char *o, const char *s)
{
    while (*s != '\0')
        *o++ = *s++;
    return o;
}

static void refuse(http_conn_t *c, const http_framing_reject_t *rej)
{
    char head[SYNTH_HEAD_MAX];
    size_t n = synth_head(rej, head, sizeof(head));
    h2o_buffer_t **input = &c->sock->input;
    /* h2o may have seen the start of the refused head in earlier reads: it
     * then asks picohttpparser to look for the blank line only from where it
     * stopped (its last length), which must not lie past the end of what we
     * put in place. So our head is padded to at least the length the refused
     * head had, with a header of filler that nothing reads. */
    size_t seen = (*input)->size - rej->head_offset;
    size_t pad = 0;
    if (seen > n) {
        if (seen > SYNTH_PAD_MAX) { /* h2o refuses such a head itself */
            shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
            return;
        }
        pad = seen - n + sizeof(SYNTH_PAD_NAME) + 2;
    }
    (*input)->size = rej->head_offset; /* the refused head and all after it */
    h2o_iovec_t room = h2o_buffer_reserve(input, n + pad);
    if (room.base == NULL) { /* out of memory: just close */
        shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
        return;
    }
    if (pad == 0) {
        memcpy(room.base, head, n);
    } else { /* head without its blank line, the filler line, the blank line */
        char *o = room.base;
        memcpy(o, head, n - 2);
        o += n - 2;
        o = put_text(o, SYNTH_PAD_NAME);
        size_t fill =
            pad - (sizeof(SYNTH_PAD_NAME) - 1) - 2; /* n - 2 + name + fill + 4 = n + pad */
        memset(o, 'x', fill);
        o += fill;
        put_text(o, "\r\n\r\n");
    }
    (*input)->size += n + pad;
    c->refused = rej->status;
    c->refused_why = rej->detail;
    if (c->linger_fd < 0) /* on failure (-1) the socket just closes at once */
        c->linger_fd = fcntl(h2o_socket_get_fd(c->sock), F_DUPFD_CLOEXEC, 0);
}

/* ---- h2o's callbacks, wrapped ----------------------------------------------- */

static void on_read(h2o_socket_t *sock, const char *err)
{
    http_conn_t *c = conn_of(sock);
    if (err == NULL) {
        size_t n = sock->bytes_read; /* the newest bytes, at the end of the input */
        if (c->refused != 0) {
            sock->input->size -= n; /* nothing after a refused head is read */
            return;
        }
        http_framing_reject_t rej;
        if (n > 0 &&
            http_framing_feed(&c->framing, sock->input->bytes, sock->input->size, n, &rej) != 0)
            refuse(c, &rej);
    }
    forward(c, c->inner_read, err);
}

static void on_write(h2o_socket_t *sock, const char *err)
{
    http_conn_t *c = conn_of(sock);
    h2o_socket_cb cb = c->inner_write;
    c->inner_write = NULL;
    forward(c, cb, err);
}

/* ---- the rest of the server ------------------------------------------------- */

void http__edge_accept(http_worker_t *w, h2o_socket_t *sock)
{
    http_conn_t *c = xcalloc(1, sizeof(*c));
    c->worker = w;
    c->sock = sock;
    c->linger_fd = -1;
    http_framing_init(&c->framing);
    sock->on_close.cb = on_conn_close;
    sock->on_close.data = c;
    metrics_conn_open(w);
    c->depth++;
    h2o_accept(&w->accept_ctx, sock);
    c->depth--;
    if (c->closed)
        free(c);
    else
        arm(c);
}

void http__edge_arm(h2o_socket_t *sock)
{
    http_conn_t *c = conn_of(sock);
    if (c != NULL && c->depth == 0)
        arm(c);
}

int http__edge_check(h2o_req_t *req, const char **why)
{
    http_conn_t *c = conn_of(req->conn->callbacks->get_socket(req->conn));
    if (c == NULL)
        return 0;
    c->served++;
    uint64_t passed = c->framing.heads + (c->refused != 0);
    if (c->served > passed) {
        LOG_ERROR("a request reached h2o without its framing being checked; refusing it");
        *why = "Malformed request framing";
        return 400;
    }
    if (c->refused != 0 && c->served == passed) {
        *why = c->refused_why;
        return c->refused;
    }
    return 0;
}
