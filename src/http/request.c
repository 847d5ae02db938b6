/* One request's way through the HTTP layer, in API.md section 2's order:
 * headers size (431), CORS preflight, route (404/405), body size (413),
 * token (401), path user (403), content type (415), JSON (400), handler.
 * Also the api_req_t lifecycle and its accessors. */
#include <arpa/inet.h>
#include <assert.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "http/internal.h"
#include "http/parse.h"

/** Request line plus header names and values, in bytes (API.md section 5). */
enum { HTTP_HEADERS_LIMIT = 16 * 1024 };

/* ---- request ids ---------------------------------------------------------- */

/* xoshiro256**, one state per thread, seeded from getrandom(2). */
static _Thread_local uint64_t rng_state[4];
static _Thread_local bool rng_seeded;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(void)
{
    if (!rng_seeded) {
        if (getrandom(rng_state, sizeof(rng_state), 0) != (ssize_t)sizeof(rng_state)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                         (uint64_t)(uintptr_t)&rng_seeded;
            for (int i = 0; i < 4; i++)
                rng_state[i] = splitmix64(&x);
        }
        rng_seeded = true;
    }
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void http__request_id_new(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int half = 0; half < 2; half++) {
        uint64_t v = rng_next();
        for (int i = 0; i < 16; i++, v >>= 4)
            out[half * 16 + i] = hex[v & 15];
    }
    out[32] = '\0';
}

const char *http__request_id_of(h2o_req_t *req, char buf[HTTP_REQUEST_ID_MAX + 1])
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i != -1) {
        const h2o_iovec_t *v = &req->headers.entries[i].value;
        if (http_request_id_is_valid(v->base, v->len)) {
            memcpy(buf, v->base, v->len);
            buf[v->len] = '\0';
            return buf;
        }
    }
    http__request_id_new(buf);
    return buf;
}

/* ---- lifecycle ------------------------------------------------------------ */

static arena_t *worker_take_arena(http_worker_t *w)
{
    if (w->n_spare_arenas > 0)
        return w->spare_arenas[--w->n_spare_arenas];
    return arena_new();
}

static void worker_give_arena(http_worker_t *w, arena_t *a)
{
    if (w->n_spare_arenas < sizeof(w->spare_arenas) / sizeof(w->spare_arenas[0])) {
        arena_reset(a);
        w->spare_arenas[w->n_spare_arenas++] = a;
    } else {
        arena_free(a);
    }
}

void http__req_release(http_req_t *hr)
{
    assert(hr->refs > 0);
    if (--hr->refs > 0)
        return;
    http_worker_t *w = hr->worker;
    json_decref(hr->api.body);
    worker_give_arena(w, hr->api.arena);
    w->live_requests--;
    free(hr);
}

static void on_h2o_dispose(void *p)
{
    http_req_t *hr = *(http_req_t **)p;
    hr->h2o = NULL;
    http__req_release(hr);
}

enum { XFF_FIELDS_MAX = 32 }; /* more X-Forwarded-For fields: the peer's address is used */

/* The client's address from the X-Forwarded-For fields of a request that
 * came through a trusted proxy; false when they give none. */
static bool forwarded_client(h2o_req_t *req, const ipnet_list_t *trusted, uint8_t out[16])
{
    const char *values[XFF_FIELDS_MAX];
    size_t lens[XFF_FIELDS_MAX], n = 0;
    for (ssize_t i = -1;
         (i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-forwarded-for"), i)) != -1;) {
        if (n == XFF_FIELDS_MAX)
            return false;
        values[n] = req->headers.entries[i].value.base;
        lens[n++] = req->headers.entries[i].value.len;
    }
    return http_forwarded_for(trusted, values, lens, n, out);
}

const char *http__client_addr(h2o_req_t *req, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    uint8_t addr[16];
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len != 0 && ss.ss_family == AF_INET) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(addr, mapped, sizeof(mapped));
        memcpy(addr + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    } else if (len != 0 && ss.ss_family == AF_INET6) {
        memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    } else {
        snprintf(buf, n, "-");
        return buf;
    }
    const ipnet_list_t *trusted = &http__worker_of(req->conn->ctx)->server->trusted;
    uint8_t forwarded[16];
    if (trusted->n > 0 && ipnet_list_contains(trusted, addr) &&
        forwarded_client(req, trusted, forwarded))
        memcpy(addr, forwarded, sizeof(addr));
    return ipnet_addr_format(addr, buf, n);
}

