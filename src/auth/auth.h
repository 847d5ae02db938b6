/* Authentication: bearer-token verification for the HTTP layer (HS256 with
 * BETTER_AUTH_SECRET; EdDSA, ES256 and RS256 with keys from JWKS_FILE /
 * JWKS_URL), tokens for the built-in accounts, and the `token` command.
 *
 * Key rotation: a token whose kid is not in the key set triggers a reload of
 * the key sources, at most once every JWKS_REFRESH_SECONDS and one at a time,
 * on the blocking-work pool. The request that triggered it waits; other
 * unknown kids meanwhile are refused at once. Verification never touches the
 * database. All functions are thread-safe. */
#ifndef TODO_AUTH_AUTH_H
#define TODO_AUTH_AUTH_H

#include <stddef.h>

#include "core/arena.h"
#include "core/settings.h"
#include "http/api.h"

typedef struct auth auth_t;

/** Builds the verifier from the settings: copies what it needs, reads
 *  JWKS_FILE and fetches JWKS_URL once. A bad secret (< 32 bytes), an
 *  unreadable or invalid JWKS_FILE, or a JWKS_URL that is not http(s) fail
 *  with one line in err. A JWKS_URL that cannot be fetched now is only a
 *  warning: the front end serving it may start later, and the first token
 *  with an unknown kid fetches it again. Without BETTER_AUTH_SECRET, tokens
 *  of the built-in accounts are signed with a random per-process key (a
 *  warning says so). Returns 0 or -1. */
int auth_new(const settings_t *s, auth_t **out, char *err, size_t errlen);

/** Frees the verifier; NULL is fine. No request may still be using it, and
 *  no refetch may be running (drain the blocking-work pool first). */
void auth_free(auth_t *a);

/** The api_authenticate_fn: checks the bearer token (len bytes, without the
 *  "Bearer " prefix). Fills r->principal (strings in r->arena) and returns 0;
 *  returns -1 for 401; or returns 1 while the key set is refetched for an
 *  unknown kid, and later calls api_auth_done(r, ok) on r's thread. */
int auth_authenticate(void *auth, api_req_t *r, const char *token, size_t len);

/** Issues an HS256 token {sub, email?, iat, exp} for a built-in account;
 *  ttl <= 0 means TOKEN_TTL. The token lives in arena; *expires_at_out gets
 *  exp (Unix seconds). Returns 0. */
int auth_issue_token(const auth_t *a, const char *sub, const char *email, long ttl, arena_t *arena,
                     const char **token_out, long long *expires_at_out);

/** `todo-server token --sub ID [--email E] [--ttl SECONDS]`: prints an HS256
 *  token signed with BETTER_AUTH_SECRET on stdout. argv[0] is the command
 *  name ("token"); flags may also be written --sub=ID. Returns the exit
 *  status: 0, or 2 with a message on stderr for bad arguments or when
 *  BETTER_AUTH_SECRET is not set. */
int auth_token_cli(const settings_t *s, int argc, char **argv);

#endif
