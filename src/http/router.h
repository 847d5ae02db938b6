/* Route matching over the route table: literal segments and {name}
 * segments, a trailing slash being a different path. The router answers
 * "this route", "known path, wrong method" (with the methods the path has)
 * or "no such path". It keeps pointers into the table it was built from. */
#ifndef TODO_HTTP_ROUTER_H
#define TODO_HTTP_ROUTER_H

#include <stddef.h>

#include "http/api.h"

typedef struct router router_t;

/** Methods, as bits of a mask; router_methods_str lists them in this order. */
enum {
    ROUTER_GET = 1U << 0,
    ROUTER_HEAD = 1U << 1,
    ROUTER_POST = 1U << 2,
    ROUTER_PUT = 1U << 3,
    ROUTER_PATCH = 1U << 4,
    ROUTER_DELETE = 1U << 5,
    ROUTER_OPTIONS = 1U << 6,
};

typedef enum router_status {
    ROUTER_FOUND = 0,
    ROUTER_METHOD_NOT_ALLOWED = 1,
    ROUTER_NOT_FOUND = 2,
} router_status_t;

/** A match. Parameter values point into the path given to router_match and
 *  are still percent-encoded. */
typedef struct router_match {
    const route_t *route; /* ROUTER_FOUND */
    unsigned methods;     /* every method of the path (FOUND and METHOD_NOT_ALLOWED) */
    size_t n_params;
    const char *param_names[API_MAX_PATH_PARAMS];
    const char *param_values[API_MAX_PATH_PARAMS];
    size_t param_lens[API_MAX_PATH_PARAMS];
} router_match_t;

/** Builds a router over n routes (the table must outlive it). A malformed
 *  pattern, an unknown method or more than API_MAX_PATH_PARAMS parameters
 *  is a programmer error (assert). Never NULL. */
router_t *router_new(const route_t *routes, size_t n);
/** Frees the router; NULL is fine. */
void router_free(router_t *r);

/** Matches method and path (path_len bytes, no query string). When several
 *  routes fit, a literal segment beats a parameter at the first place they
 *  differ. */
router_status_t router_match(const router_t *r, const char *method, size_t method_len,
                             const char *path, size_t path_len, router_match_t *m);

/** The mask bit of a method name, or 0 when it is not one we know. */
unsigned router_method_bit(const char *method, size_t len);

/** Every method used by the table, as a mask. */
unsigned router_all_methods(const router_t *r);

/** Writes the methods of mask as "GET, POST" into out (NUL-terminated,
 *  truncated to n bytes). Returns out. */
char *router_methods_str(unsigned mask, char *out, size_t n);

#endif