static http_req_t *req_new(http_worker_t *w, h2o_req_t *req)
{
    http_req_t *hr = xcalloc(1, sizeof(*hr));
    api_req_t *r = &hr->api;
    char id[HTTP_REQUEST_ID_MAX + 1], addr[INET6_ADDRSTRLEN];

    hr->h2o = req;
    hr->worker = w;
    hr->refs = 2;
    http_req_t **slot = h2o_mem_alloc_shared(&req->pool, sizeof(http_req_t *), on_h2o_dispose);
    *slot = hr;
    w->live_requests++;
    gettimeofday(&hr->started_at, NULL);

    r->arena = worker_take_arena(w);
    r->store = w->store;
    r->worker = w;
    r->method = arena_strndup(r->arena, req->method.base, req->method.len);
    const char *path = req->path.base, *target = req->input.path.base;
    size_t path_len = req->path.len, target_len = req->input.path.len, query_at = req->query_at;
    bool absolute = http_target_origin_form(&target, &target_len);
    if (absolute) { /* GET http://host/path?q: serve /path?q */
        path = target;
        path_len = target_len;
        const char *q = memchr(path, '?', path_len);
        query_at = q != NULL ? (size_t)(q - path) : SIZE_MAX;
    }
    size_t end = query_at != SIZE_MAX ? query_at : path_len;
    r->path = absolute && end == 0 ? "/" : arena_strndup(r->arena, path, end);
    r->query = query_at != SIZE_MAX
                   ? arena_strndup(r->arena, path + query_at + 1, path_len - query_at - 1)
                   : "";
    r->request_id = arena_strdup(r->arena, http__request_id_of(req, id));
    r->client_addr = arena_strdup(r->arena, http__client_addr(req, addr, sizeof(addr)));

    ssize_t o = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (o != -1) {
        const h2o_iovec_t *v = &req->headers.entries[o].value;
        hr->cors = cors_check(w->server->cors, v->base, v->len);
        if (hr->cors.allowed && !hr->cors.wildcard)
            hr->origin = arena_strndup(r->arena, v->base, v->len);
    }
    return hr;
}

/* ---- the checks ----------------------------------------------------------- */

static size_t headers_size(const h2o_req_t *req)
{
    size_t n = req->input.method.len + 1 + req->input.path.len + sizeof(" HTTP/1.1") - 1;
    n += req->input.authority.len + req->upgrade.len;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    return n;
}

/* A CORS preflight from an allowed origin: 204 with what we accept. Every
 * method the API uses is listed, whatever the path (a wrong method still gets
 * its 405 on the real request). */
static bool answer_preflight(http_req_t *hr)
{
    h2o_req_t *req = hr->h2o;
    if (!hr->cors.allowed || !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")))
        return false;
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1) ==
        -1)
        return false;
    char allow[96];
    router_methods_str(router_all_methods(hr->worker->server->router), allow, sizeof(allow));
    api_add_header(&hr->api, "Access-Control-Allow-Methods", allow);
    api_add_header(&hr->api, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    api_add_header(&hr->api, "Access-Control-Max-Age", CORS_MAX_AGE);
    api_respond_empty(&hr->api, 204);
    return true;
}

/* The bearer token (copied into the arena), or -1 after answering 401. */
static int read_bearer(http_req_t *hr, const char **tok, size_t *len)
{
    h2o_req_t *req = hr->h2o;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i == -1) {
        api_respond_err(&hr->api, API_ERR_UNAUTHORIZED, "Not authenticated");
        return -1;
    }
    const h2o_iovec_t *v = &req->headers.entries[i].value;
    if (http_bearer_token(v->base, v->len, tok, len) != 0) {
        api_respond_err(&hr->api, API_ERR_UNAUTHORIZED,
                        "Authorization header must be \"Bearer <token>\"");
        return -1;
    }
    *tok = arena_strndup(hr->api.arena, *tok, *len);
    return 0;
}

