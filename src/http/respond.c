/* Answers: the api_respond_* family, the headers every answer carries
 * (X-Request-ID, CORS), the access log, and the filter that dresses h2o's
 * own error answers (a body over the h2o limit, broken chunked encoding) the
 * same way. */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/metrics.h"

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/* ---- access log ----------------------------------------------------------- */

enum { LOG_PATH_MAX = 1024 };

/* Copies at most max bytes of s, bytes outside printable ASCII as %XX. */
static void log_escape(char *out, const char *s, size_t n, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (n > max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

void http__access_log(const char *request_id, const char *method, size_t method_len,
                      const char *path, size_t path_len, int status, size_t bytes,
                      const struct timeval *started_at, const char *client)
{
    if (LOG_INFO < log_min_level)
        return;
    char path_buf[LOG_PATH_MAX * 3 + 4], method_buf[16 * 3 + 4], ms[32];
    struct timeval now;
    gettimeofday(&now, NULL);
    double elapsed = 0;
    if (started_at->tv_sec != 0)
        elapsed = (double)(now.tv_sec - started_at->tv_sec) * 1e3 +
                  (double)(now.tv_usec - started_at->tv_usec) / 1e3;
    snprintf(ms, sizeof(ms), "%.3f", elapsed < 0 ? 0.0 : elapsed);
    log_escape(path_buf, path, path_len, LOG_PATH_MAX);
    log_escape(method_buf, method, method_len, 16);
    const log_field_t fields[] = {
        {"request_id", request_id, 0}, {"method", method_buf, 0},         {"path", path_buf, 0},
        {"status", NULL, status},      {"bytes", NULL, (long long)bytes}, {"duration_ms", ms, 0},
        {"client", client, 0},
    };
    log_fields(LOG_INFO, "request", fields, (int)(sizeof(fields) / sizeof(fields[0])));
}

/* ---- headers -------------------------------------------------------------- */

static void add_common_headers(h2o_req_t *req, const char *request_id, const cors_decision_t *cors,
                               const char *origin)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0,
                          "X-Request-ID", request_id, strlen(request_id));
    if (!cors->allowed)
        return;
    if (cors->wildcard)
        origin = "*";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN,
                   "Access-Control-Allow-Origin", origin, strlen(origin));
    if (cors->credentials)
        h2o_add_header_by_str(&req->pool, &req->res.headers,
                              H2O_STRLIT("access-control-allow-credentials"), 0,
                              "Access-Control-Allow-Credentials", H2O_STRLIT("true"));
    if (!cors->wildcard)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, "Vary", H2O_STRLIT("Origin"));
    h2o_add_header_by_str(&req->pool, &req->res.headers,
                          H2O_STRLIT("access-control-expose-headers"), 0,
                          "Access-Control-Expose-Headers", H2O_STRLIT(CORS_EXPOSE_HEADERS));
}

/* ---- answering ------------------------------------------------------------ */

static void respond(api_req_t *r, int status, const char *content_type, const char *body,
                    size_t len)
{
    http_req_t *hr = (http_req_t *)r;
    http_worker_t *w = hr->worker;
    h2o_req_t *req = hr->h2o;

    assert(!hr->responded && "a request was answered twice");
    assert(!hr->auth_pending);
    hr->responded = true;
    bool no_body = status == 204 || status == 304;
    if (r->route == NULL || !(r->route->flags & ROUTE_NO_LOG))
        http__access_log(r->request_id, r->method, strlen(r->method), r->path, strlen(r->path),
                         status, req != NULL && !no_body ? len : 0, &hr->started_at,
                         r->client_addr);
    metrics_observe(w, r->route, r->method, strlen(r->method), status, &hr->started_at);
    metrics_count_condition(w, status == 412, hr->replayed);
    if (req == NULL) { /* the client is gone: nothing to send */
        http__req_release(hr);
        return;
    }

    req->res.status = status;
    req->res.reason = reason_of(status);
    if (content_type != NULL && !no_body)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, "Content-Type",
                       content_type, strlen(content_type));
    add_common_headers(req, r->request_id, &hr->cors, hr->origin);
    for (const http_header_t *h = hr->headers; h != NULL; h = h->next)
        h2o_add_header_by_str(&req->pool, &req->res.headers, h->name, strlen(h->name), 0, NULL,
                              h->value, strlen(h->value));
    if (w->stopping || hr->close_after)
        req->http1_is_persistent = 0;
    /* RFC 9110: no Content-Length on a 204; h2o then sends neither a length
     * nor chunked encoding. Every other answer has its length. */
    if (no_body)
        len = 0;
    else
        req->res.content_length = len;

    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    w->own_response = req;
    h2o_send_inline(req, len != 0 ? body : "", len);
    w->own_response = NULL;
    http__edge_arm(sock); /* h2o has started writing the answer */
    http__req_release(hr);
}

