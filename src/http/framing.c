/* The framing scanner (see framing.h). Heads are parsed by picohttpparser,
 * the parser h2o itself runs on the same bytes, so both see the same header
 * lines and the same end of head; bodies are skipped by the rules h2o frames
 * them with (the first Content-Length, or picohttpparser's chunked decoder,
 * whose states are followed here without moving any byte). */
#include "http/framing.h"

#include <string.h>
#include <strings.h>

/* picohttpparser is built into Debian's libh2o (its symbols are exported:
 * h2o parses every request with it) but its header is not installed; these
 * are its declarations, unchanged since 2014. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
                      const char **path, size_t *path_len, int *minor_version,
                      struct phr_header *headers, size_t *num_headers, size_t last_len);

enum {
    ST_HEAD = 0, /* the next byte starts (or continues) a head */
    ST_BODY,     /* skipping `left` bytes of a Content-Length body */
    ST_CHUNKED,  /* inside a chunked body */
    ST_IGNORE,   /* after a body h2o refuses: it closes, nothing more to check */
    ST_REFUSED,  /* a head was refused */
};

/* picohttpparser's chunked-decoder states (with consume_trailer on, as h2o
 * sets it). */
enum {
    CH_SIZE = 0,
    CH_EXT,
    CH_DATA,
    CH_CRLF,
    CH_TRAILER_HEAD,
    CH_TRAILER_MIDDLE,
};

enum { CHUNK_SIZE_DIGITS = sizeof(size_t) * 2, LENGTH_DIGITS_MAX = 19 };

void http_framing_init(http_framing_t *f)
{
    memset(f, 0, sizeof(*f));
}

bool http_framing_refused(const http_framing_t *f)
{
    return f->state == ST_REFUSED;
}

/* ---- heads ------------------------------------------------------------------ */

static bool name_is(const struct phr_header *h, const char *lower, size_t n)
{
    return h->name_len == n && strncasecmp(h->name, lower, n) == 0;
}