/* Jansson's message, limited to printable ASCII (it may quote the input). */
static const char *json_error_detail(arena_t *arena, const json_error_t *je)
{
    char text[sizeof(je->text)];
    size_t i = 0;
    for (; je->text[i] != '\0' && i + 1 < sizeof(text); i++) {
        char c = je->text[i];
        if (c < 0x20 || c >= 0x7f)
            c = '?';
        text[i] = c;
    }
    text[i] = '\0';
    return arena_printf(arena, "Request body is not valid JSON: %s (line %d, column %d)", text,
                        je->line, je->column);
}

/* Content type and JSON; 0 when the handler may run. */
static int read_body(http_req_t *hr)
{
    api_req_t *r = &hr->api;
    h2o_req_t *req = hr->h2o;
    unsigned flags = r->route->flags;
    if (!(flags & (ROUTE_BODY_JSON | ROUTE_BODY_OPTIONAL)))
        return 0; /* a body on a route that takes none is ignored */
    if (req->entity.len == 0) {
        if (!(flags & ROUTE_BODY_JSON))
            return 0;
        api_error_t e;
        api_error_init(&e, API_ERR_VALIDATION_ERROR);
        api_error_add(&e, r->arena, "body", FIELD_ISSUE_MISSING, "A JSON object body is required");
        api_respond_error(r, &e);
        return -1;
    }
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (ct == -1 || !http_content_type_is_json(req->headers.entries[ct].value.base,
                                               req->headers.entries[ct].value.len)) {
        api_respond_err(r, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL);
        return -1;
    }
    json_error_t je;
    json_t *body = json_loadb(req->entity.base, req->entity.len,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (body == NULL) {
        api_respond_err(r, API_ERR_INVALID_JSON, json_error_detail(r->arena, &je));
        return -1;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        api_error_t e;
        api_error_init(&e, API_ERR_VALIDATION_ERROR);
        api_error_add(&e, r->arena, "body", FIELD_ISSUE_WRONG_TYPE,
                      "The request body must be a JSON object");
        api_respond_error(r, &e);
        return -1;
    }
    r->body = body;
    return 0;
}

/* Everything after the token: path user, content type, JSON, handler. */
static void run_after_auth(http_req_t *hr)
{
    api_req_t *r = &hr->api;
    if (hr->h2o == NULL) { /* the client left while we waited */
        api_respond_err(r, API_ERR_UNAUTHORIZED, NULL);
        return;
    }
    if (r->route->flags & ROUTE_PATH_USER) {
        const char *uid = api_param(r, "user_id");
        if (uid == NULL || r->principal.sub == NULL || strcmp(uid, r->principal.sub) != 0) {
            api_respond_err(r, API_ERR_FORBIDDEN, NULL);
            return;
        }
    }
    if (read_body(hr) != 0)
        return;
    r->route->handler(r);
}

void api_auth_done(api_req_t *r, bool ok)
{
    http_req_t *hr = (http_req_t *)r;
    assert(hr->auth_pending);
    hr->auth_pending = false;
    if (!ok) {
        api_respond_err(r, API_ERR_UNAUTHORIZED, "Invalid or expired token");
        return;
    }
    run_after_auth(hr);
}

int http__on_request(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    http_worker_t *w = http__worker_of(req->conn->ctx);
    http_server_t *srv = w->server;
    http_req_t *hr = req_new(w, req);
    api_req_t *r = &hr->api;

    const char *why = NULL;
    int refused = http__edge_check(req, &why);
    if (refused != 0) { /* ambiguous framing, too many headers: answer, then close */
        hr->close_after = true;
        api_respond_err(r, refused == 431 ? API_ERR_HEADERS_TOO_LARGE : API_ERR_VALIDATION_ERROR,
                        why);
        return 0;
    }
    if (headers_size(req) > HTTP_HEADERS_LIMIT) {
        api_respond_err(r, API_ERR_HEADERS_TOO_LARGE, NULL);
        return 0;
    }

    if (answer_preflight(hr))
        return 0;
    /* HEAD is GET without the body (RFC 9110 section 9.3.2): routed as GET;
     * h2o leaves the body out of the answer. */
    router_match_t m;
    bool head = req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0;
    router_status_t st = router_match(srv->router, head ? "GET" : req->method.base,
                                      head ? 3 : req->method.len, r->path, strlen(r->path), &m);
    if (st == ROUTER_NOT_FOUND) {
        api_respond_err(r, API_ERR_NOT_FOUND, NULL);
        return 0;
    }
    if (st == ROUTER_METHOD_NOT_ALLOWED) {
        char allow[96];
        api_add_header(r, "Allow", router_methods_str(m.methods, allow, sizeof(allow)));
        api_respond_err(r, API_ERR_METHOD_NOT_ALLOWED, NULL);
        return 0;
    }
    r->route = m.route;
    r->n_params = m.n_params;
    for (size_t i = 0; i < m.n_params; i++) {
        r->param_names[i] = m.param_names[i];
        r->param_values[i] =
            http_percent_decode(r->arena, m.param_values[i], m.param_lens[i], false);
    }

    if (req->entity.len > (size_t)srv->settings->max_body_bytes) {
        api_respond_err(r, API_ERR_PAYLOAD_TOO_LARGE,
                        arena_printf(r->arena, "Request body is larger than %ld bytes",
                                     srv->settings->max_body_bytes));
        return 0;
    }

    if (r->route->flags & ROUTE_AUTH) {
        const char *tok;
        size_t len;
        if (read_bearer(hr, &tok, &len) != 0)
            return 0;
        if (srv->cfg.authenticate == NULL) {
            api_respond_err(r, API_ERR_UNAUTHORIZED, "Invalid or expired token");
            return 0;
        }
        hr->auth_pending = true;
        int rc = srv->cfg.authenticate(srv->cfg.auth_ctx, r, tok, len);
        if (rc == 1)
            return 0; /* api_auth_done resumes */
        hr->auth_pending = false;
        if (rc != 0) {
            api_respond_err(r, API_ERR_UNAUTHORIZED, "Invalid or expired token");
            return 0;
        }
    }
    run_after_auth(hr);
    return 0;
}

/* ---- accessors ------------------------------------------------------------ */

const char *api_param(const api_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->param_names[i], name) == 0)
            return r->param_values[i];
    return NULL;
}

