/* The application: the one route table that drives dispatch, 404/405 with
 * Allow, authentication and the OpenAPI document. */
#include "app.h"

#include <stddef.h>

#include "auth/jwt.h"
#include "events/events.h"
#include "http/docs.h"
#include "http/metrics.h"
#include "http/ops.h"
#include "http/webapp.h"
#include "schema/openapi.h"
#include "schema/schema.h"
#include "tasks/task_model.h"
#include "tasks/tasks.h"
#include "users/users.h"

static const int E_TASK_READ[] = {400, 401, 403, 404, 503, 0};
static const int E_TASK_WRITE[] = {400, 401, 403, 404, 412, 413, 415, 422, 503, 0};
static const int E_TASK_DELETE[] = {400, 401, 403, 404, 412, 503, 0};
static const int E_TASK_COMPLETE[] = {400, 401, 403, 404, 409, 412, 413, 415, 422, 503, 0};
static const int E_TASK_CREATE[] = {400, 401, 403, 409, 413, 415, 422, 503, 0};
static const int E_LIST[] = {400, 401, 403, 503, 0};
static const int E_EVENTS[] = {400, 401, 403, 429, 503, 0};
static const int E_READY[] = {503, 0};
static const int E_ASSET[] = {404, 0};
static const int E_REGISTER[] = {400, 409, 413, 415, 503, 0};
static const int E_LOGIN[] = {400, 401, 413, 415, 429, 503, 0};
static const int E_ME[] = {401, 503, 0};
static const int E_APP_FILE[] = {404, 0};

#define AUTH_USER (ROUTE_AUTH | ROUTE_PATH_USER)

/* The operations answers, for the document (src/http/ops.c writes them; the
 * API tests validate every answer against the document, so they cannot
 * drift apart). The offsets are unused: nothing is decoded into them. */
static const char *const health_status[] = {"ok", NULL};
static const char *const ready_status[] = {"ready", NULL};
static const char *const backends[] = {"sqlite", "postgresql", NULL};
static const schema_field_t health_fields[] = {
    {.name = "status",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     .choices = health_status,
     .description = "Always \"ok\" while the process runs."},
};
static const schema_field_t ready_fields[] = {
    {.name = "status",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     .choices = ready_status,
     .description = "\"ready\" when the database answered a ping."},
    {.name = "database",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     .choices = backends,
     .description = "The database backend in use."},
};
static const schema_t health_schema = {.name = "Health",
                                       .description = "The process is alive.",
                                       .fields = health_fields,
                                       .n_fields = 1,
                                       .mode = SCHEMA_MODE_RESPONSE};
static const schema_t ready_schema = {.name = "Ready",
                                      .description = "The database answers.",
                                      .fields = ready_fields,
                                      .n_fields = 2,
                                      .mode = SCHEMA_MODE_RESPONSE};

/* The headers of every answer of the web app's routes. */
static const char *const page_headers[] = {"Cache-Control",
                                           "Content-Security-Policy",
                                           "X-Content-Type-Options",
                                           "Referrer-Policy",
                                           "Vary",
                                           "Content-Encoding",
                                           NULL};

