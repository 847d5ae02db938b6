/* Unit tests for src/core/ipnet.c: addresses, CIDR lists (TRUSTED_PROXIES)
 * and membership, IPv4-mapped IPv6 included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ipnet.h"

static ipnet_list_t list_of(const char *s)
{
    ipnet_list_t l;
    char why[160];
    assert_int_equal(ipnet_list_parse(s, &l, why, sizeof(why)), 0);
    return l;
}

static bool contains(const ipnet_list_t *l, const char *addr)
{
    uint8_t a[16];
    assert_true(ipnet_addr_parse(addr, strlen(addr), a));
    return ipnet_list_contains(l, a);
}

static void test_addresses(void **state)
{
    (void)state;
    uint8_t a[16];
    char buf[64];
    static const char *const good[] = {
        "127.0.0.1", "0.0.0.0", "255.255.255.255",         "::1",
        "::",        "fd00::1", "2001:db8::8a2e:370:7334", "::ffff:10.1.2.3"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(ipnet_addr_parse(good[i], strlen(good[i]), a));
    static const char *const bad[] = {"",         "1.2.3",     "1.2.3.4.5", "256.1.1.1",
                                      "1.2.3.4 ", "localhost", "[::1]",     "fe80::1%eth0",
                                      "1.2.3.-4", "::1::2",    "01.2.3.4",  "1.2.3.4/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(ipnet_addr_parse(bad[i], strlen(bad[i]), a));
    assert_true(ipnet_addr_parse("::ffff:10.1.2.3", 15, a));
    assert_string_equal(ipnet_addr_format(a, buf, sizeof(buf)), "10.1.2.3");
    assert_true(ipnet_addr_parse("2001:DB8::1", 11, a));
    assert_string_equal(ipnet_addr_format(a, buf, sizeof(buf)), "2001:db8::1");
}

static void test_list_membership(void **state)
{
    (void)state;
    ipnet_list_t l = list_of("127.0.0.1, 10.0.0.0/8,::1 ,fd00::/8,192.168.1.128/25");
    assert_int_equal(l.n, 5);
    assert_true(contains(&l, "127.0.0.1"));
    assert_false(contains(&l, "127.0.0.2"));
    assert_true(contains(&l, "10.0.0.0"));
    assert_true(contains(&l, "10.255.255.255"));
    assert_false(contains(&l, "11.0.0.0"));
    assert_true(contains(&l, "::ffff:10.2.3.4")); /* an IPv4 peer on an IPv6 socket */
    assert_true(contains(&l, "::ffff:127.0.0.1"));
    assert_true(contains(&l, "::1"));
    assert_false(contains(&l, "::2"));
    assert_true(contains(&l, "fdff:ffff::1"));
    assert_false(contains(&l, "fe00::1"));
    assert_true(contains(&l, "192.168.1.200"));
    assert_false(contains(&l, "192.168.1.127"));
    ipnet_list_dispose(&l);
    assert_int_equal(l.n, 0);

    l = list_of("0.0.0.0/0");
    assert_true(contains(&l, "203.0.113.9"));
    assert_false(contains(&l, "2001:db8::1")); /* an IPv4 block holds no IPv6 address */
    ipnet_list_dispose(&l);
    l = list_of("::/0");
    assert_true(contains(&l, "2001:db8::1"));
    assert_true(contains(&l, "203.0.113.9"));
    ipnet_list_dispose(&l);
    l = list_of("::ffff:0:0/96");
    assert_true(contains(&l, "203.0.113.9"));
    ipnet_list_dispose(&l);
}

static void test_list_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          ",",          "127.0.0.1,",  "10.0.0.0/33",  "::/129",          "10.0.0.1/8",
        "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/08", "host.example", "1.2.3.4 5.6.7.8", "fd00::/8/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ipnet_list_t l = {NULL, 0};
        char why[160] = "";
        assert_int_equal(ipnet_list_parse(bad[i], &l, why, sizeof(why)), -1);
        assert_true(why[0] != '\0');
        assert_null(l.nets);
    }
    ipnet_list_t l;
    char why[160];
    assert_int_equal(ipnet_list_parse("10.0.0.0/33", &l, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "10.0.0.0/33"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_list_membership),
        cmocka_unit_test(test_list_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