const char *api_query(api_req_t *r, const char *name)
{
    return http_query_get(r->arena, r->query, strlen(r->query), name);
}

const char *api_header(api_req_t *r, const char *name)
{
    const h2o_req_t *req = ((const http_req_t *)r)->h2o;
    if (req == NULL)
        return NULL;
    const h2o_headers_t *hs = &req->headers;
    size_t len = strlen(name);
    buf_t b = BUF_INIT;
    bool found = false;
    for (size_t i = 0; i < hs->size; i++) {
        const h2o_iovec_t *n = hs->entries[i].name;
        if (n->len != len || strncasecmp(n->base, name, len) != 0)
            continue;
        if (found)
            buf_append(&b, ", ", 2);
        buf_append(&b, hs->entries[i].value.base, hs->entries[i].value.len);
        found = true;
    }
    const char *v = found ? arena_strndup(r->arena, b.data != NULL ? b.data : "", b.len) : NULL;
    buf_dispose(&b);
    return v;
}

bool api_req_client_gone(const api_req_t *r)
{
    return ((const http_req_t *)r)->h2o == NULL;
}

void api_add_header(api_req_t *r, const char *name, const char *value)
{
    http_req_t *hr = (http_req_t *)r;
    http_header_t *h = arena_alloc(r->arena, sizeof(*h));
    h->next = NULL;
    h->name = arena_strdup(r->arena, name);
    h->value = arena_strdup(r->arena, value);
    if (hr->headers_tail != NULL)
        hr->headers_tail->next = h;
    else
        hr->headers = h;
    hr->headers_tail = h;
}
