/* Field tables and the engines that read them (STYLE.md "one source of
 * truth"). A model is described once, as a const array of schema_field_t:
 * name, value type, where the value lives in a C struct, flags, limits, enum
 * choices, description and example. From that one table:
 *
 *   - schema_decode_json() decodes and validates a JSON request body into the
 *     struct, collecting every problem into an api_error_t;
 *   - schema_decode_params() does the same for text parameters (query string,
 *     path segments);
 *   - schema_encode() writes the struct as a JSON object;
 *   - the iteration API below lets other code (the OpenAPI generator) read
 *     types, nullability, enums, limits, formats and descriptions.
 *
 * Error messages take their numbers from the table ("title must be 1-200
 * characters"), so a limit is changed in exactly one place.
 *
 * Several schemas may share one field array with different modes (the Task
 * response, its create body and its patch body do), so a field is declared once.
 *
 * How values are stored (schema_ctype_t):
 *   strings, dates, times, timestamps, tags: const char * (NULL is null);
 *   integers: int or int64_t; a nullable integer stores null as 0, so its
 *     minimum must be at least 1;
 *   booleans: bool, or int (0/1) for a tri-state the caller pre-sets; a
 *     nullable boolean has no null value in the struct: schema_seen_t says
 *     whether the key was given as null;
 *   enums: an integer (int or bool) equal to enum_base + the choice's index;
 *     a nullable enum stores null as 0, so its enum_base must be at least 1.
 * Decoded strings are copied into the arena given to the decoder. */
#ifndef TODO_SCHEMA_SCHEMA_H
#define TODO_SCHEMA_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

/** What kind of value a field holds (the JSON and OpenAPI view). */
typedef enum schema_type {
    SCHEMA_STRING,   /* text, lengths in code points */
    SCHEMA_INTEGER,  /* a JSON integer (1.5 and true are wrong types) */
    SCHEMA_BOOLEAN,  /* true / false */
    SCHEMA_ENUM,     /* one of `choices`, a JSON string */
    SCHEMA_DATE,     /* "YYYY-MM-DD", a real date (OpenAPI format "date") */
    SCHEMA_TIME,     /* "HH:MM:SS"; input may be "HH:MM" (format "time") */
    SCHEMA_DATETIME, /* "YYYY-MM-DDTHH:MM:SSZ" (format "date-time") */
    SCHEMA_TAGS,     /* labels stored and returned as "a,b,c"; a request may
                        send a comma-separated string or an array of strings;
                        each is trimmed, empties and ASCII-case-insensitive
                        duplicates dropped (first kept), order kept; at most
                        max_items tags of at most max_length code points */
} schema_type_t;

/** How a field's value is stored in the C struct. */
typedef enum schema_ctype {
    SCHEMA_C_STR,   /* const char * */
    SCHEMA_C_INT,   /* int (C enums too) */
    SCHEMA_C_INT64, /* int64_t */
    SCHEMA_C_BOOL,  /* bool */
} schema_ctype_t;

/** Field flags. */
enum schema_flag {
    SCHEMA_REQUIRED = 1U << 0,   /* must be present in a create body */
    SCHEMA_NULLABLE = 1U << 1,   /* JSON null is allowed (and means "unset") */
    SCHEMA_READ_ONLY = 1U << 2,  /* in responses only; silently ignored in request bodies */
    SCHEMA_TRIM = 1U << 3,       /* drop surrounding space, tab, CR, LF before any check */
    SCHEMA_MULTILINE = 1U << 4,  /* strings: control characters other than NUL are allowed
                                    (without it any C0, DEL or C1 character is rejected) */
    SCHEMA_EMPTY_NULL = 1U << 5, /* strings: empty (after trimming) is stored as NULL */
    SCHEMA_CLAMP = 1U << 6,      /* integers: a value above maximum becomes maximum */
};

/** One field of a model. Use designated initialisers; unset limits are 0. */
typedef struct schema_field {
    const char *name; /* JSON key / parameter name */
    schema_type_t type;
    schema_ctype_t ctype;
    size_t offset;  /* offsetof(struct, member) */
    unsigned flags; /* enum schema_flag */
    /* SCHEMA_STRING: code points allowed (max_length 0 = no limit).
     * SCHEMA_TAGS: the same, for each tag. */
    int min_length, max_length;
    int max_items;              /* SCHEMA_TAGS: most tags after normalisation */
    int64_t minimum, maximum;   /* SCHEMA_INTEGER: inclusive bounds (always set) */
    const char *const *choices; /* SCHEMA_ENUM: NULL-terminated list */
    int enum_base;              /* SCHEMA_ENUM: stored value of choices[0] */
    const char *default_value;  /* parameters: the text used when absent, or NULL */
    const char *description;    /* one sentence for the docs; no limits in it
                                   (they are emitted from the fields above) */
    const char *example;        /* JSON text of an example value, or NULL */
} schema_field_t;

/** How a schema uses its fields. */
typedef enum schema_mode {
    SCHEMA_MODE_RESPONSE, /* an object we send: every field, every key always present */
    SCHEMA_MODE_CREATE,   /* a request body: REQUIRED fields must be given, an omitted
                             field is null; READ_ONLY fields are ignored */
    SCHEMA_MODE_PATCH,    /* a request body: every field optional, only given fields
                             change; READ_ONLY fields are ignored */
    SCHEMA_MODE_PARAMS,   /* text parameters (query string or path): all optional
                             unless REQUIRED; unknown names are not looked at */
} schema_mode_t;