const route_t app_routes[] = {
    {.method = "GET",
     .pattern = "/health",
     .handler = ops_handle_health,
     .status = 200,
     .response = &health_schema,
     .summary = "Liveness",
     .description = "200 while the process runs; no auth, no database.",
     .tag = "operations",
     .operation_id = "health"},
    {.method = "GET",
     .pattern = "/ready",
     .handler = ops_handle_ready,
     .status = 200,
     .response = &ready_schema,
     .errors = E_READY,
     .summary = "Readiness",
     .description = "200 when the database answers, 503 otherwise.",
     .tag = "operations",
     .operation_id = "ready"},
    {.method = "GET",
     .pattern = "/metrics",
     .handler = metrics_handle,
     .status = 200,
     .summary = "Prometheus metrics",
     .description = "Requests by route template and status, a latency histogram, open "
                    "connections, database pool use, build and process facts (Prometheus text "
                    "format 0.0.4). No auth: keep it off the public network.",
     .tag = "operations",
     .operation_id = "metrics",
     .media_type = "text/plain; version=0.0.4"},
    {.method = "GET",
     .pattern = "/openapi.json",
     .handler = docs_handle_openapi,
     .status = 200,
     .summary = "OpenAPI document",
     .description = "This document: OpenAPI 3.1, generated from the route and field tables "
                    "that drive routing and validation.",
     .tag = "operations",
     .operation_id = "openapi"},
    {.method = "GET",
     .pattern = "/docs",
     .handler = docs_handle_page,
     .status = 200,
     .summary = "Interactive API documentation",
     .description = "Swagger UI for /openapi.json. Its scripts come from DOCS_ASSETS_URL (a "
                    "CDN), or from this server when DOCS_ASSETS_DIR is set.",
     .tag = "operations",
     .operation_id = "docs",
     .media_type = "text/html"},
    {.method = "GET",
     .pattern = "/docs/assets/{file}",
     .handler = docs_handle_asset,
     .status = 200,
     .errors = E_ASSET,
     .summary = "Swagger UI files",
     .description = "The stylesheet, script and icon of the /docs page, when DOCS_ASSETS_DIR "
                    "is set (404 otherwise).",
     .tag = "operations",
     .operation_id = "docsAsset",
     .media_type = "*/*"},

    {.method = "POST",
     .pattern = "/api/auth/register",
     .handler = users_handle_register,
     .flags = ROUTE_BODY_JSON,
     .status = 201,
     .request = &users_register_schema,
     .response = &users_auth_schema,
     .errors = E_REGISTER,
     .summary = "Create an account",
     .description = "Creates a built-in account and answers with it and a bearer token "
                    "(Location: /api/auth/me); 409 when the email is taken.",
     .tag = "auth",
     .operation_id = "register"},
    {.method = "POST",
     .pattern = "/api/auth/login",
     .handler = users_handle_login,
     .flags = ROUTE_BODY_JSON,
     .status = 200,
     .request = &users_login_schema,
     .response = &users_auth_schema,
     .errors = E_LOGIN,
     .summary = "Log in",
     .description = "Answers with the account and a bearer token. 401 \"Invalid email or "
                    "password\" whether or not the email exists; 429 with Retry-After after 10 "
                    "failures for one email or 100 from one address within 15 minutes.",
     .tag = "auth",
     .operation_id = "login"},
    {.method = "GET",
     .pattern = "/api/auth/me",
     .handler = users_handle_me,
     .flags = ROUTE_AUTH,
     .status = 200,
     .response = &user_schema,
     .errors = E_ME,
     .summary = "The current user",
     .description = "The token's user; for a front-end user without an account here, built "
                    "from the token (email from its claim, name and created_at null).",
     .tag = "auth",
     .operation_id = "getMe"},

    {.method = "GET",
     .pattern = "/api/{user_id}/tasks",
     .handler = tasks_handle_list,
     .flags = AUTH_USER,
     .status = 200,
     .query = &task_query_schema,
     .response = &task_schema,
     .response_is_array = true,
     .errors = E_LIST,
     .summary = "List tasks",
     .description = "The user's tasks, filtered, sorted and paged; X-Total-Count holds the "
                    "number of matching tasks before paging.",
     .tag = "tasks",
     .operation_id = "listTasks"},
    {.method = "POST",
     .pattern = "/api/{user_id}/tasks",
     .handler = tasks_handle_create,
     .flags = AUTH_USER | ROUTE_BODY_JSON | ROUTE_ETAG | ROUTE_IDEMPOTENT,
     .status = 201,
     .request = &task_create_schema,
     .response = &task_schema,
     .errors = E_TASK_CREATE,
     .summary = "Create a task",
     .tag = "tasks",
     .operation_id = "createTask"},
    {.method = "GET",
     .pattern = "/api/{user_id}/tasks/{id}",
     .handler = tasks_handle_get,
     .flags = AUTH_USER | ROUTE_ETAG,
     .status = 200,
     .response = &task_schema,
     .errors = E_TASK_READ,
     .summary = "Get a task",
     .tag = "tasks",
     .operation_id = "getTask"},
    {.method = "PUT",
     .pattern = "/api/{user_id}/tasks/{id}",
     .handler = tasks_handle_replace,
     .flags = AUTH_USER | ROUTE_BODY_JSON | ROUTE_ETAG | ROUTE_IF_MATCH,
     .status = 200,
     .request = &task_create_schema,
     .response = &task_schema,
     .errors = E_TASK_WRITE,
     .summary = "Replace a task",
     .description = "Replaces every editable field; an omitted optional field becomes null.",
     .tag = "tasks",
     .operation_id = "replaceTask"},
    {.method = "PATCH",
     .pattern = "/api/{user_id}/tasks/{id}",
     .handler = tasks_handle_patch,
     .flags = AUTH_USER | ROUTE_BODY_JSON | ROUTE_ETAG | ROUTE_IF_MATCH,
     .status = 200,
     .request = &task_patch_schema,
     .response = &task_schema,
     .errors = E_TASK_WRITE,
     .summary = "Update some fields",
     .tag = "tasks",
     .operation_id = "updateTask"},
    {.method = "DELETE",
     .pattern = "/api/{user_id}/tasks/{id}",
     .handler = tasks_handle_delete,
     .flags = AUTH_USER | ROUTE_IF_MATCH,
     .status = 204,
     .errors = E_TASK_DELETE,
     .summary = "Delete a task",
     .tag = "tasks",
     .operation_id = "deleteTask"},
    {.method = "GET",
     .pattern = "/api/{user_id}/events",
     .handler = events_handle_stream,
     .flags = AUTH_USER,
     .status = 200,
     .query = &events_query_schema,
     .errors = E_EVENTS,
     .summary = "Live changes (Server-Sent Events)",
     .description =
         "Keeps the connection open (`Accept: text/event-stream`) and sends one event per change "
         "to the user's tasks, in commit order: `id` (per user, increasing across every server "
         "sharing the database), `event` (`task.created`, `task.updated`, `task.deleted`) and "
         "`data` (`{\"task\": Task}`, or `{\"id\": N}` for a deletion). Completing a recurring "
         "task gives its `task.updated` and then the successor's `task.created`. The head is "
         "sent as soon as the stream opens; every change committed after that reaches it. "
         "With `Last-Event-ID` (header, a decimal event id; or the `last_event_id` query "
         "parameter; the header wins) the stream first replays every later event, then goes "
         "on live, missing and repeating nothing. When that id is older than the history kept "
         "(EVENTS_RETENTION seconds) or unknown, the stream starts with `event: reset` and "
         "`data: {}` carrying the newest id: reload the list. A malformed Last-Event-ID is 400 "
         "(`header.Last-Event-ID` or `query.last_event_id`). A `: ping` comment comes every 15 "
         "s; streams have no idle timeout. At most 10 streams per user on one server (the 11th "
         "is 429). A client that reads too slowly (256 KiB waiting) is disconnected and "
         "resumes with Last-Event-ID; at shutdown streams end cleanly.",
     .tag = "tasks",
     .operation_id = "streamEvents",
     .media_type = "text/event-stream"},
    {.method = "PATCH",
     .pattern = "/api/{user_id}/tasks/{id}/complete",
     .handler = tasks_handle_complete,
     .flags = AUTH_USER | ROUTE_BODY_OPTIONAL | ROUTE_ETAG | ROUTE_IF_MATCH | ROUTE_IDEMPOTENT,
     .status = 200,
     .request = &task_complete_schema,
     .response = &task_schema,
     .errors = E_TASK_COMPLETE,
     .summary = "Complete, reopen or toggle a task",
     .description = "No body, {} or {\"completed\": null} toggles; {\"completed\": true|false} "
                    "sets it. Completing a recurring task creates its next occurrence.",
     .tag = "tasks",
     .operation_id = "completeTask"},

    /* The web app (API.md section 8): last, so that WEB_APP=false can leave
     * these APP_WEB_ROUTES out (app_routes_serving). */
    {.method = "GET",
     .pattern = "/",
     .handler = webapp_handle_index,
     .status = 200,
     .errors = E_APP_FILE,
     .summary = "The web app",
     .description = "The todo web app's page (WEB_APP=true, the default). Its scripts and "
                    "styles are under /app/. Cache-Control: no-cache; gzipped when the request "
                    "accepts it; a strict Content-Security-Policy. 404 with WEB_APP=false.",
     .tag = "app",
     .operation_id = "webApp",
     .media_type = "text/html",
     .response_headers = page_headers},
    {.method = "GET",
     .pattern = "/app/{name}",
     .handler = webapp_handle_file,
     .status = 200,
     .errors = E_APP_FILE,
     .summary = "The web app's files",
     .description = "A script, stylesheet or icon of the web app, by a name that changes with "
                    "its content (so it is cached for a year); 404 for any other name, and "
                    "with WEB_APP=false.",
     .tag = "app",
     .operation_id = "webAppFile",
     .media_type = "*/*",
     .response_headers = page_headers},
};

