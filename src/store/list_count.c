/* The list queries' count cache and plan choice: see list_count.h. */
#include "store/list_count.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static bool given(const char *s)
{
    return s != NULL && *s != '\0';
}

bool list_needs_count(const store_task_query_t *q)
{
    return q->priority != PRIORITY_NONE || given(q->tag) || given(q->search) ||
           q->due_filter != DUE_FILTER_ANY;
}

int64_t list_total_from_row(const store_task_query_t *q, const list_counts_row_t *row)
{
    if (!row->exists)
        return 0;
    if (q->completed < 0)
        return row->total;
    return q->completed ? row->completed : row->total - row->completed;
}

/* One field of a key: its length, then its bytes (so no value can pass for
 * another); NULL as "-". */
static void key_field(buf_t *b, const char *s)
{
    if (s == NULL) {
        buf_append(b, "-", 1);
        return;
    }
    char len[24];
    int n = snprintf(len, sizeof(len), "%zu:", strlen(s));
    buf_append(b, len, (size_t)n);
    buf_append(b, s, strlen(s));
}

char *list_count_key(const char *user_id, const store_task_query_t *q)
{
    buf_t b = BUF_INIT;
    char shape[64];
    int n = snprintf(shape, sizeof(shape), "%d/%d/%d/", q->completed, (int)q->priority,
                     (int)q->due_filter);
    buf_append(&b, shape, (size_t)n);
    key_field(&b, user_id);
    key_field(&b, given(q->tag) ? q->tag : NULL);
    key_field(&b, given(q->search) ? q->search : NULL);
    bool dated = q->due_filter != DUE_FILTER_ANY && q->due_filter != DUE_FILTER_NONE;
    key_field(&b, dated ? q->today : NULL);
    key_field(&b, dated ? q->week_start : NULL);
    key_field(&b, dated ? q->week_end : NULL);
    char *key = malloc(b.len + 1);
    if (key != NULL) {
        memcpy(key, b.data, b.len);
        key[b.len] = '\0';
    }
    buf_dispose(&b);
    return key;
}

static size_t slot_of(const char *key)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return (size_t)(h % LIST_COUNT_SLOTS);
}

bool list_count_get(const list_count_cache_t *c, const char *key, int64_t version, int64_t *total)
{
    if (key == NULL)
        return false;
    const list_count_slot_t *s = &c->slot[slot_of(key)];
    if (s->key == NULL || s->version != version || strcmp(s->key, key) != 0)
        return false;
    *total = s->total;
    return true;
}

bool list_count_peek(const list_count_cache_t *c, const char *key, int64_t *total,
                     int64_t *user_total)
{
    if (key == NULL)
        return false;
    const list_count_slot_t *s = &c->slot[slot_of(key)];
    if (s->key == NULL || strcmp(s->key, key) != 0)
        return false;
    *total = s->total;
    *user_total = s->user_total;
    return true;
}

void list_count_put(list_count_cache_t *c, char *key, int64_t version, int64_t total,
                    int64_t user_total)
{
    if (key == NULL)
        return;
    list_count_slot_t *s = &c->slot[slot_of(key)];
    free(s->key);
    s->key = key;
    s->version = version;
    s->total = total;
    s->user_total = user_total;
}

void list_count_dispose(list_count_cache_t *c)
{
    for (size_t i = 0; i < LIST_COUNT_SLOTS; i++) {
        free(c->slot[i].key);
        c->slot[i].key = NULL;
    }
}

bool list_drive_by_filter(int64_t total, int64_t user_total, int64_t limit)
{
    if (total <= 0 || user_total <= 0)
        return true;
    /* Walking the sort index reads about limit * user_total / total rows to
     * fill a page; the filter's index reads every match (and sorts them). */
    double walk = (double)limit * (double)user_total / (double)total;
    return (double)total <= 2.0 * walk;
}