static void trim_ows(const char **v, size_t *n)
{
    while (*n > 0 && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n > 0 && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
        (*n)--;
}

/* A Content-Length value: 1-19 decimal digits and nothing else. */
static bool parse_length(const char *v, size_t n, uint64_t *out)
{
    trim_ows(&v, &n);
    if (n == 0 || n > LENGTH_DIGITS_MAX)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

static bool is_chunked(const char *v, size_t n)
{
    trim_ows(&v, &n);
    return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

/* The body framing of a parsed head: sets *chunked or *length, or returns
 * the reason the head is refused. */
static const char *check_head(const struct phr_header *h, size_t nh, bool *chunked,
                              uint64_t *length)
{
    bool has_length = false;
    int n_te = 0;
    *length = 0;
    for (size_t i = 0; i < nh; i++) {
        if (h[i].name_len == 0)
            return "Obsolete line folding (a header line starting with a space or tab) is not "
                   "allowed";
        if (name_is(&h[i], "content-length", 14)) {
            uint64_t v;
            if (!parse_length(h[i].value, h[i].value_len, &v))
                return "Content-Length must be plain decimal digits";
            if (has_length && v != *length)
                return "Several different Content-Length values";
            has_length = true;
            *length = v;
        } else if (name_is(&h[i], "transfer-encoding", 17)) {
            if (!is_chunked(h[i].value, h[i].value_len))
                return "Transfer-Encoding other than chunked is not supported";
            n_te++;
        }
    }
    if (n_te > 1)
        return "Transfer-Encoding must be given once";
    if (n_te == 1 && has_length)
        return "Both Content-Length and Transfer-Encoding: the request framing is ambiguous";
    *chunked = n_te == 1;
    return NULL;
}

static bool crlf_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Fills rej for the head at buf[start..len) and marks f refused. */
static int refuse(http_framing_t *f, int status, const char *detail, const char *buf, size_t start,
                  size_t len, http_framing_reject_t *rej)
{
    struct phr_header h[HTTP_FRAMING_MAX_HEADERS + 1];
    size_t nh = HTTP_FRAMING_MAX_HEADERS + 1, ml = 0, tl = 0;
    const char *m = NULL, *t = NULL;
    int minor;
    /* parse again from the start: whatever parsed before the problem is in h */
    (void)phr_parse_request(buf + start, len - start, &m, &ml, &t, &tl, &minor, h, &nh, 0);
    memset(rej, 0, sizeof(*rej));
    rej->status = status;
    rej->detail = detail;
    rej->head_offset = start;
    if (m != NULL && t != NULL) {
        rej->method = m;
        rej->method_len = ml;
        rej->target = t;
        rej->target_len = tl;
    }
    for (size_t i = 0; i < nh && i < HTTP_FRAMING_MAX_HEADERS + 1; i++) {
        if (name_is(&h[i], "x-request-id", 12) && rej->request_id == NULL) {
            rej->request_id = h[i].value;
            rej->request_id_len = h[i].value_len;
        } else if (name_is(&h[i], "origin", 6) && rej->origin == NULL) {
            rej->origin = h[i].value;
            rej->origin_len = h[i].value_len;
        }
    }
    f->state = ST_REFUSED;
    return status;
}

/* The head starting at buf[start]: 1 when complete and accepted (*end set
 * past it), 0 when more bytes are needed, or the refusal status. */
static int scan_head(http_framing_t *f, const char *buf, size_t start, size_t len, size_t *end,
                     http_framing_reject_t *rej)
{
    struct phr_header h[HTTP_FRAMING_MAX_HEADERS + 1];
    size_t nh = HTTP_FRAMING_MAX_HEADERS + 1, ml, tl, avail = len - start;
    const char *m, *t;
    int minor;
    /* last_len != 0 makes the parser wait for the blank line before it
     * parses anything, whatever the reads were: each byte is looked at for
     * the end of the head once, and the outcome does not depend on how the
     * bytes were split into reads. */
    size_t last_len = f->head_len != 0 ? f->head_len : 1;
    int r = phr_parse_request(buf + start, avail, &m, &ml, &t, &tl, &minor, h, &nh, last_len);
    if (r == -2) {
        if (avail > HTTP_FRAMING_MAX_HEAD)
            return refuse(f, 431, "Request headers are too large", buf, start, len, rej);
        f->head_len = avail;
        return 0;
    }
    if (r == -1 && nh > HTTP_FRAMING_MAX_HEADERS)
        return refuse(f, 431, "More than 100 header fields", buf, start, len, rej);
    if (r == -1) {
        if (avail <= 4 && crlf_only(buf + start, avail)) {
            f->head_len = avail; /* blank lines only: h2o closes quietly */
            return 0;
        }
        return refuse(f, 400, "Malformed request line or header", buf, start, len, rej);
    }
    if (nh > HTTP_FRAMING_MAX_HEADERS)
        return refuse(f, 431, "More than 100 header fields", buf, start, len, rej);
    if ((size_t)r > HTTP_FRAMING_MAX_HEAD)
        return refuse(f, 431, "Request headers are too large", buf, start, len, rej);
    bool chunked;
    uint64_t length;
    const char *why = check_head(h, nh, &chunked, &length);
    if (why != NULL)
        return refuse(f, 400, why, buf, start, len, rej);

    f->heads++;
    f->head_len = 0;
    *end = start + (size_t)r;
    if (chunked) {
        f->state = ST_CHUNKED;
        f->chunk_state = CH_SIZE;
        f->hex_count = 0;
        f->left = 0;
    } else if (length > 0) {
        f->state = ST_BODY;
        f->left = length;
    }
    return 1;
}

/* ---- chunked bodies --------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Skips chunked-body bytes from buf[*pos]; returns 1 at the end of the body
 * (trailers included), 0 when more bytes are needed, -1 when the encoding is
 * broken (h2o answers 400 and closes). */
static int scan_chunked(http_framing_t *f, const char *buf, size_t len, size_t *pos)
{
    size_t p = *pos;
    int ret = 0;
    for (;;) {
        if (p == len)
            break;
        char c = buf[p];
        switch (f->chunk_state) {
        case CH_SIZE: {
            int v = hex_value(c);
            if (v < 0) {
                if (f->hex_count == 0) {
                    ret = -1;
                    goto out;
                }
                f->hex_count = 0;
                f->chunk_state = CH_EXT; /* this byte belongs to the extension */
                continue;
            }
            if (f->hex_count == CHUNK_SIZE_DIGITS) {
                ret = -1;
                goto out;
            }
            f->left = f->left * 16 + (uint64_t)v;
            f->hex_count++;
            p++;
            break;
        }
        case CH_EXT: {
            const char *lf = memchr(buf + p, '\n', len - p);
            if (lf == NULL) {
                p = len;
                break;
            }
            p = (size_t)(lf - buf) + 1;
            f->chunk_state = f->left == 0 ? CH_TRAILER_HEAD : CH_DATA;
            break;
        }
        case CH_DATA: {
            uint64_t avail = len - p;
            uint64_t take = avail < f->left ? avail : f->left;
            p += (size_t)take;
            f->left -= take;
            if (f->left == 0)
                f->chunk_state = CH_CRLF;
            break;
        }
        case CH_CRLF:
            if (c == '\r') {
                p++;
            } else if (c == '\n') {
                p++;
                f->chunk_state = CH_SIZE;
            } else {
                ret = -1;
                goto out;
            }
            break;
        case CH_TRAILER_HEAD:
            p++;
            if (c == '\n') {
                ret = 1;
                goto out;
            }
            if (c != '\r')
                f->chunk_state = CH_TRAILER_MIDDLE;
            break;
        case CH_TRAILER_MIDDLE: {
            const char *lf = memchr(buf + p, '\n', len - p);
            if (lf == NULL) {
                p = len;
                break;
            }
            p = (size_t)(lf - buf) + 1;
            f->chunk_state = CH_TRAILER_HEAD;
            break;
        }
        default:
            ret = -1;
            goto out;
        }
    }
out:
    *pos = p;
    return ret;
}

/* ---- the stream ------------------------------------------------------------- */

int http_framing_feed(http_framing_t *f, const char *buf, size_t len, size_t n,
                      http_framing_reject_t *rej)
{
    size_t pos = len - n;
    while (pos < len) {
        switch (f->state) {
        case ST_HEAD: {
            size_t end = len;
            int r = scan_head(f, buf, pos - f->head_len, len, &end, rej);
            if (r != 1)
                return r; /* 0: wait for more; or 400/431 */
            pos = end;
            break;
        }
        case ST_BODY: {
            uint64_t avail = len - pos;
            uint64_t take = avail < f->left ? avail : f->left;
            pos += (size_t)take;
            f->left -= take;
            if (f->left == 0)
                f->state = ST_HEAD;
            break;
        }
        case ST_CHUNKED: {
            int r = scan_chunked(f, buf, len, &pos);
            if (r < 0)
                f->state = ST_IGNORE;
            else if (r > 0)
                f->state = ST_HEAD;
            break;
        }
        default: /* ST_IGNORE, ST_REFUSED */
            return 0;
        }
    }
    return 0;
}
