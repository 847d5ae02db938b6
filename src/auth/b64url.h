/* Base64url without padding (RFC 4648 section 5), as JWS compact tokens and
 * JWKs use it. Decoding is strict: only the url-safe alphabet, no '=', no
 * whitespace, and the unused low bits of the last character must be zero, so
 * each byte string has exactly one accepted encoding. */
#ifndef TODO_AUTH_B64URL_H
#define TODO_AUTH_B64URL_H

#include <stddef.h>

/** Bytes needed to decode n characters (an upper bound). */
#define B64URL_DECODED_MAX(n) (((n) / 4) * 3 + 2)
/** Characters written by b64url_encode for n bytes, without the NUL. */
#define B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))

/** Decodes n characters of in into out, which has room for
 *  B64URL_DECODED_MAX(n) bytes. Returns the decoded length, or -1 when the
 *  input is not canonical unpadded base64url. */
long b64url_decode(const char *in, size_t n, unsigned char *out);

/** Encodes n bytes into out, which has room for B64URL_ENCODED_LEN(n) + 1
 *  characters; writes a terminating NUL and returns the length. */
size_t b64url_encode(const unsigned char *in, size_t n, char *out);

#endif
