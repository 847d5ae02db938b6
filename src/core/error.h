/* The API's errors, from one table (API.md section 2): the enum, the HTTP
 * status, the machine code and the default message all come from API_ERROR_MAP.
 * Field-level issue codes come from FIELD_ISSUE_MAP. */
#ifndef TODO_CORE_ERROR_H
#define TODO_CORE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"

/* X(name, http status, default detail) */
#define API_ERROR_MAP(X)                                                                           \
    X(VALIDATION_ERROR, 400, "Request validation failed")                                          \
    X(INVALID_JSON, 400, "Request body is not valid JSON")                                         \
    X(UNAUTHORIZED, 401, "Not authenticated")                                                      \
    X(FORBIDDEN, 403, "Not allowed to access another user's resources")                            \
    X(NOT_FOUND, 404, "Not found")                                                                 \
    X(METHOD_NOT_ALLOWED, 405, "Method not allowed")                                               \
    X(CONFLICT, 409, "Conflict")                                                                   \
    X(PAYLOAD_TOO_LARGE, 413, "Request body is too large")                                         \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "Content-Type must be application/json")                        \
    X(RULE_VIOLATION, 422, "Request breaks a rule")                                                \
    X(RATE_LIMITED, 429, "Too many attempts, try again later")                                     \
    X(HEADERS_TOO_LARGE, 431, "Request headers are too large")                                     \
    X(INTERNAL_ERROR, 500, "Internal server error")                                                \
    X(SERVICE_UNAVAILABLE, 503, "Service temporarily unavailable")                                 \
    X(PRECONDITION_FAILED, 412, "The task has changed: its ETag is not one If-Match names")        \
    X(IDEMPOTENCY_KEY_IN_USE, 409,                                                                 \
      "A request with this Idempotency-Key is still being carried out")                            \
    X(IDEMPOTENCY_KEY_REUSED, 422, "This Idempotency-Key was used for another request")

typedef enum api_err {
#define X(name, status, detail) API_ERR_##name,
    API_ERROR_MAP(X)
#undef X
        API_ERR__COUNT
} api_err_t;

/* X(name, machine code) */
#define FIELD_ISSUE_MAP(X)                                                                         \
    X(MISSING, "missing")                                                                          \
    X(UNKNOWN_FIELD, "unknown_field")                                                              \
    X(WRONG_TYPE, "wrong_type")                                                                    \
    X(TOO_SHORT, "too_short")                                                                      \
    X(TOO_LONG, "too_long")                                                                        \
    X(OUT_OF_RANGE, "out_of_range")                                                                \
    X(INVALID_FORMAT, "invalid_format")                                                            \
    X(INVALID_CHOICE, "invalid_choice")                                                            \
    X(CONTROL_CHARACTER, "control_character")                                                      \
    X(REQUIRES_FIELD, "requires_field")                                                            \
    X(DOES_NOT_FIT, "does_not_fit")

typedef enum field_issue {
#define X(name, code) FIELD_ISSUE_##name,
    FIELD_ISSUE_MAP(X)
#undef X
        FIELD_ISSUE__COUNT
} field_issue_t;

/** One problem with one field: {"field", "code", "detail"}. */
typedef struct api_issue {
    const char *field; /* "title", "query.priority", "path.id" */
    field_issue_t issue;
    const char *detail;
} api_issue_t;

/** An error answer being built; all strings live in the arena given to the
 *  functions below. Zero-initialise, or use api_error_init. */
typedef struct api_error {
    api_err_t err;
    const char *detail; /* NULL: the first issue's detail, else the table's default */
    const char *field;  /* NULL: the first issue's field, if any */
    api_issue_t *issues;
    size_t n_issues;
    size_t cap_issues;
} api_error_t;

/** HTTP status of an error code. */
int api_err_status(api_err_t err);
/** Machine code ("VALIDATION_ERROR") of an error code. */
const char *api_err_code(api_err_t err);
/** Default detail message of an error code. */
const char *api_err_default_detail(api_err_t err);
/** Machine code ("too_long") of a field issue. */
const char *field_issue_code(field_issue_t issue);

/** Resets e to an error of kind err with no issues. */
void api_error_init(api_error_t *e, api_err_t err);
/** Adds an issue with a printf-formatted detail; strings are copied into arena. */
void api_error_add(api_error_t *e, arena_t *arena, const char *field, field_issue_t issue,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Writes the JSON error body: {"detail","code"[,"field","errors"]}. `field`
 *  and `errors` appear when there is at least one issue. */
void api_error_to_json(const api_error_t *e, buf_t *out);

#endif
