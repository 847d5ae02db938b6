/* The fan-out of commit notifications to the workers, the per-user stream
 * limit, and the sweep of the log (see events.h).
 *
 * The hub is process-wide, under one mutex: per worker, a list of pending
 * notifications and a doorbell message on an h2o queue of that worker's
 * loop. events_on_commit (any thread) adds the notification to every
 * worker's list and rings the doorbells that are not already ringing; the
 * worker, on its own thread, takes its list and wakes its streams
 * (events__wake). A worker that has no stream of that user does nothing. */
#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "events/events_internal.h"

enum {
    SWEEP_BATCH = 1000, /* rows deleted per statement */
    SWEEP_MAX_MS = 60000,
    SWEEP_MIN_MS = 1000,
    USER_BUCKETS = 256,
};

/* A user's open streams in this process. */
typedef struct user_count {
    struct user_count *next;
    int n;
    char user[];
} user_count_t;

typedef struct note {
    char *user; /* NULL: everyone reads the log again */
    int64_t last_id;
} note_t;

/* The hub's view of one worker. */
typedef struct hub_worker {
    bool up;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    h2o_multithread_message_t bell;
    bool ringing; /* bell sent, not yet taken */
    note_t *notes;
    size_t n_notes, cap_notes;
    h2o_loop_t *loop;
    store_worker_t *store;
} hub_worker_t;

static struct {
    pthread_mutex_t lock;
    hub_worker_t *workers;
    size_t n_workers;
    long retention;
    store_t *store;
    user_count_t *users[USER_BUCKETS];
    atomic_int open_streams; /* in the process: no stream, no fan-out */
    /* the sweep, on worker 0 */
    h2o_timeout_t sweep_timeout;
    h2o_timeout_entry_t sweep_entry;
    bool sweeping;
    bool sweep_stopped;
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER};

long events__retention(void)
{
    return hub.retention;
}

/* ---- the per-user limit ------------------------------------------------------- */

static unsigned user_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % USER_BUCKETS;
}

bool events__slot_take(const char *user)
{
    bool ok = false;
    pthread_mutex_lock(&hub.lock);
    user_count_t **head = &hub.users[user_hash(user)], *u = *head;
    while (u != NULL && strcmp(u->user, user) != 0)
        u = u->next;
    if (u == NULL) {
        size_t len = strlen(user);
        u = xcalloc(1, sizeof(*u) + len + 1);
        memcpy(u->user, user, len + 1);
        u->next = *head;
        *head = u;
    }
    if (u->n < EVENTS_MAX_STREAMS_PER_USER) {
        u->n++;
        ok = true;
        atomic_fetch_add(&hub.open_streams, 1);
    }
    pthread_mutex_unlock(&hub.lock);
    return ok;
}

void events__slot_give(const char *user)
{
    pthread_mutex_lock(&hub.lock);
    user_count_t **p = &hub.users[user_hash(user)];
    while (*p != NULL && strcmp((*p)->user, user) != 0)
        p = &(*p)->next;
    if (*p != NULL) {
        atomic_fetch_sub(&hub.open_streams, 1);
        if (--(*p)->n == 0) {
            user_count_t *gone = *p;
            *p = gone->next;
            free(gone);
        }
    }
    pthread_mutex_unlock(&hub.lock);
}

/* ---- notifications ------------------------------------------------------------ */

/* Under hub.lock: queues a note for w (merging with one of the same user). */
static void note_push(hub_worker_t *w, const char *user, int64_t last_id)
{
    for (size_t i = 0; i < w->n_notes; i++) {
        note_t *n = &w->notes[i];
        if ((n->user == NULL && user == NULL) ||
            (n->user != NULL && user != NULL && strcmp(n->user, user) == 0)) {
            if (last_id > n->last_id)
                n->last_id = last_id;
            return;
        }
    }
    if (w->n_notes == w->cap_notes) {
        w->cap_notes = w->cap_notes ? w->cap_notes * 2 : 16;
        w->notes = xrealloc(w->notes, w->cap_notes * sizeof(*w->notes));
    }
    w->notes[w->n_notes++] = (note_t){user != NULL ? xstrdup(user) : NULL, last_id};
}

void events_on_commit(void *ctx, const char *user_id, int64_t last_id)
{
    (void)ctx;
    if (user_id != NULL && atomic_load(&hub.open_streams) == 0)
        return; /* nobody listens in this process */
    pthread_mutex_lock(&hub.lock);
    for (size_t i = 0; i < hub.n_workers; i++) {
        hub_worker_t *w = &hub.workers[i];
        if (!w->up)
            continue;
        note_push(w, user_id, last_id);
        if (!w->ringing) {
            w->ringing = true;
            h2o_multithread_send_message(&w->receiver, &w->bell);
        }
    }
    pthread_mutex_unlock(&hub.lock);
}