enum { APP_WEB_ROUTES = 2 };

const size_t app_routes_count = sizeof(app_routes) / sizeof(app_routes[0]);

size_t app_routes_serving(const settings_t *s)
{
    return s->web_app ? app_routes_count : app_routes_count - APP_WEB_ROUTES;
}

/* ---- the OpenAPI document -------------------------------------------------- */

static const openapi_tag_t api_tags[] = {
    {"tasks", "A user's tasks: list with filters, create, read, replace, update, complete, "
              "delete."},
    {"auth", "Built-in accounts: register, log in, and who the token belongs to."},
    {"operations", "Health, readiness, metrics and this documentation."},
    {"app", "The web app served at / (WEB_APP=true): its page and files."},
};

static const schema_field_t user_id_param = {
    .name = "user_id",
    .type = SCHEMA_STRING,
    .ctype = SCHEMA_C_STR,
    .flags = SCHEMA_REQUIRED,
    .min_length = 1,
    .max_length = JWT_MAX_SUB,
    .description = "The user's id: it must be exactly the subject (sub) of the bearer token, "
                   "else the answer is 403.",
    .example = "\"u_8f2k\""};

static const schema_field_t file_param = {
    .name = "file",
    .type = SCHEMA_ENUM,
    .ctype = SCHEMA_C_INT,
    .flags = SCHEMA_REQUIRED,
    .choices = docs_asset_names,
    .description = "One of Swagger UI's files.",
    .example = "\"swagger-ui.css\"",
};

