/* Request framing at the edge (API.md section 2, RFC 9112 section 6): a
 * scanner that follows one connection's bytes as they arrive, finds every
 * request head in them (pipelined or split across reads) with the same
 * parser h2o uses (picohttpparser), checks its framing headers, and skips
 * its body exactly as h2o will (by Content-Length, or by chunked encoding
 * with the same rules as picohttpparser's decoder), so that it sees the
 * next head where h2o will. No I/O and no h2o sockets: the server feeds it
 * from its read callback (edge.c), the tests and the fuzzer feed it bytes.
 *
 * A head is looked at once its blank line has arrived (or once it passes
 * HTTP_FRAMING_MAX_HEAD bytes without one), so the outcome does not depend
 * on how the bytes were split into reads. It is refused (and nothing after
 * it is looked at) when it has:
 *   - more than HTTP_FRAMING_MAX_HEADERS header fields, or more than
 *     HTTP_FRAMING_MAX_HEAD bytes                                        431
 *   - both Content-Length and Transfer-Encoding, two Content-Length values
 *     that differ, a Content-Length that is not plain decimal digits (a
 *     comma list included), a Transfer-Encoding other than one `chunked`,
 *     an obs-folded line (starting with a space or tab), or a head the
 *     parser rejects                                                     400
 * Identical repeated Content-Length fields count as one (RFC 9112 6.3);
 * h2o frames the body by the first, which then is the same length. */
#ifndef TODO_HTTP_FRAMING_H
#define TODO_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    HTTP_FRAMING_MAX_HEADERS = 100,    /* header fields in one head; more is 431 */
    HTTP_FRAMING_MAX_HEAD = 32 * 1024, /* bytes of one head before it is 431 */
};

/** Why a head was refused, and what the answer may reuse from it. Spans
 *  point into the buffer given to http_framing_feed (NULL when unknown). */
typedef struct http_framing_reject {
    int status;         /* 400 or 431 */
    const char *detail; /* static text for the error body */
    size_t head_offset; /* where the refused head starts in the buffer */
    const char *method; /* request line pieces, when they parsed */
    size_t method_len;
    const char *target;
    size_t target_len;
    const char *request_id; /* X-Request-ID value, unchecked */
    size_t request_id_len;
    const char *origin; /* Origin value, unchecked */
    size_t origin_len;
} http_framing_reject_t;

/** One connection's scanner. Zero-initialised (or http_framing_init) means
 *  "at the start of a head". */
typedef struct http_framing {
    uint8_t state;       /* what the next byte belongs to (framing.c) */
    uint8_t chunk_state; /* inside a chunked body */
    uint8_t hex_count;   /* digits of the chunk size read so far */
    size_t head_len;     /* bytes of the current, incomplete head seen so far */
    uint64_t left;       /* body bytes (or chunk bytes) still to skip */
    uint64_t heads;      /* complete heads accepted so far */
} http_framing_t;

/** Resets f to the start of a connection. */
void http_framing_init(http_framing_t *f);

/** Feeds the newest bytes of a connection. buf[0..len) ends with the n new
 *  bytes; the f->head_len bytes just before them are the start of the
 *  current head (they must still be there, unchanged). Returns 0 when every
 *  head completed so far is acceptable, or 400/431 after filling *rej; a
 *  refused scanner stays refused and ignores later bytes. After a body
 *  h2o will refuse anyway (a broken chunked encoding) it ignores the rest:
 *  h2o answers 400 and closes. */
int http_framing_feed(http_framing_t *f, const char *buf, size_t len, size_t n,
                      http_framing_reject_t *rej);

/** True once the scanner has refused a head. */
bool http_framing_refused(const http_framing_t *f);

#endif
