/* GET /api/{user_id}/events: one Server-Sent Events stream per request, fed
 * from the change log (see events.h).
 *
 * A stream is registered with its worker before its first read of the log,
 * so a commit notified while that read runs makes it read again: the
 * hand-over from replay to live events needs no lock and leaves no gap. It
 * reads after the last id it delivered, in batches, one read at a time, and
 * writes only ids above that one: nothing is repeated. When the log no
 * longer holds the next id (older than EVENTS_RETENTION), the stream says
 * `event: reset` with the newest id and goes on from there.
 *
 * Decisions (documented in the OpenAPI description too): Last-Event-ID (the
 * header, which wins, or the last_event_id query parameter) is a decimal
 * integer 0..2^63-1, anything else is 400; an id above the user's newest is
 * a reset too; without one the stream starts at the newest id; a reset
 * carries that id, so a client that reconnects after it resumes from there;
 * the Accept header is not checked. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "events/events_internal.h"
#include "schema/schema.h"

enum { BUCKETS = 1024, MAX_USER = 128 };

typedef struct ev_stream {
    struct ev_stream *next, *prev; /* in the worker's bucket */
    api_req_t *r;                  /* until the stream opens */
    api_stream_t *out;             /* NULL before it opens and once it ended */
    arena_t *arena;                /* the read in flight (NULL between reads) */
    int64_t last;                  /* the newest id delivered (or reset to) */
    int64_t resume;                /* Last-Event-ID, or -1 */
    bool opened, reading, again, failed, dead;
    char user[MAX_USER + 1];
} ev_stream_t;

typedef struct ev_worker {
    store_worker_t *store;
    ev_stream_t *buckets[BUCKETS];
} ev_worker_t;

static _Thread_local ev_worker_t *tl;

static const schema_field_t query_fields[] = {
    {.name = "last_event_id",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     .offset = 0,
     .minimum = 0,
     .maximum = INT64_MAX,
     .description = "The id of the last event the client has, for clients that cannot send the "
                    "Last-Event-ID header (the header wins when both are sent): the stream "
                    "replays every later event, then goes on live.",
     .example = "118"},
};

const struct schema events_query_schema = {
    .name = "EventsQuery",
    .description = "Where an event stream resumes.",
    .fields = query_fields,
    .n_fields = 1,
    .mode = SCHEMA_MODE_PARAMS,
};

/* ---- the worker's registry ---------------------------------------------------- */

static unsigned bucket_of(const char *user)
{
    unsigned h = 2166136261u;
    for (; *user; user++)
        h = (h ^ (unsigned char)*user) * 16777619u;
    return h % BUCKETS;
}

static void registry_add(ev_stream_t *s)
{
    ev_stream_t **head = &tl->buckets[bucket_of(s->user)];
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL)
        (*head)->prev = s;
    *head = s;
}

