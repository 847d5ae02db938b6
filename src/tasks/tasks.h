/* The tasks module's public face: the route handlers the route table in
 * src/app.c points at, and the schemas that describe their bodies and query
 * parameters (for validation here and for the OpenAPI document). */
#ifndef TODO_TASKS_TASKS_H
#define TODO_TASKS_TASKS_H

#include "http/api.h"
#include "schema/schema.h"

/** GET /api/{user_id}/tasks: the filtered, sorted page, X-Total-Count. */
void tasks_handle_list(api_req_t *r);
/** POST /api/{user_id}/tasks: 201 with the task and its Location. */
void tasks_handle_create(api_req_t *r);
/** GET /api/{user_id}/tasks/{id}. */
void tasks_handle_get(api_req_t *r);
/** PUT /api/{user_id}/tasks/{id}: replaces every editable field. */
void tasks_handle_replace(api_req_t *r);
/** PATCH /api/{user_id}/tasks/{id}: changes the fields given. */
void tasks_handle_patch(api_req_t *r);
/** PATCH /api/{user_id}/tasks/{id}/complete: toggles or sets completion. */
void tasks_handle_complete(api_req_t *r);
/** DELETE /api/{user_id}/tasks/{id}: 204. */
void tasks_handle_delete(api_req_t *r);

/** The Task object (responses); decodes into / encodes from store_task_t. */
extern const struct schema task_schema;
/** POST and PUT body: the Task's editable fields; title required. */
extern const struct schema task_create_schema;
/** PATCH body: the same fields, all optional; title may not be null. */
extern const struct schema task_patch_schema;
/** Body of the complete route: {"completed": true|false|null}. */
extern const struct schema task_complete_schema;
/** Query parameters of the list route, into store_task_query_t. */
extern const struct schema task_query_schema;

#endif
