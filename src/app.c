/* The application: the one route table that drives dispatch, 404/405 with
 * Allow, authentication and the OpenAPI document. */
#include "app.h"

#include "http/ops.h"
#include "tasks/tasks.h"

static const int E_TASK_READ[] = {400, 401, 403, 404, 503, 0};
static const int E_TASK_WRITE[] = {400, 401, 403, 404, 413, 415, 422, 503, 0};
static const int E_TASK_CREATE[] = {400, 401, 403, 413, 415, 422, 503, 0};
static const int E_LIST[] = {400, 401, 403, 503, 0};
static const int E_READY[] = {503, 0};

#define AUTH_USER (ROUTE_AUTH | ROUTE_PATH_USER)

const route_t app_routes[] = {
    {.method = "GET", .pattern = "/health", .handler = ops_handle_health, .status = 200,
     .summary = "Liveness", .description = "200 while the process runs; no auth, no database.",
     .tag = "operations", .operation_id = "health"},
    {.method = "GET", .pattern = "/ready", .handler = ops_handle_ready, .status = 200,
     .errors = E_READY, .summary = "Readiness",
     .description = "200 when the database answers, 503 otherwise.", .tag = "operations",
     .operation_id = "ready"},

    {.method = "GET", .pattern = "/api/{user_id}/tasks", .handler = tasks_handle_list,
     .flags = AUTH_USER, .status = 200, .query = &task_query_schema, .response = &task_schema,
     .response_is_array = true, .errors = E_LIST, .summary = "List tasks",
     .description = "The user's tasks, filtered, sorted and paged; X-Total-Count holds the "
                    "number of matching tasks before paging.",
     .tag = "tasks", .operation_id = "listTasks"},
    {.method = "POST", .pattern = "/api/{user_id}/tasks", .handler = tasks_handle_create,
     .flags = AUTH_USER | ROUTE_BODY_JSON, .status = 201, .request = &task_create_schema,
     .response = &task_schema, .errors = E_TASK_CREATE, .summary = "Create a task",
     .tag = "tasks", .operation_id = "createTask"},
    {.method = "GET", .pattern = "/api/{user_id}/tasks/{id}", .handler = tasks_handle_get,
     .flags = AUTH_USER, .status = 200, .response = &task_schema, .errors = E_TASK_READ,
     .summary = "Get a task", .tag = "tasks", .operation_id = "getTask"},
    {.method = "PUT", .pattern = "/api/{user_id}/tasks/{id}", .handler = tasks_handle_replace,
     .flags = AUTH_USER | ROUTE_BODY_JSON, .status = 200, .request = &task_create_schema,
     .response = &task_schema, .errors = E_TASK_WRITE, .summary = "Replace a task",
     .description = "Replaces every editable field; an omitted optional field becomes null.",
     .tag = "tasks", .operation_id = "replaceTask"},
    {.method = "PATCH", .pattern = "/api/{user_id}/tasks/{id}", .handler = tasks_handle_patch,
     .flags = AUTH_USER | ROUTE_BODY_JSON, .status = 200, .request = &task_patch_schema,
     .response = &task_schema, .errors = E_TASK_WRITE, .summary = "Update some fields",
     .tag = "tasks", .operation_id = "updateTask"},
    {.method = "DELETE", .pattern = "/api/{user_id}/tasks/{id}", .handler = tasks_handle_delete,
     .flags = AUTH_USER, .status = 204, .errors = E_TASK_READ, .summary = "Delete a task",
     .tag = "tasks", .operation_id = "deleteTask"},
    {.method = "PATCH", .pattern = "/api/{user_id}/tasks/{id}/complete",
     .handler = tasks_handle_complete, .flags = AUTH_USER | ROUTE_BODY_OPTIONAL, .status = 200,
     .request = &task_complete_schema, .response = &task_schema, .errors = E_TASK_WRITE,
     .summary = "Complete, reopen or toggle a task",
     .description = "No body, {} or {\"completed\": null} toggles; {\"completed\": true|false} "
                    "sets it. Completing a recurring task creates its next occurrence.",
     .tag = "tasks", .operation_id = "completeTask"},
};

const size_t app_routes_count = sizeof(app_routes) / sizeof(app_routes[0]);
