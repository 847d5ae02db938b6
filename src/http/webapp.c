/* Serving the embedded web app (API.md section 8). Everything is const data
 * made at build time, so the handlers need no state and no locking. */
#include "http/webapp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const webapp_file_t *webapp_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < webapp_files_count; i++)
        if (strcmp(webapp_files[i].name, name) == 0)
            return &webapp_files[i];
    return NULL;
}

/* Skips spaces and tabs. */
static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The q-value of one list element's parameters ("; q=0.5"): 1 when absent,
 * 0 when malformed (a client that garbles it does not get gzip). */
static double q_value(const char *p, const char *end)
{
    while (p < end) {
        p = skip_ows(p);
        if (*p == ';') {
            p = skip_ows(p + 1);
            continue;
        }
        if ((p[0] == 'q' || p[0] == 'Q') && p + 1 < end && p[1] == '=') {
            char num[8];
            size_t n = 0;
            for (p += 2; p < end && n + 1 < sizeof(num) && (*p == '.' || (*p >= '0' && *p <= '9'));
                 p++)
                num[n++] = *p;
            num[n] = '\0';
            char *stop = NULL;
            double q = strtod(num, &stop);
            return n == 0 || *stop != '\0' || q < 0 || q > 1 ? 0 : q;
        }
        p += strcspn(p, ";,");
        if (p > end)
            p = end;
    }
    return 1;
}

bool webapp_accepts_gzip(const char *accept_encoding)
{
    if (accept_encoding == NULL)
        return false;
    double gzip_q = -1, star_q = -1;
    const char *p = accept_encoding;
    while (*p != '\0') {
        p = skip_ows(p);
        size_t elem = strcspn(p, ",");
        const char *end = p + elem;
        size_t tok = strcspn(p, " \t;,");
        if (tok > elem)
            tok = elem;
        double q = q_value(p + tok, end);
        if ((tok == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0))
            gzip_q = q;
        else if (tok == 1 && p[0] == '*')
            star_q = q;
        p = *end == ',' ? end + 1 : end;
    }
    return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

static void add_page_headers(api_req_t *r)
{
    api_add_header(r, "Content-Security-Policy", WEBAPP_CSP);
    api_add_header(r, "X-Content-Type-Options", "nosniff");
    api_add_header(r, "Referrer-Policy", "no-referrer");
}

static void send_file(api_req_t *r, const webapp_file_t *f, const char *cache_control)
{
    add_page_headers(r);
    api_add_header(r, "Cache-Control", cache_control);
    api_add_header(r, "Vary", "Accept-Encoding");
    if (webapp_accepts_gzip(api_header(r, "accept-encoding"))) {
        api_add_header(r, "Content-Encoding", "gzip");
        api_respond_raw(r, 200, f->content_type, f->gz, f->gz_len);
    } else {
        api_respond_raw(r, 200, f->content_type, f->data, f->len);
    }
}

void webapp_handle_index(api_req_t *r)
{
    send_file(r, &webapp_files[0], "no-cache");
}

void webapp_handle_file(api_req_t *r)
{
    const webapp_file_t *f = webapp_find(api_param(r, "name"));
    if (f == NULL || f == &webapp_files[0]) {
        add_page_headers(r);
        api_respond_err(r, API_ERR_NOT_FOUND, "No such file");
        return;
    }
    send_file(r, f, "public, max-age=31536000, immutable");
}
