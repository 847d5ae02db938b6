/* The task model's field tables: the one place that says what a task's
 * fields are, their limits, and what the list route's parameters are. */
#include "tasks/task_model.h"

#include <stddef.h>
#include <stdint.h>

#include "tasks/tasks.h"

/* Enums are stored through int slots. */
_Static_assert(sizeof(task_priority_t) == sizeof(int), "enum slot size");
_Static_assert(sizeof(task_recurrence_t) == sizeof(int), "enum slot size");
_Static_assert(sizeof(task_due_filter_t) == sizeof(int), "enum slot size");
_Static_assert(sizeof(task_sort_t) == sizeof(int), "enum slot size");

#define TASK_AT(member) .offset = offsetof(store_task_t, member)

static const char *const priority_choices[] = {"low", "medium", "high", NULL};
static const char *const recurrence_choices[] = {"daily", "weekly", "monthly", NULL};

/* Order is the JSON key order and must match task_field_t. */
static const schema_field_t task_fields[] = {
    [TASK_F_ID] = {.name = "id",
                   .type = SCHEMA_INTEGER,
                   .ctype = SCHEMA_C_INT64,
                   TASK_AT(id),
                   .flags = SCHEMA_READ_ONLY,
                   .minimum = 1,
                   .maximum = INT64_MAX,
                   .description = "Identifier of the task.",
                   .example = "2"},
    [TASK_F_USER_ID] = {.name = "user_id",
                        .type = SCHEMA_STRING,
                        .ctype = SCHEMA_C_STR,
                        TASK_AT(user_id),
                        .flags = SCHEMA_READ_ONLY,
                        .description = "The owner: the subject of the token that created it.",
                        .example = "\"u_8f2k\""},
    [TASK_F_TITLE] = {.name = "title",
                      .type = SCHEMA_STRING,
                      .ctype = SCHEMA_C_STR,
                      TASK_AT(title),
                      .flags = SCHEMA_REQUIRED | SCHEMA_TRIM,
                      .min_length = 1,
                      .max_length = 200,
                      .description = "What to do. Surrounding whitespace (space, tab, CR, LF) is "
                                     "trimmed first; control characters are not allowed.",
                      .example = "\"Weekly team standup\""},
    [TASK_F_DESCRIPTION] = {.name = "description",
                            .type = SCHEMA_STRING,
                            .ctype = SCHEMA_C_STR,
                            TASK_AT(description),
                            .flags = SCHEMA_NULLABLE | SCHEMA_MULTILINE,
                            .max_length = 1000,
                            .description = "Longer notes; newlines are kept, NUL is not allowed.",
                            .example = "\"Discuss sprint progress\""},
    [TASK_F_COMPLETED] = {.name = "completed",
                          .type = SCHEMA_BOOLEAN,
                          .ctype = SCHEMA_C_BOOL,
                          TASK_AT(completed),
                          .flags = SCHEMA_READ_ONLY,
                          .description = "Whether the task is done (changed with the complete "
                                         "route).",
                          .example = "false"},
    [TASK_F_COMPLETED_AT] = {.name = "completed_at",
                             .type = SCHEMA_DATETIME,
                             .ctype = SCHEMA_C_STR,
                             TASK_AT(completed_at),
                             .flags = SCHEMA_READ_ONLY | SCHEMA_NULLABLE,
                             .description = "When the task became complete; null while it is "
                                            "not.",
                             .example = "null"},
    [TASK_F_PRIORITY] = {.name = "priority",
                         .type = SCHEMA_ENUM,
                         .ctype = SCHEMA_C_INT,
                         TASK_AT(priority),
                         .flags = SCHEMA_NULLABLE,
                         .choices = priority_choices,
                         .enum_base = PRIORITY_LOW,
                         .description = "How important the task is.",
                         .example = "\"high\""},
    [TASK_F_TAGS] = {.name = "tags",
                     .type = SCHEMA_TAGS,
                     .ctype = SCHEMA_C_STR,
                     TASK_AT(tags),
                     .flags = SCHEMA_NULLABLE,
                     .max_length = 50,
                     .max_items = 20,
                     .description =
                         "Labels, returned as one comma-separated string (null when there are "
                         "none). A request may send a comma-separated string or an array of "
                         "strings; each tag is trimmed, empty ones and case-insensitive "
                         "duplicates are dropped (the first is kept) and the order is kept.",
                     .example = "\"work,meeting,weekly\""},
    [TASK_F_DUE_DATE] = {.name = "due_date",
                         .type = SCHEMA_DATE,
                         .ctype = SCHEMA_C_STR,
                         TASK_AT(due_date),
                         .flags = SCHEMA_NULLABLE,
                         .description = "The day the task is due.",
                         .example = "\"2025-12-11\""},
    [TASK_F_DUE_TIME] = {.name = "due_time",
                         .type = SCHEMA_TIME,
                         .ctype = SCHEMA_C_STR,
                         TASK_AT(due_time),
                         .flags = SCHEMA_NULLABLE,
                         .description = "The time of day it is due, HH:MM:SS (a request may "
                                        "send HH:MM); needs due_date.",
                         .example = "\"09:00:00\""},
    [TASK_F_RECURRENCE_PATTERN] = {.name = "recurrence_pattern",
                                   .type = SCHEMA_ENUM,
                                   .ctype = SCHEMA_C_INT,
                                   TASK_AT(recurrence_pattern),
                                   .flags = SCHEMA_NULLABLE,
                                   .choices = recurrence_choices,
                                   .enum_base = RECURRENCE_DAILY,
                                   .description = "How the task repeats: completing it creates "
                                                  "the next occurrence. Clearing it clears "
                                                  "recurrence_day.",
                                   .example = "\"weekly\""},
    [TASK_F_RECURRENCE_DAY] = {.name = "recurrence_day",
                               .type = SCHEMA_INTEGER,
                               .ctype = SCHEMA_C_INT,
                               TASK_AT(recurrence_day),
                               .flags = SCHEMA_NULLABLE,
                               .minimum = 1,
                               .maximum = 31,
                               .description =
                                   "The day it recurs on: for weekly the ISO weekday (1 = Monday "
                                   "... 7 = Sunday), for monthly the day of the month (the "
                                   "month's last day when it is shorter). Needs a weekly or "
                                   "monthly pattern; when such a pattern has none, it is taken "
                                   "from due_date (or today).",
                               .example = "1"},
    [TASK_F_CREATED_AT] = {.name = "created_at",
                           .type = SCHEMA_DATETIME,
                           .ctype = SCHEMA_C_STR,
                           TASK_AT(created_at),
                           .flags = SCHEMA_READ_ONLY,
                           .description = "When the task was created (UTC).",
                           .example = "\"2025-12-10T10:10:00Z\""},
    [TASK_F_UPDATED_AT] = {.name = "updated_at",
                           .type = SCHEMA_DATETIME,
                           .ctype = SCHEMA_C_STR,
                           TASK_AT(updated_at),
                           .flags = SCHEMA_READ_ONLY,
                           .description = "When the task last changed (UTC).",
                           .example = "\"2025-12-10T10:10:00Z\""},
};

