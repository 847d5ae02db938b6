/* Prometheus metrics (GET /metrics, text format 0.0.4): requests by route
 * template, method and status; a latency histogram by route template and
 * method; open connections; the database pools; build and process facts.
 *
 * Cheap on the hot path: each worker counts into its own slots (one writer,
 * relaxed atomic loads and stores, no lock, no shared cache line), and a
 * scrape adds the workers up. Labels are route templates from the route
 * table, never raw paths, so there is no series per user or per task; a
 * request that matched no route counts under route="unmatched" (with its
 * method if it is one the router knows, else "OTHER").
 *
 * The hooks below are for src/http/ only (server.c and respond.c call them). */
#ifndef TODO_HTTP_METRICS_H
#define TODO_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/api.h"

struct http_worker;
struct timeval;

/** GET /metrics: every metric, text/plain; version=0.0.4. */
void metrics_handle(api_req_t *r);

/** Makes the counters for n_workers workers over the route table (both
 *  must outlive metrics_dispose); backend is the store's name for
 *  todo_build_info. Call once before the workers start. */
void metrics_init(size_t n_workers, const route_t *routes, size_t n_routes, const char *backend);
/** Frees the counters, after every worker has stopped. */
void metrics_dispose(void);

/** On worker w's thread once its store handle exists: publishes its pool
 *  figures now and every second after. */
void metrics_worker_start(struct http_worker *w);
/** On worker w's thread at teardown, before its store handle is freed. */
void metrics_worker_stop(struct http_worker *w);

/** A connection was accepted on w (its thread): it counts as open until
 *  metrics_conn_close. */
void metrics_conn_open(struct http_worker *w);

/** A connection counted by metrics_conn_open closed (on w's thread). */
void metrics_conn_close(struct http_worker *w);

/** A streaming answer opened (+1) or ended (-1) on w's thread. */
void metrics_stream_open(struct http_worker *w, int delta);
/** n messages (server-sent events) of a stream were written on w's thread. */
void metrics_stream_sent(struct http_worker *w, unsigned n);

/** Counts one answer on w's thread: route NULL when the request matched no
 *  route; the time taken is from started_at to now. */
void metrics_observe(struct http_worker *w, const route_t *route, const char *method,
                     size_t method_len, int status, const struct timeval *started_at);

/** Counts, on w's thread, an answer 412 to an If-Match (precondition_failed)
 *  and the replay of a stored idempotent answer (replayed). */
void metrics_count_condition(struct http_worker *w, bool precondition_failed, bool replayed);

#endif
