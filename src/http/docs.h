/* The documentation routes (API.md section 5): GET /openapi.json serves the
 * OpenAPI document (generated once at start-up by the caller: src/http/
 * knows nothing of schemas), GET /docs an interactive page (Swagger UI) for
 * it, and GET /docs/assets/{file} Swagger UI's own files when they are to be
 * served from here rather than from a CDN (DOCS_ASSETS_DIR). Everything is
 * built or read once by docs_init and served from memory. */
#ifndef TODO_HTTP_DOCS_H
#define TODO_HTTP_DOCS_H

#include <stddef.h>

#include "http/api.h"

/** The files /docs/assets/{file} serves (from swagger-ui-dist),
 *  NULL-terminated; the route's {file} enum is made from this list. */
extern const char *const docs_asset_names[];

/** Where the page's assets live when served from here (relative to /docs). */
#define DOCS_LOCAL_ASSETS "docs/assets"

/** Prepares the routes; call once before the server starts. openapi_json
 *  (len bytes) is copied. The page loads Swagger UI from assets_url (a
 *  CDN, DOCS_ASSETS_URL), unless assets_dir (DOCS_ASSETS_DIR) is non-NULL:
 *  then every file of docs_asset_names is read from that directory now and
 *  the page loads them from /docs/assets. Returns 0, or -1 with one line
 *  in err (a file that cannot be read). */
int docs_init(const char *title, const char *openapi_json, size_t len, const char *assets_url,
              const char *assets_dir, char *err, size_t errlen);
/** Frees what docs_init made (after the server stopped). */
void docs_dispose(void);

/** GET /openapi.json: the document (application/json). */
void docs_handle_openapi(api_req_t *r);
/** GET /docs: the Swagger UI page (text/html). */
void docs_handle_page(api_req_t *r);
/** GET /docs/assets/{file}: one of docs_asset_names when DOCS_ASSETS_DIR is
 *  set; 404 otherwise. */
void docs_handle_asset(api_req_t *r);

#endif