/** A model or a request/response shape: a view of a field table. */
typedef struct schema {
    const char *name;        /* component name, e.g. "Task", "TaskInput" */
    const char *description; /* one sentence for the docs */
    const schema_field_t *fields;
    size_t n_fields; /* at most SCHEMA_MAX_FIELDS */
    schema_mode_t mode;
    /* RESPONSE mode, optional: one more member, always present and written
     * first, that is an object of another RESPONSE schema (the accounts'
     * {"user": User, "token", ...}). The struct holds a pointer to that
     * object at embed_offset; a NULL pointer is written as null. */
    const char *embed_name;
    const struct schema *embed;
    size_t embed_offset;
} schema_t;

enum { SCHEMA_MAX_FIELDS = 64 };

/** Which fields a decode saw: bit i stands for field i. */
typedef struct schema_seen {
    uint64_t present; /* the key / parameter was given */
    uint64_t null;    /* ... and its value was null (or an empty EMPTY_NULL string) */
} schema_seen_t;

/* ---- iteration (for documentation generators and tests) ---------------- */

/** Number of fields in the schema's table (visible or not). */
size_t schema_field_count(const schema_t *s);
/** Field i of the table, 0 <= i < schema_field_count(s). */
const schema_field_t *schema_field_at(const schema_t *s, size_t i);
/** The field called name, or NULL; its index into *index when index is non-NULL. */
const schema_field_t *schema_field_find(const schema_t *s, const char *name, size_t *index);
/** Whether the field belongs in this schema's document: request modes
 *  (CREATE, PATCH) leave READ_ONLY fields out; RESPONSE and PARAMS show all. */
bool schema_field_visible(const schema_t *s, const schema_field_t *f);
/** Whether the key must be present: RESPONSE: every field (keys are always
 *  sent); CREATE and PARAMS: REQUIRED fields; PATCH: none. */
bool schema_field_required(const schema_t *s, const schema_field_t *f);
/** Whether null is an allowed value. */
bool schema_field_nullable(const schema_field_t *f);
/** JSON Schema "type" of the value: "string", "integer" or "boolean"
 *  (SCHEMA_TAGS is "string"; in requests it may also be an array of strings). */
const char *schema_field_json_type(const schema_field_t *f);
/** JSON Schema "format": "date", "time", "date-time", "int32", "int64", or NULL. */
const char *schema_field_format(const schema_field_t *f);
/** A regular expression (ECMA-262) the text form matches, or NULL. In a
 *  request, SCHEMA_TIME also accepts "HH:MM"; pass request = true for it. */
const char *schema_field_pattern(const schema_field_t *f, bool request);
/** Number of choices of a SCHEMA_ENUM field (0 for other types). */
size_t schema_field_choice_count(const schema_field_t *f);

/** Checks that a table is consistent (names unique, at most SCHEMA_MAX_FIELDS,
 *  enums have choices, nullable integers and enums do not use 0 for a value,
 *  limits ordered, defaults valid). Returns 0, or -1 with a reason in why. */
int schema_check(const schema_t *s, const char **why);

/* ---- decoding ------------------------------------------------------------ */

/** Decodes a JSON object against s (CREATE or PATCH mode) into out, which the
 *  caller zero-initialised. Every problem is added to err (which the caller
 *  initialised, so path problems may already be in it) in table order, then
 *  unknown keys in body order: missing, wrong_type, too_short, too_long,
 *  out_of_range, invalid_format, invalid_choice, control_character,
 *  unknown_field. At most one problem per field. Issue fields are the bare
 *  key ("title"). obj NULL is an empty object; a non-object is one wrong_type
 *  problem on field "body". seen (may be NULL) receives which keys were
 *  given. Returns the number of problems added (0: out is fully valid). */
size_t schema_decode_json(const schema_t *s, const json_t *obj, void *out, schema_seen_t *seen,
                          arena_t *arena, api_error_t *err);

/** Looks up one text parameter by name: its value or NULL when absent. */
typedef const char *(*schema_param_fn)(void *ctx, const char *name);

/** Decodes text parameters against s (PARAMS mode) into out. Each field is
 *  looked up with get(get_ctx, name); an absent one takes its default_value
 *  if it has one, else out is left as the caller set it. Values must be
 *  valid UTF-8 (invalid_format otherwise). Booleans are "true"/"false",
 *  integers plain decimal (an optional '-', digits; leading zeros allowed).
 *  Problems go to err named prefix + name ("query.limit", "path.id").
 *  Returns the number of problems added. */
size_t schema_decode_params(const schema_t *s, schema_param_fn get, void *get_ctx, void *out,
                            schema_seen_t *seen, arena_t *arena, const char *prefix,
                            api_error_t *err);

/* ---- encoding ------------------------------------------------------------ */

/** Appends obj as one JSON object: every field of the table, in table order,
 *  null when unset. */
void schema_encode(const schema_t *s, const void *obj, buf_t *out);

/* ---- whole-field helpers (merging, comparing) ---------------------------- */

/** Copies field f's value from src to dst (strings are shared, not copied). */
void schema_field_copy(const schema_field_t *f, void *dst, const void *src);
/** Whether field f holds the same value in a and b (strings by content). */
bool schema_field_equal(const schema_field_t *f, const void *a, const void *b);
/** Whether field f is unset (null) in obj. */
bool schema_field_is_null(const schema_field_t *f, const void *obj);

#endif
