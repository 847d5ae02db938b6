/* A fake HTTP layer for unit tests of route handlers: the api_* functions of
 * http/api.h, recording the one answer a handler gives in `ans` (its status,
 * its body parsed back as JSON, its headers). api_param reads the request's
 * path parameters; api_query reads the name/value list in `query_kv`.
 *
 * It defines the api_* functions, so include it (after <cmocka.h>) in exactly
 * one file of a test executable that does not link src/http. A test that
 * needs more of the layer (api_offload, api_auth_done) defines that itself. */
#ifndef TODO_TESTS_FAKE_API_H
#define TODO_TESTS_FAKE_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "http/api.h"
#include "store/store.h"

enum { FAKE_API_MAX_HEADERS = 8, FAKE_API_HEADER_LEN = 128 };

/** What the handler answered. */
typedef struct fake_answer {
    int status;    /* 0 until answered */
    int n_answers; /* a handler must answer exactly once */
    json_t *body;  /* the JSON body parsed back, NULL for none; owned here */
    char headers[FAKE_API_MAX_HEADERS][2][FAKE_API_HEADER_LEN];
    int n_headers;
} fake_answer_t;

static fake_answer_t ans;
static const char *const *query_kv;   /* name, value, ..., NULL; NULL for none */
static const char *const *request_kv; /* request headers (lower-case names), the same way */

/** Forgets the last answer (frees its body); call before each request. */
static inline void fake_api_reset(void)
{
    json_decref(ans.body);
    memset(&ans, 0, sizeof(ans));
}

/** The value of the answer's header name, or NULL. */
static inline const char *header(const char *name)
{
    for (int i = 0; i < ans.n_headers; i++)
        if (strcmp(ans.headers[i][0], name) == 0)
            return ans.headers[i][1];
    return NULL;
}

static inline void fake_api_answer(int status, const char *body, size_t len)
{
    ans.status = status;
    ans.n_answers++;
    json_decref(ans.body);
    ans.body = NULL;
    if (body != NULL) {
        ans.body = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (ans.body == NULL)
            fail_msg("handler sent invalid JSON: %.*s", (int)len, body);
    }
}

const char *api_param(const api_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->param_names[i], name) == 0)
            return r->param_values[i];
    return NULL;
}

const char *api_query(api_req_t *r, const char *name)
{
    (void)r;
    for (size_t i = 0; query_kv != NULL && query_kv[i] != NULL; i += 2)
        if (strcmp(query_kv[i], name) == 0)
            return query_kv[i + 1];
    return NULL;
}

const char *api_header(api_req_t *r, const char *name)
{
    (void)r;
    for (size_t i = 0; request_kv != NULL && request_kv[i] != NULL; i += 2)
        if (strcmp(request_kv[i], name) == 0)
            return request_kv[i + 1];
    return NULL;
}

bool api_req_client_gone(const api_req_t *r)
{
    (void)r;
    return false;
}

void api_add_header(api_req_t *r, const char *name, const char *value)
{
    (void)r;
    assert_true(ans.n_headers < FAKE_API_MAX_HEADERS);
    snprintf(ans.headers[ans.n_headers][0], FAKE_API_HEADER_LEN, "%s", name);
    snprintf(ans.headers[ans.n_headers][1], FAKE_API_HEADER_LEN, "%s", value);
    ans.n_headers++;
}

void api_mark_replayed(api_req_t *r)
{
    api_add_header(r, "Idempotent-Replayed", "true");
}

void api_respond_json(api_req_t *r, int status, const char *body, size_t len)
{
    (void)r;
    fake_api_answer(status, body, len);
}

void api_respond_empty(api_req_t *r, int status)
{
    (void)r;
    fake_api_answer(status, NULL, 0);
}

void api_respond_error(api_req_t *r, const api_error_t *e)
{
    (void)r;
    buf_t b = BUF_INIT;
    api_error_to_json(e, &b);
    fake_api_answer(api_err_status(e->err), b.data, b.len);
    buf_dispose(&b);
}

void api_respond_err(api_req_t *r, api_err_t err, const char *detail)
{
    api_error_t e;
    api_error_init(&e, err);
    e.detail = detail;
    api_respond_error(r, &e);
}

/* STORE_UNAVAILABLE answers 503 and every other status 500 (the real one
 * also maps NOT_FOUND, CONFLICT and REJECTED). */
void api_respond_store_error(api_req_t *r, store_status_t status)
{
    api_respond_err(
        r, status == STORE_UNAVAILABLE ? API_ERR_SERVICE_UNAVAILABLE : API_ERR_INTERNAL_ERROR,
        NULL);
}

#endif
