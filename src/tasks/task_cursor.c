/* The list's keyset cursor: see task_cursor.h. */
#include "tasks/task_cursor.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/b64url.h"
#include "core/buf.h"
#include "schema/date.h"

enum { FP_BYTES = 16, MAX_CURSOR = 4096 };

bool task_query_dated(const store_task_query_t *q)
{
    return q->due_filter != DUE_FILTER_ANY && q->due_filter != DUE_FILTER_NONE;
}

static void fp_field(crypto_generichash_state *st, const char *s)
{
    /* length-prefixed, so that no value can pass for another */
    char len[24];
    int n =
        s == NULL ? snprintf(len, sizeof(len), "-") : snprintf(len, sizeof(len), "%zu:", strlen(s));
    crypto_generichash_update(st, (const unsigned char *)len, (unsigned long long)n);
    if (s != NULL)
        crypto_generichash_update(st, (const unsigned char *)s, strlen(s));
}

/* Hex of the digest of everything that decides the order and the rows. */
static void fingerprint(const char *user_id, const store_task_query_t *q,
                        char hex[2 * FP_BYTES + 1])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, FP_BYTES);
    char shape[96];
    snprintf(shape, sizeof(shape), "v1/%d/%d/%d/%d/%d", q->completed, (int)q->priority,
             (int)q->due_filter, (int)q->sort_by, q->descending ? 1 : 0);
    fp_field(&st, shape);
    fp_field(&st, user_id);
    fp_field(&st, q->tag != NULL && *q->tag ? q->tag : NULL);
    fp_field(&st, q->search != NULL && *q->search ? q->search : NULL);
    fp_field(&st, task_query_dated(q) ? q->today : NULL);
    unsigned char out[FP_BYTES];
    crypto_generichash_final(&st, out, FP_BYTES);
    sodium_bin2hex(hex, 2 * FP_BYTES + 1, out, FP_BYTES);
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

const char *task_cursor_encode(arena_t *arena, const char *user_id, const store_task_query_t *q,
                               const store_task_t *last)
{
    char fp[2 * FP_BYTES + 1];
    fingerprint(user_id, q, fp);
    json_t *k1 = NULL, *k2 = json_null();
    switch (q->sort_by) {
    case SORT_CREATED_AT:
        k1 = str_or_null(last->created_at);
        break;
    case SORT_UPDATED_AT:
        k1 = str_or_null(last->updated_at);
        break;
    case SORT_DUE_DATE:
        k1 = str_or_null(last->due_date);
        json_decref(k2);
        k2 = str_or_null(last->due_time);
        break;
    case SORT_PRIORITY:
        k1 = last->priority != PRIORITY_NONE ? json_integer(last->priority) : json_null();
        break;
    case SORT_TITLE:
        k1 = str_or_null(last->title);
        break;
    case SORT_COMPLETED:
        k1 = json_boolean(last->completed);
        break;
    }
    json_t *a = json_pack("[isIoos]", 1, fp, (json_int_t)last->id, k1, k2,
                          task_query_dated(q) ? q->today : "");
    char *text = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *out = arena_alloc(arena, B64URL_ENCODED_LEN(n) + 1);
    out[b64url_encode((const unsigned char *)text, n, out)] = '\0';
    free(text);
    return out;
}

static bool is_stamp(const json_t *v)
{
    date_t d;
    date_time_of_day_t t;
    return json_is_string(v) &&
           date_parse_stamp(json_string_value(v), json_string_length(v), &d, &t) == 0;
}

static bool is_date_or_null(const json_t *v)
{
    date_t d;
    return json_is_null(v) || (json_is_string(v) && json_string_length(v) == 10 &&
                               date_parse(json_string_value(v), json_string_length(v), &d) == 0);
}

static bool is_time_or_null(const json_t *v)
{
    date_time_of_day_t t;
    return json_is_null(v) ||
           (json_is_string(v) && json_string_length(v) == 8 &&
            date_parse_time(json_string_value(v), json_string_length(v), &t) == 0);
}

