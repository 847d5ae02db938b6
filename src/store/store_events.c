/* What both backends share about the change log: the event types and the
 * JSON of an event's data. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "store/store_backend.h"

const char *const store__event_created = "task.created";
const char *const store__event_updated = "task.updated";
const char *const store__event_deleted = "task.deleted";

const char *store__event_task_data(arena_t *arena, store_task_json_fn enc, const store_task_t *t)
{
    if (enc == NULL)
        return arena_printf(arena, "{\"task\": {\"id\": %" PRId64 "}}", t->id);
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"task\": ");
    enc(t, &b);
    buf_putc(&b, '}');
    const char *s = arena_strndup(arena, b.data, b.len);
    buf_dispose(&b);
    return s;
}

const char *store__event_id_data(arena_t *arena, int64_t id)
{
    return arena_printf(arena, "{\"id\": %" PRId64 "}", id);
}

/* The id a task is encoded with when the database has not chosen it yet. */
#define ID_SENTINEL "9223372036854775807"

void store__event_task_data_split(arena_t *arena, store_task_json_fn enc, const store_task_t *t,
                                  const char **before, const char **after)
{
    static const char key[] = "\"id\":" ID_SENTINEL;
    if (enc != NULL) {
        store_task_t c = *t;
        c.id = INT64_MAX;
        buf_t b = BUF_INIT;
        buf_puts(&b, "{\"task\": ");
        enc(&c, &b);
        buf_putc(&b, '}');
        /* Quotes inside strings are escaped, so the first match is the key. */
        const char *at = strstr(b.data, key);
        if (at != NULL) {
            size_t head = (size_t)(at - b.data) + sizeof("\"id\":") - 1;
            *before = arena_strndup(arena, b.data, head);
            *after = arena_strdup(arena, at + sizeof(key) - 1);
            buf_dispose(&b);
            return;
        }
        buf_dispose(&b); /* an encoder without "id": fall back to the id alone */
    }
    *before = "{\"task\": {\"id\": ";
    *after = "}}";
}
