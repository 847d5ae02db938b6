#include "auth/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

_Static_assert(PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash buffer size");

/* OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1. */
#define PASSWORD_OPSLIMIT 2ULL
#define PASSWORD_MEMLIMIT ((size_t)19 * 1024 * 1024)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static char dummy_hash[PASSWORD_HASH_MAX];

static void init_once(void)
{
    if (sodium_init() < 0)
        return;
    /* A hash of random bytes: nothing a client sends can match it. */
    unsigned char secret[32];
    randombytes_buf(secret, sizeof(secret));
    if (crypto_pwhash_str(dummy_hash, (const char *)secret, sizeof(secret), PASSWORD_OPSLIMIT,
                          PASSWORD_MEMLIMIT) != 0)
        return;
    sodium_memzero(secret, sizeof(secret));
    init_rc = 0;
}

int password_init(void)
{
    pthread_once(&once, init_once);
    return init_rc;
}

int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
    if (password_init() != 0)
        return -1;
    return crypto_pwhash_str(out, pw, len, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT) == 0 ? 0 : -1;
}

bool password_verify(const char *hash, const char *pw, size_t len)
{
    if (password_init() != 0 || hash == NULL)
        return false;
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

bool password_verify_dummy(const char *pw, size_t len)
{
    if (password_init() == 0) {
        int rc = crypto_pwhash_str_verify(dummy_hash, pw, len);
        (void)rc;
    }
    return false;
}
