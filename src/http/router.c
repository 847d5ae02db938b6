#include "http/router.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"

enum { ROUTER_MAX_SEGMENTS = 16 };

typedef struct segment {
    const char *text; /* literal text, or the parameter's name (NUL-terminated) */
    size_t len;
    int is_param;
} segment_t;

typedef struct compiled_route {
    const route_t *route;
    unsigned method;
    size_t n_segments;
    segment_t segments[ROUTER_MAX_SEGMENTS];
    unsigned literal_rank; /* literal segments as bits, the first one highest */
} compiled_route_t;

struct router {
    compiled_route_t *routes;
    size_t n;
    unsigned all_methods;
};

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", ROUTER_GET},         {"HEAD", ROUTER_HEAD},   {"POST", ROUTER_POST},
    {"PUT", ROUTER_PUT},         {"PATCH", ROUTER_PATCH}, {"DELETE", ROUTER_DELETE},
    {"OPTIONS", ROUTER_OPTIONS},
};

unsigned router_method_bit(const char *method, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == len && memcmp(methods[i].name, method, len) == 0)
            return methods[i].bit;
    return 0;
}

char *router_methods_str(unsigned mask, char *out, size_t n)
{
    size_t o = 0;
    assert(n > 0);
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!(mask & methods[i].bit))
            continue;
        int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", methods[i].name);
        if (w < 0 || (size_t)w >= n - o) {
            out[o] = '\0'; /* drop the partly written name */
            break;
        }
        o += (size_t)w;
    }
    return out;
}

static void compile(compiled_route_t *c, const route_t *route)
{
    const char *p = route->pattern;
    size_t n_params = 0;
    assert(p != NULL && p[0] == '/');
    c->route = route;
    c->method = router_method_bit(route->method, strlen(route->method));
    assert(c->method != 0 && "unknown method in the route table");
    c->n_segments = 0;
    c->literal_rank = 0;
    if (strcmp(p, "/") == 0) { /* the root: one empty literal segment, as split_path sees it */
        c->segments[0] = (segment_t){.text = p + 1, .len = 0, .is_param = 0};
        c->n_segments = 1;
        c->literal_rank = 1U << (ROUTER_MAX_SEGMENTS - 1);
        return;
    }
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        assert(len > 0 && "empty segment in a route pattern");
        assert(c->n_segments < ROUTER_MAX_SEGMENTS);
        segment_t *s = &c->segments[c->n_segments];
        if (p[0] == '{') {
            assert(len > 2 && p[len - 1] == '}');
            s->text = xstrndup(p + 1, len - 2);
            s->len = len - 2;
            s->is_param = 1;
            n_params++;
        } else {
            s->text = p;
            s->len = len;
            s->is_param = 0;
            c->literal_rank |= 1U << (ROUTER_MAX_SEGMENTS - 1 - c->n_segments);
        }
        c->n_segments++;
        p += len;
    }
    assert(*p == '\0');
    assert(n_params <= API_MAX_PATH_PARAMS);
    (void)n_params;
}

router_t *router_new(const route_t *routes, size_t n)
{
    router_t *r = xcalloc(1, sizeof(*r));
    r->routes = xcalloc(n ? n : 1, sizeof(*r->routes));
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        compile(&r->routes[i], &routes[i]);
        r->all_methods |= r->routes[i].method;
    }
    return r;
}

void router_free(router_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = 0; k < r->routes[i].n_segments; k++)
            if (r->routes[i].segments[k].is_param)
                free((char *)r->routes[i].segments[k].text);
    free(r->routes);
    free(r);
}

unsigned router_all_methods(const router_t *r)
{
    return r->all_methods;
}

typedef struct path_segments {
    size_t n;
    const char *at[ROUTER_MAX_SEGMENTS];
    size_t len[ROUTER_MAX_SEGMENTS];
} path_segments_t;

/* Splits "/a/b" into segments; -1 when the path does not start with '/' or
 * has more segments than any route can. */
static int split_path(const char *path, size_t len, path_segments_t *ps)
{
    if (len == 0 || path[0] != '/')
        return -1;
    ps->n = 0;
    size_t i = 1;
    for (;;) {
        if (ps->n == ROUTER_MAX_SEGMENTS)
            return -1;
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash != NULL ? (size_t)(slash - path) : len;
        ps->at[ps->n] = path + i;
        ps->len[ps->n] = end - i;
        ps->n++;
        if (slash == NULL)
            return 0;
        i = end + 1;
    }
}

static int segments_match(const compiled_route_t *c, const path_segments_t *ps)
{
    if (c->n_segments != ps->n)
        return 0;
    for (size_t i = 0; i < ps->n; i++) {
        const segment_t *s = &c->segments[i];
        if (s->is_param) {
            if (ps->len[i] == 0)
                return 0;
        } else if (s->len != ps->len[i] || memcmp(s->text, ps->at[i], s->len) != 0) {
            return 0;
        }
    }
    return 1;
}

router_status_t router_match(const router_t *r, const char *method, size_t method_len,
                             const char *path, size_t path_len, router_match_t *m)
{
    path_segments_t ps = {0};
    const compiled_route_t *best = NULL;
    unsigned bit = router_method_bit(method, method_len);

    memset(m, 0, sizeof(*m));
    if (split_path(path, path_len, &ps) != 0)
        return ROUTER_NOT_FOUND;
    for (size_t i = 0; i < r->n; i++) {
        const compiled_route_t *c = &r->routes[i];
        if (!segments_match(c, &ps))
            continue;
        m->methods |= c->method;
        if (c->method == bit && (best == NULL || c->literal_rank > best->literal_rank))
            best = c;
    }
    if (best == NULL)
        return m->methods != 0 ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;

    m->route = best->route;
    for (size_t i = 0; i < best->n_segments; i++) {
        if (!best->segments[i].is_param)
            continue;
        m->param_names[m->n_params] = best->segments[i].text;
        m->param_values[m->n_params] = ps.at[i];
        m->param_lens[m->n_params] = ps.len[i];
        m->n_params++;
    }
    return ROUTER_FOUND;
}
