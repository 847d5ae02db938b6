#include "auth/jwks_source.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

#ifndef TODO_VERSION
#define TODO_VERSION "dev"
#endif

int jwks_url_ok(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int jwks_read_file(jwk_set_t *s, const char *path, char *err, size_t errlen)
{
    buf_t b = BUF_INIT;
    int rc = -1;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "JWKS_FILE: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > JWKS_MAX_BYTES) {
            snprintf(err, errlen, "JWKS_FILE: %s is larger than %d bytes", path, JWKS_MAX_BYTES);
            goto out;
        }
        buf_append(&b, chunk, n);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "JWKS_FILE: cannot read %s", path);
        goto out;
    }
    rc = jwk_set_add_json(s, b.data ? b.data : "", b.len, "JWKS_FILE", err, errlen);
out:
    fclose(f);
    buf_dispose(&b);
    return rc;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    buf_t *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > JWKS_MAX_BYTES)
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    buf_append(b, p, n);
    return n;
}

int jwks_fetch_url(jwk_set_t *s, const char *url, char *err, size_t errlen)
{
    buf_t b = BUF_INIT;
    int rc = -1;
    struct curl_slist *headers = NULL;
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "JWKS_URL: cannot start libcurl");
        return -1;
    }
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)JWKS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "todo-server/" TODO_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_WRITE_ERROR && b.len > 0) {
        snprintf(err, errlen, "JWKS_URL: the document is larger than %d bytes", JWKS_MAX_BYTES);
    } else if (cc != CURLE_OK) {
        snprintf(err, errlen, "JWKS_URL: fetch failed: %s", curl_easy_strerror(cc));
    } else if (status != 200) {
        snprintf(err, errlen, "JWKS_URL: answered HTTP %ld, not 200", status);
    } else {
        rc = jwk_set_add_json(s, b.data ? b.data : "", b.len, "JWKS_URL", err, errlen);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    buf_dispose(&b);
    return rc;
}
