/* Operations routes: liveness and readiness (API.md section 5). */
#ifndef TODO_HTTP_OPS_H
#define TODO_HTTP_OPS_H

#include "http/api.h"

/** GET /health: 200 {"status":"ok"} while the process runs; no database. */
void ops_handle_health(api_req_t *r);
/** GET /ready: 200 {"status":"ready","database":"sqlite"} when the
 *  database answers a ping, 503 SERVICE_UNAVAILABLE otherwise. */
void ops_handle_ready(api_req_t *r);

#endif