static void on_bell(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    hub_worker_t *w = H2O_STRUCT_FROM_MEMBER(hub_worker_t, receiver, receiver);
    /* The only message is the bell: detach it. */
    for (h2o_linklist_t *node = messages->next, *next; node != messages; node = next) {
        next = node->next;
        node->next = node->prev = NULL;
    }
    h2o_linklist_init_anchor(messages);
    pthread_mutex_lock(&hub.lock);
    note_t *notes = w->notes;
    size_t n = w->n_notes;
    w->notes = NULL;
    w->n_notes = w->cap_notes = 0;
    w->ringing = false;
    pthread_mutex_unlock(&hub.lock);
    for (size_t i = 0; i < n; i++) {
        events__wake(notes[i].user, notes[i].last_id);
        free(notes[i].user);
    }
    free(notes);
}

/* ---- the sweep ------------------------------------------------------------------ */

static void sweep_start(void);

static void on_swept(void *ctx, const store_result_t *res)
{
    (void)ctx;
    hub.sweeping = false;
    if (res->status != STORE_OK)
        LOG_WARN("events: sweeping the change log failed (%d); trying again later",
                 (int)res->status);
    else if (res->total > 0)
        LOG_DEBUG("events: swept %lld old events", (long long)res->total);
    if (hub.sweep_stopped)
        return;
    if (res->status == STORE_OK && res->total >= SWEEP_BATCH)
        sweep_start(); /* more to go: the next batch at once */
    else
        h2o_timeout_link(hub.workers[0].loop, &hub.sweep_timeout, &hub.sweep_entry);
}

static void sweep_start(void)
{
    hub.sweeping = true;
    int64_t before = (int64_t)time(NULL) - hub.retention;
    store_events_sweep(hub.workers[0].store, before, SWEEP_BATCH, on_swept, NULL);
}

static void on_sweep_timer(h2o_timeout_entry_t *entry)
{
    (void)entry;
    sweep_start();
}

/* ---- lifetime ------------------------------------------------------------------- */

void events_init(size_t n_workers, long retention)
{
    hub.n_workers = n_workers;
    hub.workers = xcalloc(n_workers, sizeof(*hub.workers));
    hub.retention = retention > 0 ? retention : 1;
}

void events_set_store(store_t *store)
{
    hub.store = store;
}

void events_dispose(void)
{
    for (size_t i = 0; i < USER_BUCKETS; i++) {
        while (hub.users[i] != NULL) {
            user_count_t *u = hub.users[i];
            hub.users[i] = u->next;
            free(u);
        }
    }
    free(hub.workers);
    hub.workers = NULL;
    hub.n_workers = 0;
}

void events_worker_start(void *ctx, int index, store_worker_t *store, void *loop_)
{
    (void)ctx;
    h2o_loop_t *loop = loop_;
    hub_worker_t *w = &hub.workers[index];
    events__worker_init(store);
    w->loop = loop;
    w->store = store;
    w->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(w->queue, &w->receiver, on_bell);
    pthread_mutex_lock(&hub.lock);
    w->up = true;
    pthread_mutex_unlock(&hub.lock);
    if (index == 0) {
        long ms = hub.retention * 1000 / 4;
        ms = ms < SWEEP_MIN_MS ? SWEEP_MIN_MS : ms > SWEEP_MAX_MS ? SWEEP_MAX_MS : ms;
        h2o_timeout_init(loop, &hub.sweep_timeout, (uint64_t)ms);
        hub.sweep_entry.cb = on_sweep_timer;
        hub.sweep_stopped = false;
        h2o_timeout_link(loop, &hub.sweep_timeout, &hub.sweep_entry);
        if (hub.store != NULL)
            store_listen_start(hub.store, loop);
    }
}

void events_worker_stop(void *ctx, int index, void *loop_)
{
    (void)ctx;
    h2o_loop_t *loop = loop_;
    hub_worker_t *w = &hub.workers[index];
    if (w->queue == NULL)
        return;
    if (index == 0) {
        hub.sweep_stopped = true;
        if (h2o_timeout_is_linked(&hub.sweep_entry))
            h2o_timeout_unlink(&hub.sweep_entry);
        store_listen_stop(hub.store);
        h2o_timeout_dispose(loop, &hub.sweep_timeout);
    }
    pthread_mutex_lock(&hub.lock);
    w->up = false; /* nobody rings any more */
    pthread_mutex_unlock(&hub.lock);
    /* A bell still in the queue must be taken before the receiver goes. */
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&hub.lock);
        bool ringing = w->ringing;
        pthread_mutex_unlock(&hub.lock);
        if (!ringing)
            break;
        h2o_evloop_run(loop, 10);
    }
    h2o_multithread_unregister_receiver(w->queue, &w->receiver);
    h2o_multithread_destroy_queue(w->queue);
    free(w->queue); /* h2o 2.2.5's evloop destroy leaves the struct */
    w->queue = NULL;
    h2o_evloop_run(loop, 0); /* frees the queue's closed socket */
    for (size_t i = 0; i < w->n_notes; i++)
        free(w->notes[i].user);
    free(w->notes);
    w->notes = NULL;
    w->n_notes = w->cap_notes = 0;
    events__worker_dispose();
}