static void registry_remove(ev_stream_t *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        tl->buckets[bucket_of(s->user)] = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

/* The stream is over for its client: off the registry, its slot back;
 * freed now, or when its read comes back. */
static void stream_end(ev_stream_t *s)
{
    registry_remove(s);
    events__slot_give(s->user);
    s->out = NULL;
    s->dead = true;
    if (!s->reading)
        free(s);
}

/* ---- reading the log and writing events ---------------------------------------- */

static void read_start(ev_stream_t *s);

/* Writes the events of res after s->last (or a reset); false when the
 * stream ended (too slow a reader). */
static bool deliver(ev_stream_t *s, const store_result_t *res)
{
    int64_t after = s->last, newest = res->last_event_id;
    bool gap = after > newest ||
               (after < newest && (res->n_events == 0 || res->events[0].id != after + 1));
    buf_t b = BUF_INIT;
    unsigned n = 0;
    if (gap) {
        buf_printf(&b, "id: %" PRId64 "\nevent: reset\ndata: {}\n\n", newest);
        s->last = newest;
        n = 1;
    } else {
        for (size_t i = 0; i < res->n_events; i++) {
            const store_event_t *e = &res->events[i];
            if (e->id <= s->last)
                continue;
            buf_printf(&b, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", e->id, e->type, e->data);
            s->last = e->id;
            n++;
        }
        if (res->n_events >= EVENTS_READ_BATCH)
            s->again = true; /* the log may hold more */
    }
    int rc = b.len > 0 ? api_stream_write(s->out, b.data, b.len, n) : 0;
    buf_dispose(&b);
    if (rc != 0) {
        s->out = NULL; /* ended by the HTTP layer */
        stream_end(s);
        return false;
    }
    return true;
}

static void on_close(void *owner)
{
    ev_stream_t *s = owner;
    s->out = NULL;
    stream_end(s);
}

static void on_tick(void *owner)
{
    ev_stream_t *s = owner;
    if (s->failed && !s->reading)
        read_start(s); /* the database was away: catch up now */
}

/* The first read is back: answer the request with the stream. */
static void open_stream(ev_stream_t *s, const store_result_t *res)
{
    api_req_t *r = s->r;
    s->r = NULL;
    if (res->status != STORE_OK) {
        registry_remove(s);
        events__slot_give(s->user);
        api_respond_store_error(r, res->status);
        free(s);
        return;
    }
    const api_stream_config_t cfg = {.content_type = "text/event-stream",
                                     .max_pending = EVENTS_MAX_PENDING,
                                     .heartbeat = ": ping\n\n",
                                     .heartbeat_ms = EVENTS_PING_MS,
                                     .on_close = on_close,
                                     .on_tick = on_tick,
                                     .owner = s};
    s->opened = true;
    s->out = api_stream_open(r, &cfg);
    if (s->out == NULL) { /* the client left, or the server is stopping */
        stream_end(s);
        return;
    }
    if (s->resume < 0)
        s->last = res->last_event_id; /* from now on */
    else if (!deliver(s, res))
        return;
    if (s->again) {
        s->again = false;
        read_start(s);
    }
}

static void on_read_result(ev_stream_t *s, const store_result_t *res)
{
    if (s->dead) {
        free(s);
        return;
    }
    if (!s->opened) {
        open_stream(s, res);
        return;
    }
    if (res->status != STORE_OK) {
        s->failed = true; /* on_tick tries again */
        return;
    }
    if (!deliver(s, res))
        return;
    if (s->again) {
        s->again = false;
        read_start(s);
    }
}

static void on_read(void *ctx, const store_result_t *res)
{
    ev_stream_t *s = ctx;
    arena_t *arena = s->arena; /* res lives in it */
    s->arena = NULL;
    s->reading = false;
    on_read_result(s, res);
    arena_free(arena);
}

static void read_start(ev_stream_t *s)
{
    s->reading = true;
    s->failed = false;
    s->again = false;
    s->arena = arena_new(); /* only while a read runs: idle streams stay small */
    int64_t after = s->opened ? s->last : s->resume >= 0 ? s->resume : INT64_MAX;
    int64_t since = (int64_t)time(NULL) - events__retention();
    store_events_read(tl->store, s->arena, s->user, after, since, EVENTS_READ_BATCH, on_read, s);
}

void events__wake(const char *user, int64_t last_id)
{
    if (tl == NULL)
        return;
    for (unsigned b = user != NULL ? bucket_of(user) : 0; b < BUCKETS; b++) {
        for (ev_stream_t *s = tl->buckets[b], *next; s != NULL; s = next) {
            next = s->next;
            if (user != NULL && (strcmp(s->user, user) != 0 || (s->opened && last_id <= s->last)))
                continue;
            if (s->reading)
                s->again = true;
            else
                read_start(s);
        }
        if (user != NULL)
            break;
    }
}

void events__worker_init(store_worker_t *store)
{
    tl = xcalloc(1, sizeof(*tl));
    tl->store = store;
}

void events__worker_dispose(void)
{
    if (tl == NULL)
        return;
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (tl->buckets[b] != NULL) {
            ev_stream_t *s = tl->buckets[b];
            registry_remove(s);
            events__slot_give(s->user);
            free(s);
        }
    }
    free(tl);
    tl = NULL;
}

/* ---- the route ----------------------------------------------------------------- */

static const char *query_get(void *ctx, const char *name)
{
    return api_query(ctx, name);
}

/* Last-Event-ID from the header (it wins) or the query: 0 and *id set, 1
 * when there is none, -1 after answering 400. */
static int resume_point(api_req_t *r, int64_t *id)
{
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    const char *h = api_header(r, "Last-Event-ID");
    if (h != NULL && *h != '\0') {
        size_t n = strlen(h);
        char *end = NULL;
        long long v = n <= 19 && strspn(h, "0123456789") == n ? strtoll(h, &end, 10) : -1;
        if (v < 0 || end == NULL || *end != '\0') {
            api_error_add(&err, r->arena, "header.Last-Event-ID", FIELD_ISSUE_INVALID_FORMAT,
                          "Last-Event-ID must be an event id (a decimal integer)");
            api_respond_error(r, &err);
            return -1;
        }
        *id = (int64_t)v;
        return 0;
    }
    int64_t q = -1;
    schema_seen_t seen = {0};
    if (schema_decode_params(&events_query_schema, query_get, r, &q, &seen, r->arena, "query.",
                             &err) != 0) {
        api_respond_error(r, &err);
        return -1;
    }
    if (!(seen.present & 1U))
        return 1;
    *id = q;
    return 0;
}

void events_handle_stream(api_req_t *r)
{
    const char *user = r->principal.sub != NULL ? r->principal.sub : api_param(r, "user_id");
    int64_t resume = -1;
    int rc = resume_point(r, &resume);
    if (rc < 0)
        return;
    if (tl == NULL || strlen(user) > MAX_USER) {
        api_respond_err(r, API_ERR_SERVICE_UNAVAILABLE, NULL);
        return;
    }
    if (!events__slot_take(user)) {
        api_add_header(r, "Retry-After", "1");
        api_respond_err(r, API_ERR_RATE_LIMITED,
                        "Too many event streams open for this user (at most 10)");
        return;
    }
    ev_stream_t *s = xcalloc(1, sizeof(*s));
    snprintf(s->user, sizeof(s->user), "%s", user);
    s->r = r;
    s->resume = rc == 0 ? resume : -1;
    s->last = rc == 0 ? resume : 0;
    registry_add(s); /* before the first read: a commit meanwhile reads again */
    read_start(s);
}
