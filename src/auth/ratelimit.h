/* Counting failed attempts per key (an email, a client address) within a
 * sliding window, in a fixed amount of memory. Each key remembers the times
 * of its last `limit` attempts; a key that has had `limit` attempts within
 * the window is refused until the oldest of them leaves it.
 *
 * The table never grows: keys live in `capacity` slots found by a keyed hash
 * (SipHash with a random key, so clients cannot aim collisions) and a short
 * probe; when the probe is full, a slot whose attempts have all expired is
 * reused, else the slot with the oldest latest attempt is evicted. A flood of
 * distinct keys can therefore push old keys out (the per-address limit still
 * holds each flooding client back), but never exhausts memory. Thread-safe. */
#ifndef TODO_AUTH_RATELIMIT_H
#define TODO_AUTH_RATELIMIT_H

#include <stddef.h>

typedef struct ratelimit ratelimit_t;

/** A table of capacity keys allowing limit attempts per window_seconds.
 *  Needs libsodium initialised (password_init or sodium_init). */
ratelimit_t *ratelimit_new(size_t capacity, unsigned limit, long window_seconds);
/** Frees the table; NULL is fine. */
void ratelimit_free(ratelimit_t *rl);

/** Counts one attempt for key (len bytes) at now (monotonic seconds) and
 *  returns 0; or, when key already had `limit` attempts within the window,
 *  counts nothing and returns the seconds until the next one is allowed. */
long ratelimit_take(ratelimit_t *rl, const char *key, size_t len, long long now);

/** Takes back the latest attempt of key (it turned out not to be a failure). */
void ratelimit_forgive(ratelimit_t *rl, const char *key, size_t len);

/** Forgets every attempt of key. */
void ratelimit_reset(ratelimit_t *rl, const char *key, size_t len);

#endif
