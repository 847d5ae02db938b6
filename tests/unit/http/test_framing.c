/* Unit tests for src/http/framing.c: which heads are refused (400/431),
 * where the refused head starts, that bodies (by length and chunked, with
 * extensions and trailers) are skipped so the next head is found where h2o
 * will find it, and that any split of the stream into reads gives the same
 * result as one read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/framing.h"

typedef struct outcome {
    int status;
    size_t offset;
    uint64_t heads;
    char request_id[64];
    char method[16];
} outcome_t;

/* Feeds s in reads of `step` bytes (0: all at once), the buffer keeping
 * every byte, as a socket's input does until h2o consumes it. */
static outcome_t feed(const char *s, size_t step)
{
    size_t len = strlen(s);
    http_framing_t f;
    http_framing_init(&f);
    outcome_t o;
    memset(&o, 0, sizeof(o));
    if (step == 0)
        step = len;
    for (size_t have = 0; have < len && o.status == 0;) {
        size_t n = len - have < step ? len - have : step;
        have += n;
        http_framing_reject_t rej;
        o.status = http_framing_feed(&f, s, have, n, &rej);
        if (o.status != 0) {
            o.offset = rej.head_offset;
            assert_true(http_framing_refused(&f));
            assert_non_null(rej.detail);
            if (rej.request_id != NULL)
                snprintf(o.request_id, sizeof(o.request_id), "%.*s", (int)rej.request_id_len,
                         rej.request_id);
            if (rej.method != NULL)
                snprintf(o.method, sizeof(o.method), "%.*s", (int)rej.method_len, rej.method);
        }
    }
    o.heads = f.heads;
    return o;
}

/* The outcome of s, checked to be the same for every read size. */
static outcome_t feed_all_ways(const char *s)
{
    outcome_t whole = feed(s, 0);
    static const size_t steps[] = {1, 2, 3, 7, 16, 61};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        outcome_t o = feed(s, steps[i]);
        assert_int_equal(o.status, whole.status);
        assert_int_equal(o.offset, whole.offset);
        assert_int_equal(o.heads, whole.heads);
    }
    return whole;
}

#define GOOD "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

static void refused_400(const char *bad)
{
    char *s = malloc(strlen(GOOD) + strlen(bad) + strlen(GOOD) + 1);
    strcpy(s, GOOD);
    strcat(s, bad);
    strcat(s, GOOD);
    outcome_t o = feed_all_ways(s);
    assert_int_equal(o.status, 400);
    assert_int_equal(o.offset, strlen(GOOD));
    assert_int_equal(o.heads, 1);
    free(s);
}

