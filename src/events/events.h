/* Live changes (API.md section 7.3): GET /api/{user_id}/events as
 * Server-Sent Events, and the fan-out that wakes the streams.
 *
 * Every stream reads the change log (store_events_read) after the last id
 * it delivered; a notification ("user U has events up to N") only tells it
 * to read again. So the order, the hand-over from replay to live, and the
 * recovery after lost notifications all come from one place, the log:
 * nothing is missed or repeated.
 *
 * Notifications: on SQLite the committing worker reports its commit
 * (store_options_t.on_event); on PostgreSQL one LISTEN connection per
 * process, on worker 0's loop, reports every commit of every server
 * sharing the database, and after a reconnect asks every stream to read
 * the log again. events_on_commit passes them to every worker's thread
 * through an h2o queue; each worker wakes its own streams of that user.
 *
 * Limits: at most EVENTS_MAX_STREAMS_PER_USER open streams per user in one
 * process (the 11th is 429); a client that reads too slowly is cut off
 * after EVENTS_MAX_PENDING bytes wait for it, and resumes with
 * Last-Event-ID. The log is swept on worker 0 every few seconds, a bounded
 * number of rows at a time, so requests never wait behind the sweep. */
#ifndef TODO_EVENTS_EVENTS_H
#define TODO_EVENTS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "http/api.h"
#include "store/store.h"

enum {
    EVENTS_MAX_STREAMS_PER_USER = 10,
    EVENTS_PING_MS = 15000,
    EVENTS_MAX_PENDING = 256 * 1024, /* bytes queued for one slow reader */
    EVENTS_READ_BATCH = 200,         /* events read from the log at a time */
};

/** Sets the fan-out up for n_workers workers; retention is EVENTS_RETENTION
 *  in seconds. Call once before store_open (its on_event is
 *  events_on_commit) and before the workers start. */
void events_init(size_t n_workers, long retention);
/** The store the workers use (for the LISTEN connection and the sweep). */
void events_set_store(store_t *store);
/** Frees what events_init made, after every worker stopped. */
void events_dispose(void);

/** The store's on_event: user_id's events up to last_id are committed
 *  (user_id NULL: every stream should read the log again). Any thread. */
void events_on_commit(void *ctx, const char *user_id, int64_t last_id);

/** server_config_t hooks: on the worker's thread once its loop and store
 *  handle exist, and when it stops (after its store handle is freed). */
void events_worker_start(void *ctx, int index, store_worker_t *store, void *loop);
void events_worker_stop(void *ctx, int index, void *loop);

/** GET /api/{user_id}/events. */
void events_handle_stream(api_req_t *r);

/** Query parameters of the events route (last_event_id), for OpenAPI. */
extern const struct schema events_query_schema;

#endif