_Static_assert(sizeof(task_fields) / sizeof(task_fields[0]) == TASK_F__COUNT, "task fields");

#define N_FIELDS(a) (sizeof(a) / sizeof((a)[0]))

const struct schema task_schema = {
    .name = "Task",
    .description = "A task. Every key is always present; unset optional values are null.",
    .fields = task_fields,
    .n_fields = N_FIELDS(task_fields),
    .mode = SCHEMA_MODE_RESPONSE,
};

const struct schema task_create_schema = {
    .name = "TaskInput",
    .description = "Body of create (POST) and replace (PUT): every editable field; an omitted "
                   "optional field is null. Read-only Task keys are ignored, any other unknown "
                   "key is an error.",
    .fields = task_fields,
    .n_fields = N_FIELDS(task_fields),
    .mode = SCHEMA_MODE_CREATE,
};

const struct schema task_patch_schema = {
    .name = "TaskPatch",
    .description = "Body of update (PATCH): only the fields given change; title may not be "
                   "null. Read-only Task keys are ignored, any other unknown key is an error.",
    .fields = task_fields,
    .n_fields = N_FIELDS(task_fields),
    .mode = SCHEMA_MODE_PATCH,
};

static const schema_field_t complete_fields[] = {
    {.name = "completed",
     .type = SCHEMA_BOOLEAN,
     .ctype = SCHEMA_C_BOOL,
     .offset = offsetof(task_complete_body_t, completed),
     .flags = SCHEMA_NULLABLE,
     .description = "true completes the task, false reopens it (setting the current value "
                    "changes nothing); null or absent toggles it.",
     .example = "true"},
};

const struct schema task_complete_schema = {
    .name = "TaskComplete",
    .description = "Optional body of the complete route; no body or {} toggles.",
    .fields = complete_fields,
    .n_fields = N_FIELDS(complete_fields),
    .mode = SCHEMA_MODE_PATCH,
};

/* ---- list query ------------------------------------------------------------ */

#define QUERY_AT(member) .offset = offsetof(store_task_query_t, member)

static const char *const due_filter_choices[] = {"overdue",  "today", "this_week",
                                                 "upcoming", "none",  NULL};
static const char *const sort_choices[] = {"created_at", "updated_at", "due_date", "priority",
                                           "title",      "completed",  NULL};
static const char *const order_choices[] = {"asc", "desc", NULL};

