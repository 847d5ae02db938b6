#include "http/ops.h"

#include <string.h>

#include "core/buf.h"
#include "core/json_out.h"
#include "http/internal.h"

void ops_handle_health(api_req_t *r)
{
    static const char body[] = "{\"status\":\"ok\"}";
    api_respond_json(r, 200, body, sizeof(body) - 1);
}

static void on_ping(void *ctx, const store_result_t *res)
{
    api_req_t *r = ctx;
    if (res->status != STORE_OK) {
        api_respond_err(r, API_ERR_SERVICE_UNAVAILABLE, "The database is unavailable");
        return;
    }
    http_worker_t *w = r->worker;
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"status\":\"ready\",\"database\":");
    json_put_str(&b, store_backend_name(w->server->cfg.store));
    buf_putc(&b, '}');
    api_respond_json(r, 200, b.data, b.len);
    buf_dispose(&b);
}

void ops_handle_ready(api_req_t *r)
{
    store_ping(r->store, on_ping, r);
}
