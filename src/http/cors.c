#include "http/cors.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

struct cors {
    bool any; /* "*" was listed */
    size_t n;
    char **origins; /* trimmed copies */
};

cors_t *cors_new(const char *origins)
{
    cors_t *c = xcalloc(1, sizeof(*c));
    size_t cap = 0;
    const char *p = origins != NULL ? origins : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e - s == 1 && *s == '*') {
            c->any = true;
        } else if (e > s) {
            if (c->n == cap) {
                cap = cap ? cap * 2 : 4;
                c->origins = xrealloc(c->origins, cap * sizeof(*c->origins));
            }
            c->origins[c->n++] = xstrndup(s, (size_t)(e - s));
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return c;
}

void cors_free(cors_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->origins[i]);
    free(c->origins);
    free(c);
}

cors_decision_t cors_check(const cors_t *c, const char *origin, size_t len)
{
    cors_decision_t d = {false, false, false};
    if (origin == NULL || len == 0)
        return d;
    if (c->any) {
        d.allowed = true;
        d.wildcard = true;
        return d;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (strlen(c->origins[i]) == len && strncasecmp(c->origins[i], origin, len) == 0) {
            d.allowed = true;
            d.credentials = true;
            return d;
        }
    }
    return d;
}