static const schema_field_t query_fields[] = {
    {.name = "completed",
     .type = SCHEMA_BOOLEAN,
     .ctype = SCHEMA_C_INT,
     QUERY_AT(completed),
     .description = "Only completed (true) or incomplete (false) tasks.",
     .example = "false"},
    {.name = "priority",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     QUERY_AT(priority),
     .choices = priority_choices,
     .enum_base = PRIORITY_LOW,
     .description = "Only tasks of this priority.",
     .example = "\"high\""},
    {.name = "tag",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     QUERY_AT(tag),
     .flags = SCHEMA_TRIM | SCHEMA_EMPTY_NULL | SCHEMA_MULTILINE,
     .description = "Only tasks carrying this tag: exact and case-insensitive, never a "
                    "substring. Trimmed; empty means no filter.",
     .example = "\"work\""},
    {.name = "search",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     QUERY_AT(search),
     .flags = SCHEMA_EMPTY_NULL | SCHEMA_MULTILINE,
     .description = "Only tasks whose title or description contains this text, "
                    "case-insensitively; % and _ are ordinary characters. Empty means no "
                    "filter.",
     .example = "\"standup\""},
    {.name = "due_date_filter",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     QUERY_AT(due_filter),
     .choices = due_filter_choices,
     .enum_base = DUE_FILTER_OVERDUE,
     .description = "overdue: due before today and not completed; today: due today; "
                    "this_week: due in the Monday-Sunday week holding today; upcoming: due after "
                    "today; none: no due date.",
     .example = "\"this_week\""},
    {.name = "today",
     .type = SCHEMA_DATE,
     .ctype = SCHEMA_C_STR,
     QUERY_AT(today),
     .description = "The client's local date, used by due_date_filter (default: the server's "
                    "UTC date).",
     .example = "\"2025-12-10\""},
    {.name = "sort_by",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_INT,
     QUERY_AT(sort_by),
     .choices = sort_choices,
     .enum_base = SORT_CREATED_AT,
     .default_value = "created_at",
     .description = "Sort key: due_date sorts by due_time next; priority ascending is low < "
                    "medium < high; title is case-insensitive; completed ascending is false < "
                    "true.",
     .example = "\"due_date\""},
    {.name = "sort_order",
     .type = SCHEMA_ENUM,
     .ctype = SCHEMA_C_BOOL,
     QUERY_AT(descending),
     .choices = order_choices,
     .enum_base = 0,
     .default_value = "desc",
     .description = "Tasks with no value for the sort key come last either way; ties are "
                    "broken by id in the same direction.",
     .example = "\"asc\""},
    {.name = "limit",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     QUERY_AT(limit),
     .minimum = 1,
     .maximum = 1000,
     .default_value = "1000",
     .description = "Most tasks to return.",
     .example = "50"},
    {.name = "offset",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     QUERY_AT(offset),
     .flags = SCHEMA_CLAMP,
     .minimum = 0,
     .maximum = INT64_C(1) << 62,
     .default_value = "0",
     .description = "Matching tasks to skip (larger values than the maximum are taken as the "
                    "maximum).",
     .example = "0"},
    {.name = "cursor",
     .type = SCHEMA_STRING,
     .ctype = SCHEMA_C_STR,
     QUERY_AT(cursor),
     .description = "An opaque string from a previous answer's Link header (rel=\"next\"): "
                    "continues right after that page's last task, with the same filters and "
                    "sort. A cursor used with other filters or sort, or a malformed one, is "
                    "400; so is a cursor together with offset.",
     .example = "\"WzEsIjAxMjM0NTY3ODlhYmNkZWYiLDQyLCIyMDI1LTEyLTEwVDEwOjA1OjAwWiIsbnVsbCwiIl0\""},
};

const struct schema task_query_schema = {
    .name = "TaskQuery",
    .description = "Filters (combined with AND), sorting and paging of the task list; unknown "
                   "parameters are ignored.",
    .fields = query_fields,
    .n_fields = N_FIELDS(query_fields),
    .mode = SCHEMA_MODE_PARAMS,
};

static const schema_field_t path_fields[] = {
    {.name = "id",
     .type = SCHEMA_INTEGER,
     .ctype = SCHEMA_C_INT64,
     .offset = offsetof(task_path_t, id),
     .flags = SCHEMA_REQUIRED,
     .minimum = 1,
     .maximum = INT64_MAX,
     .description = "The task's id, a positive 64-bit integer.",
     .example = "2"},
};

const struct schema task_path_schema = {
    .name = "TaskPath",
    .description = "Path parameters of one task's routes.",
    .fields = path_fields,
    .n_fields = N_FIELDS(path_fields),
    .mode = SCHEMA_MODE_PARAMS,
};

/* ---- JSON -------------------------------------------------------------------- */

/* A typical task is about 350 bytes of JSON; reserving a little more once
 * keeps a list from growing its buffer over and over. */
enum { TASK_JSON_ESTIMATE = 448 };

void task_encode(const store_task_t *t, buf_t *out)
{
    buf_reserve(out, TASK_JSON_ESTIMATE);
    schema_encode(&task_schema, t, out);
}

void task_encode_list(const store_task_t *tasks, size_t n, buf_t *out)
{
    buf_reserve(out, 2 + n * TASK_JSON_ESTIMATE);
    buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ',');
        schema_encode(&task_schema, &tasks[i], out);
    }
    buf_putc(out, ']');
}