void api_mark_replayed(api_req_t *r)
{
    http_req_t *hr = (http_req_t *)r;
    if (!hr->replayed)
        api_add_header(r, "Idempotent-Replayed", "true");
    hr->replayed = true;
}

void http__respond_stream_head(api_req_t *r, int status, const char *content_type)
{
    http_req_t *hr = (http_req_t *)r;
    h2o_req_t *req = hr->h2o;
    assert(!hr->responded && "a request was answered twice");
    hr->responded = true;
    http__access_log(r->request_id, r->method, strlen(r->method), r->path, strlen(r->path), status,
                     0, &hr->started_at, r->client_addr);
    metrics_observe(hr->worker, r->route, r->method, strlen(r->method), status, &hr->started_at);
    if (req == NULL)
        return;
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, "Content-Type",
                   content_type, strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, "Cache-Control",
                   H2O_STRLIT("no-cache"));
    add_common_headers(req, r->request_id, &hr->cors, hr->origin);
    for (const http_header_t *h = hr->headers; h != NULL; h = h->next)
        h2o_add_header_by_str(&req->pool, &req->res.headers, h->name, strlen(h->name), 0, NULL,
                              h->value, strlen(h->value));
}

void api_respond_json(api_req_t *r, int status, const char *body, size_t len)
{
    respond(r, status, "application/json", body, len);
}

void api_respond_empty(api_req_t *r, int status)
{
    respond(r, status, NULL, "", 0);
}

void api_respond_raw(api_req_t *r, int status, const char *content_type, const char *body,
                     size_t len)
{
    respond(r, status, content_type, body, len);
}

void api_respond_error(api_req_t *r, const api_error_t *e)
{
    buf_t b = BUF_INIT;
    int status = api_err_status(e->err);
    api_error_to_json(e, &b);
    if (status == 401)
        api_add_header(r, "WWW-Authenticate", "Bearer");
    respond(r, status, "application/json", b.data, b.len);
    buf_dispose(&b);
}

void api_respond_err(api_req_t *r, api_err_t err, const char *detail)
{
    api_error_t e;
    api_error_init(&e, err);
    e.detail = detail;
    api_respond_error(r, &e);
}

void api_respond_store_error(api_req_t *r, store_status_t status)
{
    switch (status) {
    case STORE_NOT_FOUND:
        api_respond_err(r, API_ERR_NOT_FOUND, NULL);
        return;
    case STORE_CONFLICT:
        api_respond_err(r, API_ERR_CONFLICT, NULL);
        return;
    case STORE_REJECTED:
        api_respond_err(r, API_ERR_RULE_VIOLATION, NULL);
        return;
    case STORE_PRECONDITION_FAILED:
        api_respond_err(r, API_ERR_PRECONDITION_FAILED, NULL);
        return;
    case STORE_KEY_IN_USE:
        api_respond_err(r, API_ERR_IDEMPOTENCY_KEY_IN_USE, NULL);
        return;
    case STORE_KEY_REUSED:
        api_respond_err(r, API_ERR_IDEMPOTENCY_KEY_REUSED, NULL);
        return;
    case STORE_UNAVAILABLE:
        LOG_WARN("request %s: database unavailable", r->request_id);
        api_respond_err(r, API_ERR_SERVICE_UNAVAILABLE, "The database is unavailable");
        return;
    case STORE_OK:
    case STORE_ERROR:
    default:
        LOG_ERROR("request %s: store error %d on %s %s", r->request_id, (int)status, r->method,
                  r->path);
        api_respond_err(r, API_ERR_INTERNAL_ERROR, NULL);
        return;
    }
}

