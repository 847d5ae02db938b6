/* The task model beyond tasks.h: field indexes into the Task field table,
 * the small structs some schemas decode into, and JSON encoding. */
#ifndef TODO_TASKS_TASK_MODEL_H
#define TODO_TASKS_TASK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/store.h"

/** Index of each field in the Task table (task_schema, task_create_schema
 *  and task_patch_schema share it): bit positions in a schema_seen_t. */
typedef enum task_field {
    TASK_F_ID,
    TASK_F_USER_ID,
    TASK_F_TITLE,
    TASK_F_DESCRIPTION,
    TASK_F_COMPLETED,
    TASK_F_COMPLETED_AT,
    TASK_F_PRIORITY,
    TASK_F_TAGS,
    TASK_F_DUE_DATE,
    TASK_F_DUE_TIME,
    TASK_F_RECURRENCE_PATTERN,
    TASK_F_RECURRENCE_DAY,
    TASK_F_CREATED_AT,
    TASK_F_UPDATED_AT,
    TASK_F__COUNT
} task_field_t;

/** Highest recurrence_day a weekly pattern takes (ISO weekday 7 = Sunday). */
enum { TASK_WEEKLY_DAY_MAX = 7 };

/** What the complete route's body decodes into (task_complete_schema). */
typedef struct task_complete_body {
    bool completed; /* meaningful when the key was given and not null */
} task_complete_body_t;

/** What the {id} path segment decodes into (task_path_schema). */
typedef struct task_path {
    int64_t id;
} task_path_t;

/** The path parameters of /api/{user_id}/tasks/{id}[/complete] that the
 *  tasks module checks: id, a positive 64-bit integer. */
extern const struct schema task_path_schema;

/** Appends the Task object t as JSON. */
void task_encode(const store_task_t *t, buf_t *out);
/** Appends a JSON array of n tasks, reserving the buffer once. */
void task_encode_list(const store_task_t *tasks, size_t n, buf_t *out);

#endif