static void test_good_streams(void **state)
{
    (void)state;
    outcome_t o = feed_all_ways(GOOD GOOD GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 3);
    o = feed_all_ways("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
    /* identical repeated lengths are one length */
    o = feed_all_ways(
        "POST /a HTTP/1.1\r\nContent-Length: 5\r\ncontent-length:  5 \r\n\r\nhello" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
    o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      "5;name=value\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\n"
                      "Trailer-One: 1\r\nTrailer-Two: 2\r\n\r\n" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
    /* bare LF line ends, as picohttpparser takes them */
    o = feed_all_ways("GET / HTTP/1.1\nHost: x\n\nPOST /a HTTP/1.1\nContent-Length: 1\n\nx" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 3);
    /* one blank line before a head is skipped, as h2o does */
    o = feed_all_ways(GOOD "\r\n" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
}

static void test_bodies_hide_heads(void **state)
{
    (void)state;
    /* bytes inside a body are not heads, whatever they look like */
    outcome_t o = feed_all_ways("POST /a HTTP/1.1\r\nContent-Length: 43\r\n\r\n"
                                "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
    o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "2b\r\nGET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n\r\n0\r\n\r\n" GOOD);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 2);
    /* and a refused head right after a chunked body is found */
    o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                      "POST /b HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx");
    assert_int_equal(o.status, 400);
    assert_int_equal(o.offset, strlen("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                      "3\r\nabc\r\n0\r\n\r\n"));
    assert_int_equal(o.heads, 1);
}

static void test_broken_chunked_is_left_to_h2o(void **state)
{
    (void)state;
    /* h2o answers 400 and closes: nothing after it is looked at */
    outcome_t o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
                                "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_int_equal(o.status, 0);
    assert_int_equal(o.heads, 1);
    o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n");
    assert_int_equal(o.status, 0);
    o = feed_all_ways("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "11111111111111111\r\n");
    assert_int_equal(o.status, 0);
}

static void test_ambiguous_framing_400(void **state)
{
    (void)state;
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n"
                "Content-Length: 6\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5,5\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: +5\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length:\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nContent-Length: 12345678901234567890\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
    refused_400("POST /a HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n");
    refused_400("GET /a HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n");
    refused_400("GET /a HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n");
    refused_400("GET /a HTTP/1.1\r\nContent-Length:\r\n 5\r\n\r\n");
    refused_400("GET /a HTTP/1.1\r\nBad Name: 1\r\n\r\n");
    refused_400("GET /a HTTP/1.1\r\nX-A: 1\r\r\n\r\n");
}

static void test_too_many_headers_431(void **state)
{
    (void)state;
    char s[8192];
    for (int count = 99; count <= 102; count++) {
        int n = snprintf(s, sizeof(s), "GET /a HTTP/1.1\r\nX-Request-ID: rid-%d\r\n", count);
        for (int i = 1; i < count; i++)
            n += snprintf(s + n, sizeof(s) - (size_t)n, "X-%d: v\r\n", i);
        snprintf(s + n, sizeof(s) - (size_t)n, "\r\n" GOOD);
        outcome_t o = feed_all_ways(s);
        if (count <= HTTP_FRAMING_MAX_HEADERS) {
            assert_int_equal(o.status, 0);
            assert_int_equal(o.heads, 2);
        } else {
            char rid[32];
            snprintf(rid, sizeof(rid), "rid-%d", count);
            assert_int_equal(o.status, 431);
            assert_int_equal(o.offset, 0);
            assert_string_equal(o.request_id, rid);
            assert_string_equal(o.method, "GET");
        }
    }
}

static void test_huge_head_431(void **state)
{
    (void)state;
    size_t n = HTTP_FRAMING_MAX_HEAD + 100;
    char *s = malloc(n + 64);
    strcpy(s, "GET /a HTTP/1.1\r\nX-Big: ");
    size_t at = strlen(s);
    memset(s + at, 'a', n);
    s[at + n] = '\0';
    outcome_t o = feed(s, 4096); /* incomplete, but already too large */
    assert_int_equal(o.status, 431);
    strcat(s, "\r\n\r\n");
    o = feed(s, 0); /* complete in one read */
    assert_int_equal(o.status, 431);
    free(s);
}

static void test_refused_stays_refused(void **state)
{
    (void)state;
    const char *bad = "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n";
    http_framing_t f;
    http_framing_init(&f);
    http_framing_reject_t rej;
    assert_int_equal(http_framing_feed(&f, bad, strlen(bad), strlen(bad), &rej), 400);
    assert_int_equal(http_framing_feed(&f, GOOD, strlen(GOOD), strlen(GOOD), &rej), 0);
    assert_true(http_framing_refused(&f));
    assert_int_equal(f.heads, 0);
}

static void test_blank_lines_left_to_h2o(void **state)
{
    (void)state;
    outcome_t o = feed("\r\n\r\n", 0);
    assert_int_equal(o.status, 0);
    o = feed("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0);
    assert_int_equal(o.status, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_streams),
        cmocka_unit_test(test_bodies_hide_heads),
        cmocka_unit_test(test_broken_chunked_is_left_to_h2o),
        cmocka_unit_test(test_ambiguous_framing_400),
        cmocka_unit_test(test_too_many_headers_431),
        cmocka_unit_test(test_huge_head_431),
        cmocka_unit_test(test_refused_stays_refused),
        cmocka_unit_test(test_blank_lines_left_to_h2o),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
