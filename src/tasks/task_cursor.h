/* The list's keyset cursor (API.md section 4.3, `cursor`): an opaque
 * string naming the last task of a page by its sort key values and id,
 * bound to the query it came from. It is base64url of a JSON array
 * [1, fingerprint, id, key1, key2, today]: fingerprint is a BLAKE2b digest
 * of the user, every filter, the sort and its direction (not the limit),
 * so a cursor used with another query is refused; today is the date the
 * date filters used, pinned so that the next page filters the same way
 * even if the server's date changes meanwhile. */
#ifndef TODO_TASKS_TASK_CURSOR_H
#define TODO_TASKS_TASK_CURSOR_H

#include "core/arena.h"
#include "store/store.h"

/** The cursor that continues q (for user_id) right after task last. */
const char *task_cursor_encode(arena_t *arena, const char *user_id, const store_task_query_t *q,
                               const store_task_t *last);

/** Reads cursor s into *after (in arena). Its pinned date, if any, goes to
 *  *today. Returns 0, or -1 when s is not a well-formed cursor. */
int task_cursor_decode(arena_t *arena, const char *s, store_task_t **after, const char **today);

/** True when cursor s was made for this user and query (the query's today,
 *  week_start and week_end already settled). */
bool task_cursor_fits(const char *s, const char *user_id, const store_task_query_t *q);

/** True when q's due filter depends on its today. */
bool task_query_dated(const store_task_query_t *q);

#endif
