/* Private to src/events/: what the hub (events_hub.c) and the streams
 * (events_stream.c) call in each other. */
#ifndef TODO_EVENTS_INTERNAL_H
#define TODO_EVENTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "events/events.h"

/** EVENTS_RETENTION in seconds. */
long events__retention(void);
/** Takes one of user's stream slots in this process; false when all are
 *  taken. */
bool events__slot_take(const char *user);
/** Gives a slot back. */
void events__slot_give(const char *user);

/** On a worker's thread: its streams of user (NULL: all of them) read the
 *  log if last_id is news to them. */
void events__wake(const char *user, int64_t last_id);
/** The worker's stream registry, on its thread. */
void events__worker_init(store_worker_t *store);
void events__worker_dispose(void);

#endif
