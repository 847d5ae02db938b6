/* The HTTP server: one h2o event loop per worker thread, all listening on
 * HOST:PORT with SO_REUSEPORT, one handler that routes every request through
 * the checks of API.md section 2, and a graceful stop on SIGTERM/SIGINT. */
#ifndef TODO_HTTP_SERVER_H
#define TODO_HTTP_SERVER_H

#include <stddef.h>

#include "core/settings.h"
#include "http/api.h"
#include "store/store.h"

/** What the server needs; everything is borrowed and must outlive
 *  server_run. */
typedef struct server_config {
    const settings_t *settings; /* host, port, workers, limits, CORS */
    store_t *store;             /* each worker makes its store_worker_t */
    const route_t *routes;
    size_t n_routes;
    api_authenticate_fn authenticate; /* NULL: every ROUTE_AUTH route is 401 */
    void *auth_ctx;
    /* Optional: on each worker's thread once its loop (an h2o_loop_t *) and
     * store handle exist, before it accepts; and when it stops, after its
     * store handle was freed (pending operations have answered). */
    void (*worker_start)(void *ctx, int index, store_worker_t *store, void *loop);
    void (*worker_stop)(void *ctx, int index, void *loop);
    void *worker_ctx;
} server_config_t;

/** Runs the server until SIGTERM or SIGINT, then stops accepting, lets the
 *  requests in flight finish (10 s at most), frees the workers' store handles
 *  on their threads and returns 0. Logs "listening on http://HOST:PORT" once
 *  every worker is ready. Returns -1 (after logging why) when it cannot
 *  start: the address cannot be bound, or a worker's store handle fails.
 *  Blocks SIGTERM and SIGINT in the calling thread while it runs and ignores
 *  SIGPIPE. */
int server_run(const server_config_t *cfg);

#endif
