/* IP addresses and CIDR blocks, for TRUSTED_PROXIES: parsing a list of
 * them, and asking whether an address belongs to one. IPv4 is kept in its
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d), so an IPv4 peer seen on an IPv6
 * socket matches the IPv4 blocks it should. No I/O. */
#ifndef TODO_CORE_IPNET_H
#define TODO_CORE_IPNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** An address (16 bytes, IPv4 mapped) and how many leading bits count. */
typedef struct ipnet {
    uint8_t addr[16];
    unsigned prefix; /* 0-128 */
} ipnet_t;

/** A list of blocks; {NULL, 0} is the empty list. */
typedef struct ipnet_list {
    ipnet_t *nets;
    size_t n;
} ipnet_list_t;

/** Parses n bytes of s as one IPv4 or IPv6 address (no port, no brackets,
 *  no zone) into out. Returns false when it is not one. */
bool ipnet_addr_parse(const char *s, size_t n, uint8_t out[16]);

/** Writes addr as text (IPv4-mapped addresses as plain IPv4) into buf,
 *  which must hold at least 46 bytes; returns buf. */
const char *ipnet_addr_format(const uint8_t addr[16], char *buf, size_t len);

/** Parses a comma-separated list of addresses and CIDR blocks
 *  ("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8"); spaces around items are
 *  allowed, empty items are not. A block's host bits must be zero. On
 *  success fills *out (free it with ipnet_list_dispose) and returns 0; else
 *  returns -1 with the reason, naming the bad item, in why. */
int ipnet_list_parse(const char *s, ipnet_list_t *out, char *why, size_t whylen);

/** Frees the list's items; the list becomes empty. */
void ipnet_list_dispose(ipnet_list_t *l);

/** True when addr lies in one of the list's blocks. */
bool ipnet_list_contains(const ipnet_list_t *l, const uint8_t addr[16]);

#endif
