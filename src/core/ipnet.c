#include "core/ipnet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

enum { ADDR_TEXT_MAX = 45 }; /* the longest IPv6 text, IPv4 tail included */

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4_mapped(const uint8_t addr[16])
{
    return memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

bool ipnet_addr_parse(const char *s, size_t n, uint8_t out[16])
{
    char text[ADDR_TEXT_MAX + 1];
    if (n == 0 || n > ADDR_TEXT_MAX)
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    if (memchr(text, '\0', n) != NULL)
        return false;
    if (memchr(text, ':', n) == NULL) {
        memcpy(out, v4_mapped_prefix, sizeof(v4_mapped_prefix));
        return inet_pton(AF_INET, text, out + 12) == 1;
    }
    return inet_pton(AF_INET6, text, out) == 1;
}

const char *ipnet_addr_format(const uint8_t addr[16], char *buf, size_t len)
{
    const char *s = is_v4_mapped(addr) ? inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len)
                                       : inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
    if (s == NULL && len > 0)
        snprintf(buf, len, "-");
    return buf;
}

static bool host_bits_zero(const ipnet_t *net)
{
    for (unsigned bit = net->prefix; bit < 128; bit++)
        if (net->addr[bit / 8] & (0x80u >> (bit % 8)))
            return false;
    return true;
}

/* One item: an address, or address/prefix. */
static int parse_item(const char *s, size_t n, ipnet_t *net, char *why, size_t whylen)
{
    const char *slash = memchr(s, '/', n);
    size_t addr_len = slash != NULL ? (size_t)(slash - s) : n;
    if (!ipnet_addr_parse(s, addr_len, net->addr)) {
        snprintf(why, whylen, "\"%.*s\" is not an IP address or CIDR block", (int)(n > 64 ? 64 : n),
                 s);
        return -1;
    }
    bool v4 = is_v4_mapped(net->addr) && memchr(s, ':', addr_len) == NULL;
    unsigned max = v4 ? 32 : 128;
    net->prefix = 128;
    if (slash != NULL) {
        const char *p = slash + 1, *end = s + n;
        unsigned bits = 0;
        if (p == end || end - p > 3 || (end - p > 1 && *p == '0')) {
            snprintf(why, whylen, "\"%.*s\" has a bad prefix length", (int)(n > 64 ? 64 : n), s);
            return -1;
        }
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') {
                snprintf(why, whylen, "\"%.*s\" has a bad prefix length", (int)(n > 64 ? 64 : n),
                         s);
                return -1;
            }
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max) {
            snprintf(why, whylen, "\"%.*s\": the prefix length is at most %u",
                     (int)(n > 64 ? 64 : n), s, max);
            return -1;
        }
        net->prefix = v4 ? 96 + bits : bits;
    }
    if (!host_bits_zero(net)) {
        snprintf(why, whylen, "\"%.*s\" has bits set after its prefix", (int)(n > 64 ? 64 : n), s);
        return -1;
    }
    return 0;
}

int ipnet_list_parse(const char *s, ipnet_list_t *out, char *why, size_t whylen)
{
    ipnet_list_t l = {NULL, 0};
    size_t cap = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a == b) {
            snprintf(why, whylen, "an item of the list is empty");
            ipnet_list_dispose(&l);
            return -1;
        }
        if (l.n == cap) {
            cap = cap != 0 ? cap * 2 : 4;
            l.nets = xrealloc(l.nets, cap * sizeof(*l.nets));
        }
        if (parse_item(a, (size_t)(b - a), &l.nets[l.n], why, whylen) != 0) {
            ipnet_list_dispose(&l);
            return -1;
        }
        l.n++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *out = l;
    return 0;
}

void ipnet_list_dispose(ipnet_list_t *l)
{
    free(l->nets);
    l->nets = NULL;
    l->n = 0;
}

static bool in_net(const ipnet_t *net, const uint8_t addr[16])
{
    unsigned full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (net->addr[full] & mask) == (addr[full] & mask);
}

bool ipnet_list_contains(const ipnet_list_t *l, const uint8_t addr[16])
{
    for (size_t i = 0; i < l->n; i++)
        if (in_net(&l->nets[i], addr))
            return true;
    return false;
}
