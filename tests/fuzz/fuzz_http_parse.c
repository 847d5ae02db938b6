/* Fuzz target: the HTTP layer's parsers of client bytes (src/http/parse.c)
 * and the router (src/http/router.c).
 *
 * Input: the whole data is used as a query string, a path segment, a
 * request path, an X-Request-ID, a Content-Type and an Authorization value.
 * Properties: nothing crashes or leaks; every decoded query value and path
 * segment is valid UTF-8 (decoded, or the raw text made printable); an
 * accepted request id has only [A-Za-z0-9._:-]; a bearer token lies inside
 * the input and holds no space; a route match has non-empty parameters that
 * lie inside the path. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/utf8.h"
#include "fuzz.h"
#include "http/parse.h"
#include "http/router.h"

#define check(ok)                                                                                  \
    do {                                                                                           \
        if (!(ok))                                                                                 \
            abort();                                                                               \
    } while (0)

static void handler(api_req_t *r)
{
    (void)r;
}

static const route_t routes[] = {
    {.method = "GET", .pattern = "/health", .handler = handler},
    {.method = "GET", .pattern = "/api/{user_id}/tasks", .handler = handler},
    {.method = "POST", .pattern = "/api/{user_id}/tasks", .handler = handler},
    {.method = "GET", .pattern = "/api/{user_id}/tasks/{id}", .handler = handler},
    {.method = "PATCH", .pattern = "/api/{user_id}/tasks/{id}/complete", .handler = handler},
    {.method = "GET", .pattern = "/api/auth/me", .handler = handler},
};

static void check_query(arena_t *arena, const char *s, size_t n)
{
    static const char *const names[] = {"a", "tag", "search", "sort_by", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = http_query_get(arena, s, n, names[i]);
        if (v != NULL)
            check(utf8_is_valid(v, strlen(v)));
    }
    const char *seg = http_percent_decode(arena, s, n, false);
    check(utf8_is_valid(seg, strlen(seg)));
}

static void check_headers(const char *s, size_t n)
{
    if (http_request_id_is_valid(s, n)) {
        check(n >= 1 && n <= HTTP_REQUEST_ID_MAX);
        for (size_t i = 0; i < n; i++)
            check(strchr("._:-", s[i]) != NULL || (s[i] >= '0' && s[i] <= '9') ||
                  (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'));
    }
    (void)http_content_type_is_json(s, n);
    const char *tok;
    size_t len;
    if (http_bearer_token(s, n, &tok, &len) == 0) {
        check(len > 0 && tok > s && tok + len <= s + n);
        check(memchr(tok, ' ', len) == NULL && memchr(tok, '\t', len) == NULL);
    }
}

static void check_router(const router_t *router, const char *s, size_t n)
{
    router_match_t m;
    router_status_t st = router_match(router, "GET", 3, s, n, &m);
    if (st == ROUTER_NOT_FOUND) {
        check(m.route == NULL && m.n_params == 0);
        return;
    }
    check(m.methods != 0);
    if (st != ROUTER_FOUND)
        return;
    check(m.route != NULL && n > 0 && s[0] == '/');
    for (size_t i = 0; i < m.n_params; i++) {
        check(m.param_lens[i] > 0);
        check(m.param_values[i] > s && m.param_values[i] + m.param_lens[i] <= s + n);
        check(memchr(m.param_values[i], '/', m.param_lens[i]) == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static router_t *router;
    if (router == NULL)
        router = router_new(routes, sizeof(routes) / sizeof(routes[0]));
    /* a copy of exactly size bytes, so reads past the end are caught */
    char *s = malloc(size ? size : 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    arena_t *arena = arena_new();
    check_query(arena, s, size);
    check_headers(s, size);
    check_router(router, s, size);
    arena_free(arena);
    free(s);
    return 0;
}
