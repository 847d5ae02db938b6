/* The OpenAPI 3.1 document, generated from the route table and the field
 * tables (STYLE.md "one source of truth"): every route becomes an operation,
 * every field of a schema becomes a property or a parameter with its type,
 * nullability, enum, limits, format, default and description, and the error
 * body comes from the error X-macro tables. Nothing in the document is
 * written twice: change a limit in a field table and the validator, its
 * error message and this document follow. */
#ifndef TODO_SCHEMA_OPENAPI_H
#define TODO_SCHEMA_OPENAPI_H

#include <stddef.h>

#include "core/buf.h"
#include "http/api.h"
#include "schema/schema.h"

/** A tag (group of operations) and its description. */
typedef struct openapi_tag {
    const char *name; /* as in route_t.tag */
    const char *description;
} openapi_tag_t;

/** A path parameter: the {name} of a pattern, described by a field (type,
 *  limits, enum, description, example) and an extra pattern for what the
 *  field table cannot say (a character set), or NULL. */
typedef struct openapi_path_param {
    const schema_field_t *field; /* field->name is the {name} */
    const char *pattern;         /* ECMA-262 regex, or NULL */
} openapi_path_param_t;

/** What the document says besides the routes. Everything is borrowed. */
typedef struct openapi_info {
    const char *title;
    const char *version;
    const char *description; /* Markdown; may be NULL */
    const char *license;     /* SPDX identifier ("MIT"), or NULL */
    const openapi_tag_t *tags;
    size_t n_tags;
    const openapi_path_param_t *path_params;
    size_t n_path_params;
} openapi_info_t;

/** Appends the OpenAPI 3.1.0 document (pretty-printed JSON) for the n
 *  routes to out. A route that is not documentable (a {name} without a path
 *  parameter description, a schema with the wrong mode, two schemas with one
 *  name) is a programmer error (assert). The result depends only on its
 *  arguments, so callers generate it once and keep it. */
void openapi_write(buf_t *out, const route_t *routes, size_t n, const openapi_info_t *info);

#endif
