/* Password hashing for the built-in accounts: Argon2id through libsodium, with
 * OWASP's parameters (19 MiB, 2 passes, 1 lane: tens of milliseconds). Every
 * function here is slow on purpose and blocks: call it on the blocking-work
 * pool (api_offload), never on an event loop. Thread-safe. */
#ifndef TODO_AUTH_PASSWORD_H
#define TODO_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

enum {
    PASSWORD_HASH_MAX = 128, /* room for an encoded hash and its NUL */
};

/** Initialises libsodium and computes the dummy hash used for unknown
 *  accounts. Idempotent; returns 0, or -1 when libsodium cannot start. */
int password_init(void);

/** Hashes len bytes of pw into out as an encoded "$argon2id$..." string.
 *  Returns 0, or -1 when memory for the hash is not available. */
int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);

/** True when pw matches the encoded hash. */
bool password_verify(const char *hash, const char *pw, size_t len);

/** Does the work of password_verify against a hash that matches nothing, so
 *  that an unknown email costs as much time as a wrong password. Returns
 *  false. */
bool password_verify_dummy(const char *pw, size_t len);

#endif
