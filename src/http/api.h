/* What a route handler sees. The HTTP layer (src/http/) matches the route,
 * enforces the size limit, authenticates, checks the path user, checks the
 * content type and parses the JSON body, in API.md's order, and only then
 * calls the handler. The handler answers with exactly one api_respond_* call,
 * now or later (after a store callback or an offloaded job).
 *
 * Lifetime: an api_req_t stays valid until the handler has answered, even if
 * the client hung up meanwhile (then the answer is dropped and
 * api_req_client_gone() is true). Its arena lives as long as it does. */
#ifndef TODO_HTTP_API_H
#define TODO_HTTP_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

struct schema; /* src/schema/schema.h: request/response bodies, for OpenAPI */
typedef struct api_req api_req_t;

/** A handler: must eventually call one api_respond_* on r. */
typedef void (*api_handler_fn)(api_req_t *r);

/** Route flags. */
enum {
    ROUTE_AUTH = 1u << 0,          /* needs a valid bearer token (401 otherwise) */
    ROUTE_PATH_USER = 1u << 1,     /* {user_id} must equal the token's sub (403) */
    ROUTE_BODY_JSON = 1u << 2,     /* a JSON object body is required (415/400) */
    ROUTE_BODY_OPTIONAL = 1u << 3, /* a JSON body may be sent or omitted */
    ROUTE_NO_LOG = 1u << 4,        /* leave out of the access log (none yet) */
    /* What the handler does with conditional headers (API.md 7.1, 7.2); the
     * OpenAPI document reads them. */
    ROUTE_ETAG = 1u << 5,       /* success carries ETag; a GET honours If-None-Match (304) */
    ROUTE_IF_MATCH = 1u << 6,   /* honours If-Match (412) */
    ROUTE_IDEMPOTENT = 1u << 7, /* honours Idempotency-Key (409, 422, Idempotent-Replayed) */
};

/** One row of the route table. Patterns are literal segments and {name}
 *  segments, e.g. "/api/{user_id}/tasks/{id}"; a {name} matches one non-empty
 *  segment. A trailing slash is a different path. */
typedef struct route {
    const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern;
    api_handler_fn handler;
    unsigned flags;
    int status;                    /* success status, for OpenAPI */
    const struct schema *query;    /* query-parameter schema or NULL */
    const struct schema *request;  /* body schema or NULL */
    const struct schema *response; /* response schema or NULL */
    bool response_is_array;        /* the response is an array of `response` */
    const int *errors;             /* error statuses this route can answer, 0-terminated */
    const char *summary;
    const char *description;
    const char *tag; /* OpenAPI tag: "tasks", "auth", "operations" */
    const char *operation_id;
    const char *media_type; /* success body's type when not JSON ("text/html"); NULL: JSON */
    const char *const *response_headers; /* more headers of the success answer, for OpenAPI
                                            (names, NULL-terminated), or NULL */
} route_t;

enum { API_MAX_PATH_PARAMS = 4 };

/** The authenticated caller. */
typedef struct api_principal {
    const char *sub;   /* user id: [A-Za-z0-9._-]{1,128} */
    const char *email; /* or NULL */
} api_principal_t;

struct api_req {
    arena_t *arena; /* dies with the request */
    const route_t *route;
    store_worker_t *store; /* this worker's database handle */
    void *worker;          /* opaque: the HTTP worker (for offload) */
    const char *method;    /* NUL-terminated copies */
    const char *path;      /* without the query string */
    const char *query;     /* raw query string without '?', or "" */
    const char *request_id;
    size_t n_params;
    const char *param_names[API_MAX_PATH_PARAMS];  /* "user_id", "id" */
    const char *param_values[API_MAX_PATH_PARAMS]; /* percent-decoded */
    api_principal_t principal;                     /* set when the route has ROUTE_AUTH */
    json_t *body;                                  /* parsed object, or NULL when none; owned */
    const char *client_addr;                       /* peer address, for rate limiting */
};

/** Value of path parameter `name`, or NULL. */
const char *api_param(const api_req_t *r, const char *name);

/** Value of the first query parameter `name` (percent-decoded, '+' is a
 *  space), into the arena; NULL when absent. */
const char *api_query(api_req_t *r, const char *name);

