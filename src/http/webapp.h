/* The web app of API.md section 8, served from memory: web/ is embedded at
 * build time by scripts/embed_web.py (index.html, and the scripts, styles
 * and icon under content-hashed names, each with a gzip copy). GET / answers
 * index.html (Cache-Control: no-cache), GET /app/{name} one of the other
 * files (cached for a year: its name changes with its content). Every
 * answer, 404 included, carries the page's security headers. */
#ifndef TODO_HTTP_WEBAPP_H
#define TODO_HTTP_WEBAPP_H

#include <stdbool.h>
#include <stddef.h>

#include "http/api.h"

/** One embedded file; `gz` is its gzip copy. */
typedef struct webapp_file {
    const char *name; /* "index.html", or "app.3f2a9c1b7e.js" */
    const char *content_type;
    const char *data;
    size_t len;
    const char *gz;
    size_t gz_len;
} webapp_file_t;

/** The embedded files, index.html first (generated: web/meson.build). */
extern const webapp_file_t webapp_files[];
extern const size_t webapp_files_count;
/** All the gzip copies together, in bytes (the budget is checked at build). */
extern const size_t webapp_gzip_total;

/** The Content-Security-Policy of every answer (API.md section 8). */
#define WEBAPP_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** The file served as name, or NULL. */
const webapp_file_t *webapp_find(const char *name);

/** True when an Accept-Encoding value (NULL: no header) lets us send gzip:
 *  gzip, x-gzip or * with a q-value above 0 (RFC 9110 section 12.5.3). */
bool webapp_accepts_gzip(const char *accept_encoding);

/** GET /: index.html. */
void webapp_handle_index(api_req_t *r);
/** GET /app/{name}: one hashed file; 404 for any other name. */
void webapp_handle_file(api_req_t *r);

#endif
