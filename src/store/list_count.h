/* Private to src/store/: what both backends' list queries share about
 * X-Total-Count and about choosing how a page is found.
 *
 * Counts. The migration 0005 keeps a task_counts row per user (total,
 * completed, version) by triggers in every writing transaction; version
 * goes up with every change to any of the user's tasks and never repeats.
 * An unfiltered list, or one filtered only on completed, takes its total
 * from that row. Any other filter's count is kept in a small per-connection
 * cache under the user, the query's shape and its bound values, together
 * with the version it was counted at (read in the same statement, hence the
 * same snapshot, as the count): it is used only while the user's version
 * is still that one, so it is never stale. */
#ifndef TODO_STORE_LIST_COUNT_H
#define TODO_STORE_LIST_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum { LIST_COUNT_SLOTS = 64 };

typedef struct list_count_slot {
    char *key; /* malloc'd; NULL when empty */
    int64_t version, total;
    int64_t user_total; /* the user's tasks then (for list_count_peek) */
} list_count_slot_t;

typedef struct list_count_cache {
    list_count_slot_t slot[LIST_COUNT_SLOTS];
} list_count_cache_t;

/** The user's task_counts row. exists is false when the user never had a
 *  task (then there is nothing to list). */
typedef struct list_counts_row {
    bool exists;
    int64_t total, completed, version;
} list_counts_row_t;

/** True when q filters on more than completed (its count needs the cache). */
bool list_needs_count(const store_task_query_t *q);
/** The total of q from the counts row alone; only when !list_needs_count. */
int64_t list_total_from_row(const store_task_query_t *q, const list_counts_row_t *row);

/** The cache key of q for user_id: shape and every bound value that
 *  decides which rows match (malloc'd, free it). */
char *list_count_key(const char *user_id, const store_task_query_t *q);
/** Looks key up: true with *total when it was counted at version. */
bool list_count_get(const list_count_cache_t *c, const char *key, int64_t version, int64_t *total);
/** The last count of key whatever its version, and the user's task total
 *  then: good enough to choose a plan by, never to answer with. */
bool list_count_peek(const list_count_cache_t *c, const char *key, int64_t *total,
                     int64_t *user_total);
/** Remembers total for key at version (takes key's ownership). */
void list_count_put(list_count_cache_t *c, char *key, int64_t version, int64_t total,
                    int64_t user_total);
/** Frees every key. */
void list_count_dispose(list_count_cache_t *c);

/** Whether the filters' own indexes (trigram for search, due date range)
 *  should find the page, rather than walking the sort's index and testing
 *  every row: yes when the matches are few against the walk needed to fill
 *  the page at their density (total of user_total rows). */
bool list_drive_by_filter(int64_t total, int64_t user_total, int64_t limit);

#endif