/** The value of request header `name` (case-insensitive), into the arena;
 *  several lines of it are joined with ", " (RFC 9110 §5.3). NULL when
 *  absent. */
const char *api_header(api_req_t *r, const char *name);

/** True once the client has gone away; the answer will be dropped. */
bool api_req_client_gone(const api_req_t *r);

/** Adds a response header (copied). Call before api_respond_*. */
void api_add_header(api_req_t *r, const char *name, const char *value);

/** Marks r's coming answer as the replay of a stored one (Idempotency-Key):
 *  it carries Idempotent-Replayed: true and counts in /metrics. */
void api_mark_replayed(api_req_t *r);

/** Answers with a JSON body (copied). */
void api_respond_json(api_req_t *r, int status, const char *body, size_t len);
/** Answers with no body (204, for instance). */
void api_respond_empty(api_req_t *r, int status);
/** Answers with the error's status and JSON body. */
void api_respond_error(api_req_t *r, const api_error_t *e);
/** Answers with a plain error of that kind; detail NULL means the default. */
void api_respond_err(api_req_t *r, api_err_t err, const char *detail);
/** Answers with the status for a store failure (503 or 500, logged). */
void api_respond_store_error(api_req_t *r, store_status_t status);
/** Answers with a body of another content type (docs page, metrics). */
void api_respond_raw(api_req_t *r, int status, const char *content_type, const char *body,
                     size_t len);


/* ---- streaming answers ------------------------------------------------------
 * A long-lived answer written piece by piece (text/event-stream): the head
 * goes out at once, then whatever api_stream_write queues, as fast as the
 * client reads it (h2o's generator: the next piece leaves when the last one
 * was written). The stream is exempt from the idle timeout. Everything runs
 * on the request's worker thread. */

typedef struct api_stream api_stream_t;

/** What a stream tells its owner. After on_close the stream is gone: the
 *  owner must not touch it again. */
typedef struct api_stream_config {
    const char *content_type;
    size_t max_pending;    /* bytes queued and not yet taken by the socket; a write
                              past it ends the stream (the client resumes) */
    const char *heartbeat; /* written with the head (h2o sends no head alone) and
                              whenever nothing was for heartbeat_ms; required */
    int heartbeat_ms;
    /** The stream ended without the owner asking: the client went away, or
     *  the server is stopping. Called once. */
    void (*on_close)(void *owner);
    /** Called about once a second while the stream is open (retries). */
    void (*on_tick)(void *owner);
    void *owner;
} api_stream_config_t;

/** Answers r with 200 and cfg->content_type (plus Cache-Control: no-cache,
 *  X-Request-ID, CORS and the headers added so far), sends the head now and
 *  keeps the answer open. This is r's one answer: r stays valid until the
 *  stream ends. */
api_stream_t *api_stream_open(api_req_t *r, const api_stream_config_t *cfg);
/** Queues len bytes holding n_messages messages (counted in /metrics).
 *  Returns 0; or -1 when the queue would pass max_pending: the stream is
 *  then ended (what was queued before is still sent) and gone, and
 *  on_close is not called. */
int api_stream_write(api_stream_t *s, const char *data, size_t len, unsigned n_messages);
/** Ends the stream cleanly after what is queued; the stream is gone and
 *  on_close is not called. */
void api_stream_close(api_stream_t *s);

/** Runs work(arg) on the shared blocking-work thread pool (password hashing,
 *  key fetching), then done(r, arg) back on r's own event-loop thread. */
void api_offload(api_req_t *r, void (*work)(void *arg), void (*done)(api_req_t *r, void *arg),
                 void *arg);

/** How the HTTP layer checks a bearer token: a function set at start-up
 *  (the auth module's). It fills r->principal (strings in r->arena) and
 *  returns 0; or returns -1 and the request is answered 401; or returns 1
 *  when it must wait (a JWKS refetch for an unknown kid) and will later call
 *  api_auth_done(r, ok) on r's thread. */
typedef int (*api_authenticate_fn)(void *auth_ctx, api_req_t *r, const char *token, size_t len);

/** Resumes a request whose authentication returned 1: ok true continues with
 *  the checks after the token, false answers 401. */
void api_auth_done(api_req_t *r, bool ok);

#endif