/* The array of a cursor string, or NULL. */
static json_t *parse(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_CURSOR)
        return NULL;
    unsigned char raw[MAX_CURSOR];
    long len = b64url_decode(s, n, raw);
    if (len <= 0)
        return NULL;
    json_t *a = json_loadb((const char *)raw, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(a) || json_array_size(a) != 6 ||
        json_integer_value(json_array_get(a, 0)) != 1 || !json_is_integer(json_array_get(a, 0)) ||
        !json_is_string(json_array_get(a, 1)) || !json_is_integer(json_array_get(a, 2)) ||
        json_integer_value(json_array_get(a, 2)) < 1 || !json_is_string(json_array_get(a, 5))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static const char *dup_or_null(arena_t *arena, const json_t *v)
{
    return json_is_string(v) ? arena_strdup(arena, json_string_value(v)) : NULL;
}

int task_cursor_decode(arena_t *arena, const char *s, store_task_t **after, const char **today)
{
    json_t *a = parse(s);
    if (a == NULL)
        return -1;
    store_task_t *t = arena_calloc(arena, 1, sizeof(*t));
    t->id = (int64_t)json_integer_value(json_array_get(a, 2));
    const json_t *k1 = json_array_get(a, 3), *k2 = json_array_get(a, 4);
    /* Which sort it is for is the fingerprint's business; here every
     * reading the key could have is checked, so that nothing malformed
     * reaches the database. */
    bool ok = false;
    if (is_stamp(k1) && json_is_null(k2)) {
        t->created_at = t->updated_at = dup_or_null(arena, k1);
        ok = true;
    }
    if (is_date_or_null(k1) && is_time_or_null(k2)) {
        t->due_date = dup_or_null(arena, k1);
        t->due_time = dup_or_null(arena, k2);
        ok = true;
    }
    if ((json_is_null(k1) || (json_is_integer(k1) && json_integer_value(k1) >= PRIORITY_LOW &&
                              json_integer_value(k1) <= PRIORITY_HIGH)) &&
        json_is_null(k2)) {
        t->priority = json_is_integer(k1) ? (task_priority_t)json_integer_value(k1) : PRIORITY_NONE;
        ok = true;
    }
    if (json_is_string(k1) && json_string_length(k1) > 0 &&
        strlen(json_string_value(k1)) == json_string_length(k1) && json_is_null(k2)) {
        t->title = dup_or_null(arena, k1);
        ok = true;
    }
    if (json_is_boolean(k1) && json_is_null(k2)) {
        t->completed = json_is_true(k1);
        ok = true;
    }
    const char *pinned = json_string_value(json_array_get(a, 5));
    date_t d;
    if (*pinned != '\0' && (strlen(pinned) != 10 || date_parse(pinned, 10, &d) != 0))
        ok = false;
    *today = *pinned != '\0' ? arena_strdup(arena, pinned) : NULL;
    json_decref(a);
    if (!ok)
        return -1;
    *after = t;
    return 0;
}

/* The key value the sort reads must be one the decoder accepted for it. */
static bool key_fits(const store_task_query_t *q, const json_t *k1, const json_t *k2)
{
    switch (q->sort_by) {
    case SORT_CREATED_AT:
    case SORT_UPDATED_AT:
        return is_stamp(k1) && json_is_null(k2);
    case SORT_DUE_DATE:
        return is_date_or_null(k1) && is_time_or_null(k2) &&
               !(json_is_null(k1) && !json_is_null(k2));
    case SORT_PRIORITY:
        return (json_is_null(k1) || json_is_integer(k1)) && json_is_null(k2);
    case SORT_TITLE:
        return json_is_string(k1) && json_string_length(k1) > 0 && json_is_null(k2);
    case SORT_COMPLETED:
        return json_is_boolean(k1) && json_is_null(k2);
    }
    return false;
}

bool task_cursor_fits(const char *s, const char *user_id, const store_task_query_t *q)
{
    json_t *a = parse(s);
    if (a == NULL)
        return false;
    char fp[2 * FP_BYTES + 1];
    fingerprint(user_id, q, fp);
    bool ok = strcmp(json_string_value(json_array_get(a, 1)), fp) == 0 &&
              key_fits(q, json_array_get(a, 3), json_array_get(a, 4));
    json_decref(a);
    return ok;
}