static const schema_field_t name_param = {
    .name = "name",
    .type = SCHEMA_STRING,
    .ctype = SCHEMA_C_STR,
    .flags = SCHEMA_REQUIRED,
    .min_length = 1,
    .max_length = 128,
    .description = "A file name as the page refers to it: name, content hash, extension.",
    .example = "\"main.0123456789.js\"",
};

void app_openapi_write(buf_t *out)
{
    const openapi_path_param_t params[] = {
        {&user_id_param, "^[A-Za-z0-9._-]+$"},
        {schema_field_find(&task_path_schema, "id", NULL), NULL},
        {&file_param, NULL},
        {&name_param, "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"},
    };
    const openapi_info_t info = {
        .title = "todo-server",
        .version = TODO_VERSION,
        .description =
            "A multi-user todo REST API. Every route under /api/ except register and login "
            "needs `Authorization: Bearer <JWT>`, and a path's `{user_id}` must be the token's "
            "subject. Bodies are JSON; every error has the `Error` body, whose `errors` lists "
            "every problem found with a field name and a code. Every response carries "
            "`X-Request-ID`.",
        .license = "MIT",
        .tags = api_tags,
        .n_tags = sizeof(api_tags) / sizeof(api_tags[0]),
        .path_params = params,
        .n_path_params = sizeof(params) / sizeof(params[0]),
    };
    openapi_write(out, app_routes, app_routes_count, &info);
}