/* ---- h2o's own error answers ---------------------------------------------- */

/* Swaps h2o's text body for ours. */
typedef struct body_swap {
    h2o_ostream_t super;
    h2o_iovec_t body; /* base NULL once sent */
} body_swap_t;

static void body_swap_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                           h2o_send_state_t state)
{
    body_swap_t *s = (body_swap_t *)self;
    (void)bufs;
    if (bufcnt != 0 && s->body.base != NULL) {
        h2o_iovec_t b = s->body;
        s->body.base = NULL;
        h2o_ostream_send_next(self, req, &b, 1, state);
    } else {
        h2o_ostream_send_next(self, req, NULL, 0, state);
    }
}

void http__on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    http_worker_t *w = http__worker_of(req->conn->ctx);
    if (w->own_response == req) {
        h2o_setup_next_ostream(req, slot);
        return;
    }

    /* An answer h2o made itself, before our handler saw the request. */
    api_error_t e;
    const char *detail = NULL;
    char tmp[96];
    bool rewrite = true;
    switch (req->res.status) {
    case 400:
        api_error_init(&e, API_ERR_VALIDATION_ERROR);
        detail = "Malformed request body (bad Content-Length or chunked encoding)";
        break;
    case 404:
        api_error_init(&e, API_ERR_NOT_FOUND);
        break;
    case 413:
        api_error_init(&e, API_ERR_PAYLOAD_TOO_LARGE);
        snprintf(tmp, sizeof(tmp), "Request body is larger than %ld bytes",
                 w->server->settings->max_body_bytes);
        detail = tmp;
        break;
    default:
        rewrite = false;
        break;
    }
    if (rewrite) {
        buf_t b = BUF_INIT;
        e.detail = detail;
        api_error_to_json(&e, &b);
        body_swap_t *s = (body_swap_t *)h2o_add_ostream(req, sizeof(*s), slot);
        s->super.do_send = body_swap_send;
        s->body = h2o_strdup(&req->pool, b.data, b.len);
        buf_dispose(&b);
        req->res.content_length = s->body.len;
        ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
        if (ct != -1)
            h2o_delete_header(&req->res.headers, ct);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, "Content-Type",
                       H2O_STRLIT("application/json"));
        slot = &s->super.next;
    }

    char id_buf[HTTP_REQUEST_ID_MAX + 1], addr[INET6_ADDRSTRLEN];
    const char *id = h2o_strdup(&req->pool, http__request_id_of(req, id_buf), SIZE_MAX).base;
    cors_decision_t cors = {false, false, false};
    const char *origin = NULL;
    ssize_t o = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (o != -1) {
        h2o_iovec_t v = req->headers.entries[o].value;
        cors = cors_check(w->server->cors, v.base, v.len);
        origin = h2o_strdup(&req->pool, v.base, v.len).base;
    }
    add_common_headers(req, id, &cors, origin);

    size_t path_len = req->input.query_at != SIZE_MAX ? req->input.query_at : req->input.path.len;
    http__access_log(id, req->input.method.base, req->input.method.len, req->input.path.base,
                     path_len, req->res.status,
                     req->res.content_length != SIZE_MAX ? req->res.content_length : 0,
                     &req->timestamps.request_begin_at, http__client_addr(req, addr, sizeof(addr)));
    metrics_observe(w, NULL, req->input.method.base, req->input.method.len, req->res.status,
                    &req->timestamps.request_begin_at);
    h2o_setup_next_ostream(req, slot);
}
