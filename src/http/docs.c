/* The documentation routes: the OpenAPI document, the Swagger UI page, and
 * Swagger UI's files for use without a CDN. All of it is made once by
 * docs_init and read-only afterwards, so the handlers need no locking. */
#include "http/docs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"

/* The Swagger UI files the page needs, from the swagger-ui-dist package. */
const char *const docs_asset_names[] = {"swagger-ui.css", "swagger-ui-bundle.js",
                                        "favicon-32x32.png", NULL};

enum { DOCS_N_ASSETS = 3, DOCS_ASSET_MAX = 32 << 20 };
_Static_assert(sizeof(docs_asset_names) / sizeof(docs_asset_names[0]) == DOCS_N_ASSETS + 1,
               "DOCS_N_ASSETS");

typedef struct asset {
    char *data; /* NULL: not served */
    size_t len;
} asset_t;

static struct {
    char *openapi;
    size_t openapi_len;
    char *page;
    size_t page_len;
    asset_t assets[DOCS_N_ASSETS];
} docs;

/* Appends s with the five HTML special characters escaped. */
static void put_html(buf_t *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

/* The page, like FastAPI's: Swagger UI's stylesheet and bundle from base,
 * the document from ./openapi.json (relative, so a path prefix added by a
 * proxy still works). */
static void build_page(buf_t *b, const char *title, const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    char *dir = xstrndup(base, n);
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>");
    put_html(b, title);
    buf_puts(b, " - API documentation</title>\n<link rel=\"stylesheet\" href=\"");
    put_html(b, dir);
    buf_puts(b, "/swagger-ui.css\">\n<link rel=\"icon\" type=\"image/png\" href=\"");
    put_html(b, dir);
    buf_puts(b, "/favicon-32x32.png\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n"
                "<script src=\"");
    put_html(b, dir);
    buf_puts(
        b, "/swagger-ui-bundle.js\"></script>\n"
           "<script>\n"
           "window.ui = SwaggerUIBundle({\n"
           "  url: \"openapi.json\",\n"
           "  dom_id: \"#swagger-ui\",\n"
           "  layout: \"BaseLayout\",\n"
           "  deepLinking: true,\n"
           "  showExtensions: true,\n"
           "  showCommonExtensions: true,\n"
           "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]\n"
           "});\n"
           "</script>\n</body>\n</html>\n");
    free(dir);
}

/* Reads dir/name whole into a; -1 with a reason in err. */
static int read_asset(asset_t *a, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    int rc = -1;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "DOCS_ASSETS_DIR: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    buf_t b = BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > DOCS_ASSET_MAX) {
            snprintf(err, errlen, "DOCS_ASSETS_DIR: %s is larger than %d bytes", path,
                     DOCS_ASSET_MAX);
            goto out;
        }
        buf_append(&b, chunk, got);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "DOCS_ASSETS_DIR: cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    a->data = b.data != NULL ? b.data : xstrdup("");
    a->len = b.len;
    b.data = NULL;
    rc = 0;
out:
    buf_dispose(&b);
    fclose(f);
    return rc;
}

int docs_init(const char *title, const char *openapi_json, size_t len, const char *assets_url,
              const char *assets_dir, char *err, size_t errlen)
{
    docs_dispose();
    if (assets_dir != NULL) {
        for (size_t i = 0; i < DOCS_N_ASSETS; i++) {
            if (read_asset(&docs.assets[i], assets_dir, docs_asset_names[i], err, errlen) != 0) {
                docs_dispose();
                return -1;
            }
        }
    }
    docs.openapi = xmalloc(len + 1);
    memcpy(docs.openapi, openapi_json, len);
    docs.openapi[len] = '\0';
    docs.openapi_len = len;
    buf_t page = BUF_INIT;
    build_page(&page, title, assets_dir != NULL ? DOCS_LOCAL_ASSETS : assets_url);
    docs.page = page.data;
    docs.page_len = page.len;
    return 0;
}

void docs_dispose(void)
{
    free(docs.openapi);
    free(docs.page);
    for (size_t i = 0; i < DOCS_N_ASSETS; i++)
        free(docs.assets[i].data);
    memset(&docs, 0, sizeof(docs));
}

void docs_handle_openapi(api_req_t *r)
{
    if (docs.openapi == NULL) {
        api_respond_err(r, API_ERR_NOT_FOUND, "No OpenAPI document was set up");
        return;
    }
    api_respond_json(r, 200, docs.openapi, docs.openapi_len);
}

void docs_handle_page(api_req_t *r)
{
    if (docs.page == NULL) {
        api_respond_err(r, API_ERR_NOT_FOUND, "No documentation page was set up");
        return;
    }
    api_respond_raw(r, 200, "text/html; charset=utf-8", docs.page, docs.page_len);
}

static const char *asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot != NULL && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (dot != NULL && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    return "image/png";
}

void docs_handle_asset(api_req_t *r)
{
    const char *file = api_param(r, "file");
    for (size_t i = 0; file != NULL && i < DOCS_N_ASSETS; i++) {
        if (strcmp(file, docs_asset_names[i]) != 0 || docs.assets[i].data == NULL)
            continue;
        api_add_header(r, "Cache-Control", "public, max-age=86400");
        api_respond_raw(r, 200, asset_type(file), docs.assets[i].data, docs.assets[i].len);
        return;
    }
    api_respond_err(r, API_ERR_NOT_FOUND,
                    docs.assets[0].data == NULL
                        ? "Swagger UI's files are not served here (DOCS_ASSETS_DIR is not set)"
                        : NULL);
}
