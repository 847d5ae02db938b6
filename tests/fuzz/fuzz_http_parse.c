/* Fuzz target: the HTTP layer's parsers of client bytes (src/http/parse.c),
 * the router (src/http/router.c) and the framing scanner that checks every
 * request head on a connection (src/http/framing.c).
 *
 * Input: the whole data is used as a query string, a path segment, a
 * request path, an X-Request-ID, a Content-Type and an Authorization value.
 * Properties: nothing crashes or leaks; every decoded query value and path
 * segment is valid UTF-8 (decoded, or the raw text made printable); an
 * accepted request id has only [A-Za-z0-9._:-]; a bearer token lies inside
 * the input and holds no space; a route match has non-empty parameters that
 * lie inside the path; an X-Forwarded-For value gives a printable address
 * or none; an absolute-form target narrows to a suffix of
 * itself. The whole data is also fed to the framing scanner as one
 * connection's bytes, in one read and split into reads of several sizes:
 * every split gives the same outcome (refusal status, where the refused head
 * starts, heads accepted), and what a refusal points at lies in the data. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/utf8.h"
#include "fuzz.h"
#include "http/framing.h"
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

static void check_target(const char *s, size_t n)
{
    const char *t = s;
    size_t len = n;
    bool absolute = http_target_origin_form(&t, &len);
    check(t >= s && t + len == s + n);
    check(absolute || (t == s && len == n));
    if (absolute && len > 0)
        check(t[0] == '/' || t[0] == '?' || t[0] == '#');
}

static void check_forwarded(const char *s, size_t n)
{
    static ipnet_list_t trusted;
    if (trusted.n == 0) {
        char why[160];
        check(ipnet_list_parse("10.0.0.0/8, ::1, 127.0.0.1", &trusted, why, sizeof(why)) == 0);
    }
    /* the data as one field, and cut in two fields */
    const char *values[2] = {s, s + n / 2};
    size_t lens[2] = {n / 2, n - n / 2};
    uint8_t out[16];
    char text[64];
    if (http_forwarded_for(&trusted, &s, &n, 1, out))
        check(strcmp(ipnet_addr_format(out, text, sizeof(text)), "-") != 0);
    if (http_forwarded_for(&trusted, values, lens, 2, out))
        check(strcmp(ipnet_addr_format(out, text, sizeof(text)), "-") != 0);
}

typedef struct framing_outcome {
    int status;
    size_t offset;
    uint64_t heads;
} framing_outcome_t;

static bool inside(const char *p, size_t n, const char *s, size_t len)
{
    return p == NULL || (p >= s && p + n <= s + len);
}

static framing_outcome_t feed_framing(const char *s, size_t len, size_t step)
{
    http_framing_t f;
    http_framing_init(&f);
    framing_outcome_t o = {0, 0, 0};
    for (size_t have = 0; have < len && o.status == 0;) {
        size_t n = len - have < step ? len - have : step;
        have += n;
        http_framing_reject_t rej;
        o.status = http_framing_feed(&f, s, have, n, &rej);
        if (o.status != 0) {
            check(o.status == 400 || o.status == 431);
            check(http_framing_refused(&f) && rej.detail != NULL);
            check(rej.head_offset < have);
            check(inside(rej.method, rej.method_len, s, have));
            check(inside(rej.target, rej.target_len, s, have));
            check(inside(rej.request_id, rej.request_id_len, s, have));
            check(inside(rej.origin, rej.origin_len, s, have));
            o.offset = rej.head_offset;
        }
    }
    o.heads = f.heads;
    return o;
}

static void check_framing(const char *s, size_t n)
{
    if (n == 0)
        return;
    framing_outcome_t whole = feed_framing(s, n, n);
    static const size_t steps[] = {1, 3, 64};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        framing_outcome_t o = feed_framing(s, n, steps[i]);
        /* picohttpparser (h2o's parser, and ours) is not quite independent of
         * how the bytes arrive: a complete head whose version is malformed
         * and shorter than "HTTP/1.x" answers "incomplete" when the read ends
         * there, and later reads only look for a new blank line. h2o then
         * waits for its request timeout exactly as the scanner does, so no
         * head is ever accepted differently; only "refuse now" against
         * "wait" may differ. */
        check(o.heads == whole.heads);
        if (o.status == whole.status)
            check(o.offset == whole.offset);
        else
            check(o.status == 0 || whole.status == 0);
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
    check_target(s, size);
    check_forwarded(s, size);
    check_framing(s, size);
    arena_free(arena);
    free(s);
    return 0;
}
