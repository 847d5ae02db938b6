/* Unit tests for src/http/webapp.c: when Accept-Encoding lets us send gzip
 * (RFC 9110 section 12.5.3), and the embedded files (web/, made at build
 * time by scripts/embed_web.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/webapp.h"

static void test_accepts_gzip(void **state)
{
    (void)state;
    const char *yes[] = {"gzip",
                         "GZIP",
                         "x-gzip",
                         "deflate, gzip",
                         "gzip;q=0.5",
                         "gzip ; q=1",
                         "br;q=1.0, gzip;q=0.8, *;q=0.1",
                         "*",
                         "*;q=0.3",
                         "gzip;level=9;q=0.2",
                         " gzip ,br",
                         "identity, gzip;q=1.000"};
    const char *no[] = {
        "",           "identity",       "br",          "gzip;q=0",     "gzip;q=0.000",
        "*;q=0",      "deflate, *;q=0", "gzipx",       "xgzip",        "gzip;q=",
        "gzip;q=abc", "gzip;q=2",       "gzip;q=0, *", "br, gzip;q=-1"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!webapp_accepts_gzip(yes[i]))
            fail_msg("should accept gzip: \"%s\"", yes[i]);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (webapp_accepts_gzip(no[i]))
            fail_msg("should not accept gzip: \"%s\"", no[i]);
    }
    assert_false(webapp_accepts_gzip(NULL));
}

static void test_embedded_files(void **state)
{
    (void)state;
    assert_true(webapp_files_count >= 3);
    assert_string_equal(webapp_files[0].name, "index.html");
    assert_ptr_equal(webapp_find("index.html"), &webapp_files[0]);
    assert_null(webapp_find("nope.js"));
    assert_null(webapp_find(NULL));
    size_t gz = 0;
    for (size_t i = 0; i < webapp_files_count; i++) {
        const webapp_file_t *f = &webapp_files[i];
        assert_ptr_equal(webapp_find(f->name), f);
        assert_true(f->len > 0 && f->gz_len > 18);
        /* gzip magic, deflate, and mtime 0 (reproducible builds) */
        assert_memory_equal(f->gz, "\x1f\x8b\x08", 3);
        assert_memory_equal(f->gz + 4, "\0\0\0\0", 4);
        assert_int_equal(strlen(f->data), f->len); /* text, no NUL inside */
        gz += f->gz_len;
        if (i > 0) { /* name.<10 hex digits>.ext */
            const char *dot = strchr(f->name, '.');
            assert_non_null(dot);
            assert_true(strspn(dot + 1, "0123456789abcdef") == 10 && dot[11] == '.');
        }
    }
    assert_int_equal(gz, webapp_gzip_total);
    assert_true(gz <= 50 * 1024);
    assert_non_null(strstr(webapp_files[0].data, "<script type=\"module\" src=\"app/main."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_gzip),
        cmocka_unit_test(test_embedded_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
