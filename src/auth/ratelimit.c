#include "auth/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

enum { PROBE = 8 }; /* slots looked at per key */

typedef struct slot {
    uint64_t hash;    /* 0: free */
    long long newest; /* time of the latest attempt */
    unsigned head;    /* index of the oldest attempt in the ring */
    unsigned count;   /* attempts in the ring */
} slot_t;

struct ratelimit {
    pthread_mutex_t mu;
    size_t capacity;
    unsigned limit;
    long window;
    unsigned char key[crypto_shorthash_KEYBYTES];
    slot_t *slots;
    long long *times; /* capacity rings of `limit` attempt times */
};

ratelimit_t *ratelimit_new(size_t capacity, unsigned limit, long window_seconds)
{
    ratelimit_t *rl = xcalloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->mu, NULL);
    rl->capacity = capacity > PROBE ? capacity : PROBE;
    rl->limit = limit > 0 ? limit : 1;
    rl->window = window_seconds;
    crypto_shorthash_keygen(rl->key);
    rl->slots = xcalloc(rl->capacity, sizeof(*rl->slots));
    rl->times = xcalloc(rl->capacity * rl->limit, sizeof(*rl->times));
    return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->slots);
    free(rl->times);
    free(rl);
}

static uint64_t hash_of(const ratelimit_t *rl, const char *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)key, len, rl->key);
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    return h != 0 ? h : 1;
}

/* The slot holding hash, or NULL. */
static slot_t *find(ratelimit_t *rl, uint64_t hash)
{
    for (size_t i = 0; i < PROBE; i++) {
        slot_t *s = &rl->slots[(hash + i) % rl->capacity];
        if (s->hash == hash)
            return s;
    }
    return NULL;
}

/* A slot for a new key: a free one, else one whose attempts all expired,
 * else the one used least recently. */
static slot_t *claim(ratelimit_t *rl, uint64_t hash, long long now)
{
    slot_t *best = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        slot_t *s = &rl->slots[(hash + i) % rl->capacity];
        if (s->hash == 0 || s->count == 0 || s->newest + rl->window <= now) {
            best = s;
            break;
        }
        if (best == NULL || s->newest < best->newest)
            best = s;
    }
    *best = (slot_t){.hash = hash};
    return best;
}

static long long *ring(ratelimit_t *rl, const slot_t *s)
{
    return rl->times + (size_t)(s - rl->slots) * rl->limit;
}

long ratelimit_take(ratelimit_t *rl, const char *key, size_t len, long long now)
{
    uint64_t hash = hash_of(rl, key, len);
    long wait = 0;
    pthread_mutex_lock(&rl->mu);
    slot_t *s = find(rl, hash);
    if (s == NULL)
        s = claim(rl, hash, now);
    long long *t = ring(rl, s);
    while (s->count > 0 && t[s->head] + rl->window <= now) {
        s->head = (s->head + 1) % rl->limit;
        s->count--;
    }
    if (s->count >= rl->limit) {
        wait = (long)(t[s->head] + rl->window - now);
        if (wait < 1)
            wait = 1;
    } else {
        t[(s->head + s->count) % rl->limit] = now;
        s->count++;
        if (now > s->newest)
            s->newest = now;
    }
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void ratelimit_forgive(ratelimit_t *rl, const char *key, size_t len)
{
    uint64_t hash = hash_of(rl, key, len);
    pthread_mutex_lock(&rl->mu);
    slot_t *s = find(rl, hash);
    if (s != NULL && s->count > 0)
        s->count--;
    pthread_mutex_unlock(&rl->mu);
}

void ratelimit_reset(ratelimit_t *rl, const char *key, size_t len)
{
    uint64_t hash = hash_of(rl, key, len);
    pthread_mutex_lock(&rl->mu);
    slot_t *s = find(rl, hash);
    if (s != NULL)
        *s = (slot_t){0};
    pthread_mutex_unlock(&rl->mu);
}
