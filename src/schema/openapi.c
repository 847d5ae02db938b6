/* The OpenAPI 3.1 generator: reads the route table, the field tables (through
 * the iteration API of schema.h) and the error tables (error.h), and writes
 * one JSON document with jansson. Nothing here knows about tasks or users.
 *
 * Conventions the document states, each from one place:
 *   - a field is a property (bodies) or a parameter (query, path) whose JSON
 *     Schema comes from its type, flags and limits; a nullable one is typed
 *     ["<type>", "null"] (and its enum holds null);
 *   - every response carries X-Request-ID; a list (response_is_array) carries
 *     X-Total-Count (and Link); a 201 carries Location; a 401 WWW-Authenticate; a 429
 *     Retry-After;
 *   - an error status is answered with the Error body, whose `code` is one of
 *     the API_ERROR_MAP codes of that status;
 *   - besides its own error statuses, every route may answer the ones the HTTP
 *     layer gives before any handler runs (http_layer_errors below). */
#include "schema/openapi.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "http/parse.h"

/* Statuses src/http/ answers for any route, before its handler: a body over
 * MAX_BODY_BYTES (413), request headers over the limit (431), and an
 * unexpected failure (500). */
static const int http_layer_errors[] = {413, 431, 500};

enum { MAX_STATUSES = 32, MAX_COMPONENTS = 64 };

/* Where a field's schema is used: requests may send more forms than
 * responses hold (tags as an array, HH:MM times). */
typedef enum use { USE_RESPONSE, USE_REQUEST, USE_PARAM } use_t;

typedef struct gen {
    const openapi_info_t *info;
    json_t *schemas;                      /* components.schemas */
    json_t *responses;                    /* components.responses */
    json_t *headers;                      /* components.headers */
    const schema_t *seen[MAX_COMPONENTS]; /* schemas already in components */
    size_t n_seen;
} gen_t;

/* ---- small helpers ---------------------------------------------------------- */

static void set_new(json_t *obj, const char *key, json_t *value)
{
    assert(value != NULL);
    json_object_set_new(obj, key, value);
}

static void set_str(json_t *obj, const char *key, const char *value)
{
    if (value != NULL)
        set_new(obj, key, json_string(value));
}

static json_t *ref_to(const char *section, const char *name)
{
    char ref[160];
    snprintf(ref, sizeof(ref), "#/components/%s/%s", section, name);
    return json_pack("{ss}", "$ref", ref);
}

static const char *reason_of(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {200, "OK"},
        {201, "Created"},
        {204, "No Content"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {409, "Conflict"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {503, "Service Unavailable"},
    };
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return status < 400 ? "Success" : "Error";
}

/* ---- fields ------------------------------------------------------------------- */

/* "string" or ["string", "null"]. */
static json_t *type_of(const char *type, bool nullable)
{
    return nullable ? json_pack("[ss]", type, "null") : json_string(type);
}

/* The field's default_value text as a typed JSON value. */
static json_t *default_of(const schema_field_t *f)
{
    const char *v = f->default_value;
    switch (f->type) {
    case SCHEMA_INTEGER:
        return json_integer((json_int_t)strtoll(v, NULL, 10));
    case SCHEMA_BOOLEAN:
        return json_boolean(strcmp(v, "true") == 0);
    case SCHEMA_STRING:
    case SCHEMA_ENUM:
    case SCHEMA_DATE:
    case SCHEMA_TIME:
    case SCHEMA_DATETIME:
    case SCHEMA_TAGS:
        break;
    }
    return json_string(v);
}

/* The field's example (JSON text in the table), or NULL. */
static json_t *example_of(const schema_field_t *f)
{
    if (f->example == NULL)
        return NULL;
    json_error_t je;
    json_t *v = json_loads(f->example, JSON_DECODE_ANY, &je);
    assert(v != NULL && "a field's example is not valid JSON");
    return v;
}

/* The description, with what the table says that JSON Schema cannot. */
static json_t *description_of(const schema_field_t *f, use_t use)
{
    char extra[160] = "";
    if (f->type == SCHEMA_TAGS && use == USE_REQUEST)
        snprintf(extra, sizeof(extra),
                 "At most %d tags of at most %d characters each, counted after trimming and "
                 "dropping duplicates; a tag may not contain a comma.",
                 f->max_items, f->max_length);
    else if (f->type == SCHEMA_TAGS)
        snprintf(extra, sizeof(extra), "At most %d tags of at most %d characters each.",
                 f->max_items, f->max_length);
    else if (f->type == SCHEMA_STRING && (f->flags & SCHEMA_TRIM) && f->max_length > 0)
        snprintf(extra, sizeof(extra), "Lengths count code points after trimming.");
    if (f->description == NULL && extra[0] == '\0')
        return NULL;
    if (extra[0] == '\0')
        return json_string(f->description);
    if (f->description == NULL)
        return json_string(extra);
    size_t n = strlen(f->description) + 1 + strlen(extra) + 1;
    char *text = malloc(n);
    assert(text != NULL);
    snprintf(text, n, "%s %s", f->description, extra);
    json_t *out = json_string(text);
    free(text);
    return out;
}

/* JSON Schema of one field's value. Parameters put the description and
 * example beside the schema, so with_doc is false for them. */
static json_t *field_schema(const schema_field_t *f, use_t use, bool with_doc)
{
    json_t *s = json_object();
    bool nullable = schema_field_nullable(f) && use != USE_PARAM;
    const char *type = schema_field_json_type(f);

    if (f->type == SCHEMA_TAGS && use == USE_REQUEST) {
        /* A comma-separated string or an array of strings. */
        json_t *types = json_pack("[ss]", "string", "array");
        if (nullable)
            json_array_append_new(types, json_string("null"));
        set_new(s, "type", types);
        set_new(s, "items", json_pack("{ss}", "type", "string"));
    } else {
        set_new(s, "type", type_of(type, nullable));
    }

    const char *format = schema_field_format(f);
    if (format != NULL && f->type != SCHEMA_INTEGER)
        set_str(s, "format", format);
    if (f->type == SCHEMA_INTEGER)
        set_str(s, "format", format);
    const char *pattern = schema_field_pattern(f, use != USE_RESPONSE);
    if (pattern != NULL)
        set_str(s, "pattern", pattern);

    switch (f->type) {
    case SCHEMA_STRING:
        if (f->min_length > 0)
            set_new(s, "minLength", json_integer(f->min_length));
        if (f->max_length > 0)
            set_new(s, "maxLength", json_integer(f->max_length));
        break;
    case SCHEMA_INTEGER: {
        int64_t type_min = f->ctype == SCHEMA_C_INT64 ? INT64_MIN : INT32_MIN;
        int64_t type_max = f->ctype == SCHEMA_C_INT64 ? INT64_MAX : INT32_MAX;
        if (f->minimum != type_min)
            set_new(s, "minimum", json_integer((json_int_t)f->minimum));
        /* A clamped value above the maximum is taken as the maximum, not refused. */
        if (f->maximum != type_max && !(f->flags & SCHEMA_CLAMP))
            set_new(s, "maximum", json_integer((json_int_t)f->maximum));
        break;
    }
    case SCHEMA_ENUM: {
        json_t *choices = json_array();
        for (size_t i = 0; i < schema_field_choice_count(f); i++)
            json_array_append_new(choices, json_string(f->choices[i]));
        if (nullable)
            json_array_append_new(choices, json_null());
        set_new(s, "enum", choices);
        break;
    }
    case SCHEMA_BOOLEAN:
    case SCHEMA_DATE:
    case SCHEMA_TIME:
    case SCHEMA_DATETIME:
    case SCHEMA_TAGS:
        break;
    }

    if (f->default_value != NULL)
        set_new(s, "default", default_of(f));
    if ((f->flags & SCHEMA_READ_ONLY) && use == USE_RESPONSE)
        set_new(s, "readOnly", json_true());
    if (with_doc) {
        json_t *d = description_of(f, use);
        if (d != NULL)
            set_new(s, "description", d);
        json_t *ex = example_of(f);
        if (ex != NULL)
            set_new(s, "examples", json_pack("[o]", ex));
    }
    return s;
}

/* ---- schemas -------------------------------------------------------------------- */

static json_t *schema_ref(gen_t *g, const schema_t *s);

/* The object schema of a body schema (RESPONSE, CREATE or PATCH mode). */
static json_t *object_schema(gen_t *g, const schema_t *s)
{
    assert(s->mode != SCHEMA_MODE_PARAMS && "a parameter schema used as a body");
    use_t use = s->mode == SCHEMA_MODE_RESPONSE ? USE_RESPONSE : USE_REQUEST;
    json_t *obj = json_object();
    json_t *props = json_object();
    json_t *required = json_array();
    set_new(obj, "type", json_string("object"));
    set_str(obj, "description", s->description);
    if (s->embed != NULL) {
        set_new(props, s->embed_name, schema_ref(g, s->embed));
        json_array_append_new(required, json_string(s->embed_name));
    }
    for (size_t i = 0; i < schema_field_count(s); i++) {
        const schema_field_t *f = schema_field_at(s, i);
        if (!schema_field_visible(s, f))
            continue;
        set_new(props, f->name, field_schema(f, use, true));
        if (schema_field_required(s, f))
            json_array_append_new(required, json_string(f->name));
    }
    set_new(obj, "properties", props);
    if (json_array_size(required) > 0)
        set_new(obj, "required", required);
    else
        json_decref(required);
    /* What we send is exactly the table: a key added outside it is drift. */
    if (use == USE_RESPONSE)
        set_new(obj, "additionalProperties", json_false());
    return obj;
}

/* A $ref to the schema's component, adding the component the first time. */
static json_t *schema_ref(gen_t *g, const schema_t *s)
{
    assert(s->name != NULL && s->name[0] != '\0');
    bool known = false;
    for (size_t i = 0; i < g->n_seen; i++)
        if (g->seen[i] == s)
            known = true;
    if (!known) {
        assert(json_object_get(g->schemas, s->name) == NULL && "two schemas share one name");
        assert(g->n_seen < MAX_COMPONENTS);
        g->seen[g->n_seen++] = s;
        set_new(g->schemas, s->name, object_schema(g, s));
    }
    return ref_to("schemas", s->name);
}

/* Error and ErrorItem, their enums from the error tables. */
static void add_error_schemas(gen_t *g)
{
    json_t *codes = json_array();
#define X(name, status, detail) json_array_append_new(codes, json_string(#name));
    API_ERROR_MAP(X)
#undef X
    json_t *issue_codes = json_array();
#define X(name, code) json_array_append_new(issue_codes, json_string(code));
    FIELD_ISSUE_MAP(X)
#undef X

    json_t *item = json_pack(
        "{ss ss s{s{ss ss} s{ss ss so} s{ss ss}} s[sss] sb}", "type", "object", "description",
        "One problem with one field.", "properties", "field", "type", "string", "description",
        "The field: a body key (\"title\"), or query.NAME / path.NAME for parameters.", "code",
        "type", "string", "description", "What is wrong with it.", "enum", issue_codes, "detail",
        "type", "string", "description", "A sentence for people, naming the limit.", "required",
        "field", "code", "detail", "additionalProperties", 0);
    set_new(g->schemas, "ErrorItem", item);

    json_t *err = json_pack(
        "{ss ss s{s{ss ss} s{ss ss so} s{ss ss} s{ss ss so}} s[ss] sb}", "type", "object",
        "description",
        "Every error answer. field and errors appear on validation (400) and rule (422) errors; "
        "errors lists every problem found, field names the first.",
        "properties", "detail", "type", "string", "description", "What went wrong, for people.",
        "code", "type", "string", "description", "What went wrong, for programs.", "enum", codes,
        "field", "type", "string", "description", "The field of the first problem.", "errors",
        "type", "array", "description", "Every problem found, in order.", "items",
        ref_to("schemas", "ErrorItem"), "required", "detail", "code", "additionalProperties", 0);
    set_new(g->schemas, "Error", err);
}

/* ---- headers and responses -------------------------------------------------------- */

/* The definition of a response header component. */
static json_t *header_definition(const char *name)
{
    if (strcmp(name, "X-Request-ID") == 0) {
        char pattern[64];
        snprintf(pattern, sizeof(pattern), "^[A-Za-z0-9._:-]{1,%d}$", (int)HTTP_REQUEST_ID_MAX);
        return json_pack("{ss sb s{ss ss}}", "description",
                         "The request's id: the client's own X-Request-ID when it is sane, else "
                         "one the server made. The access log line carries the same id.",
                         "required", 1, "schema", "type", "string", "pattern", pattern);
    }
    if (strcmp(name, "X-Total-Count") == 0)
        return json_pack("{ss sb s{ss si}}", "description",
                         "How many items match the filters, before limit and offset.", "required",
                         1, "schema", "type", "integer", "minimum", 0);
    if (strcmp(name, "Link") == 0)
        return json_pack("{ss sb s{ss ss}}", "description",
                         "On a full page with more after it: the next page, as "
                         "</api/{user_id}/tasks?...&cursor=...>; rel=\"next\" (the same "
                         "filters, sort and limit).",
                         "required", 0, "schema", "type", "string", "pattern",
                         "^</api/[^>]+[?&]cursor=[A-Za-z0-9_-]+>; rel=\"next\"$");
    if (strcmp(name, "Location") == 0)
        return json_pack("{ss sb s{ss ss}}", "description",
                         "The path of the resource just created.", "required", 1, "schema", "type",
                         "string", "format", "uri-reference");
    if (strcmp(name, "WWW-Authenticate") == 0)
        return json_pack("{ss sb s{ss ss}}", "description", "The scheme to authenticate with.",
                         "required", 1, "schema", "type", "string", "pattern", "^Bearer( |$)");
    if (strcmp(name, "Cache-Control") == 0)
        return json_pack("{ss sb s{ss}}", "description",
                         "no-cache for the page; public, max-age=31536000, immutable for files "
                         "whose names change with their content.",
                         "required", 1, "schema", "type", "string");
    if (strcmp(name, "Content-Security-Policy") == 0)
        return json_pack("{ss sb s{ss}}", "description",
                         "The page's policy: scripts, styles and requests from this origin only, "
                         "no inline script or style, no framing.",
                         "required", 1, "schema", "type", "string");
    if (strcmp(name, "X-Content-Type-Options") == 0)
        return json_pack("{ss sb s{ss s[s]}}", "description",
                         "Browsers must not guess another content type.", "required", 1, "schema",
                         "type", "string", "enum", "nosniff");
    if (strcmp(name, "Referrer-Policy") == 0)
        return json_pack("{ss sb s{ss s[s]}}", "description", "No Referer header leaves the page.",
                         "required", 1, "schema", "type", "string", "enum", "no-referrer");
    if (strcmp(name, "Vary") == 0)
        return json_pack("{ss sb s{ss}}", "description",
                         "Accept-Encoding: the body is gzipped when the request accepts gzip.",
                         "required", 1, "schema", "type", "string");
    if (strcmp(name, "Content-Encoding") == 0)
        return json_pack("{ss sb s{ss s[s]}}", "description",
                         "gzip when the request's Accept-Encoding allows it (absent otherwise).",
                         "required", 0, "schema", "type", "string", "enum", "gzip");
    if (strcmp(name, "ETag") == 0)
        return json_pack("{ss sb s{ss ss}}", "description",
                         "The representation's entity tag (RFC 9110 8.8.3): send it back in "
                         "If-None-Match (a GET answers 304 while it still matches) or If-Match "
                         "(a write answers 412 unless it still matches).",
                         "required", 1, "schema", "type", "string", "pattern",
                         "^(W/)?\"[\\x21\\x23-\\x7e]*\"$");
    if (strcmp(name, "Idempotent-Replayed") == 0)
        return json_pack("{ss sb s{ss s[s]}}", "description",
                         "Present on an answer replayed from an earlier request with the same "
                         "Idempotency-Key: the stored answer, byte for byte.",
                         "required", 0, "schema", "type", "string", "enum", "true");
    assert(strcmp(name, "Retry-After") == 0 && "no such header component");
    return json_pack("{ss sb s{ss si}}", "description", "Seconds to wait before trying again.",
                     "required", 1, "schema", "type", "integer", "minimum", 0);
}

/* A $ref to a header component, adding it when first used (so that none is
 * left unused). */
static json_t *header_ref(gen_t *g, const char *name)
{
    if (json_object_get(g->headers, name) == NULL)
        set_new(g->headers, name, header_definition(name));
    return ref_to("headers", name);
}

/* components.responses.Error<status>: the Error body with the codes of that
 * status, and the headers that go with it. */
static json_t *error_response_ref(gen_t *g, int status)
{
    char name[32];
    snprintf(name, sizeof(name), "Error%d", status);
    if (json_object_get(g->responses, name) != NULL)
        return ref_to("responses", name);

    json_t *codes = json_array();
    char text[1024];
    size_t o = (size_t)snprintf(text, sizeof(text), "%s:", reason_of(status));
#define X(code_name, code_status, detail)                                                          \
    if ((code_status) == status) {                                                                 \
        o += (size_t)snprintf(text + o, o < sizeof(text) ? sizeof(text) - o : 0, "%s %s (%s)",     \
                              json_array_size(codes) ? "," : "", #code_name, detail);              \
        json_array_append_new(codes, json_string(#code_name));                                     \
    }
    API_ERROR_MAP(X)
#undef X
    assert(json_array_size(codes) > 0 && "a route lists a status with no error code");
    assert(o < sizeof(text));

    json_t *headers = json_pack("{so}", "X-Request-ID", header_ref(g, "X-Request-ID"));
    if (status == 401)
        set_new(headers, "WWW-Authenticate", header_ref(g, "WWW-Authenticate"));
    if (status == 429)
        set_new(headers, "Retry-After", header_ref(g, "Retry-After"));
    json_t *schema = json_pack("{s[o{s{s{so}}}]}", "allOf", ref_to("schemas", "Error"),
                               "properties", "code", "enum", codes);
    json_t *resp = json_pack("{ss so s{s{so}}}", "description", text, "headers", headers, "content",
                             "application/json", "schema", schema);
    set_new(g->responses, name, resp);
    return ref_to("responses", name);
}

static json_t *success_response(gen_t *g, const route_t *rt)
{
    json_t *resp = json_object();
    json_t *headers = json_pack("{so}", "X-Request-ID", header_ref(g, "X-Request-ID"));
    set_str(resp, "description", reason_of(rt->status));
    if (rt->response_is_array) {
        set_new(headers, "X-Total-Count", header_ref(g, "X-Total-Count"));
        set_new(headers, "Link", header_ref(g, "Link"));
    }
    if (rt->status == 201)
        set_new(headers, "Location", header_ref(g, "Location"));
    for (const char *const *h = rt->response_headers; h != NULL && *h != NULL; h++)
        set_new(headers, *h, header_ref(g, *h));
    if (rt->flags & ROUTE_ETAG)
        set_new(headers, "ETag", header_ref(g, "ETag"));
    if (rt->flags & ROUTE_IDEMPOTENT)
        set_new(headers, "Idempotent-Replayed", header_ref(g, "Idempotent-Replayed"));
    set_new(resp, "headers", headers);
    if (rt->status == 204)
        return resp;

    json_t *schema;
    if (rt->media_type != NULL) {
        assert(rt->response == NULL && "a non-JSON answer with a JSON schema");
        schema = json_pack("{ss}", "type", "string");
    } else if (rt->response == NULL) {
        schema = json_pack("{ss}", "type", "object");
    } else if (rt->response_is_array) {
        schema = json_pack("{ss so}", "type", "array", "items", schema_ref(g, rt->response));
    } else {
        schema = schema_ref(g, rt->response);
    }
    const char *media = rt->media_type != NULL ? rt->media_type : "application/json";
    set_new(resp, "content", json_pack("{s{so}}", media, "schema", schema));
    return resp;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static json_t *responses_of(gen_t *g, const route_t *rt)
{
    int statuses[MAX_STATUSES];
    size_t n = 0;
    for (const int *e = rt->errors; e != NULL && *e != 0; e++) {
        assert(n < MAX_STATUSES);
        statuses[n++] = *e;
    }
    for (size_t i = 0; i < sizeof(http_layer_errors) / sizeof(http_layer_errors[0]); i++) {
        bool listed = false;
        for (size_t k = 0; k < n; k++)
            listed = listed || statuses[k] == http_layer_errors[i];
        if (!listed) {
            assert(n < MAX_STATUSES);
            statuses[n++] = http_layer_errors[i];
        }
    }
    qsort(statuses, n, sizeof(statuses[0]), cmp_int);

    json_t *out = json_object();
    char key[8];
    snprintf(key, sizeof(key), "%d", rt->status);
    set_new(out, key, success_response(g, rt));
    if ((rt->flags & ROUTE_ETAG) && strcmp(rt->method, "GET") == 0)
        set_new(out, "304",
                json_pack("{ss s{so so}}", "description",
                          "Not Modified: If-None-Match names the current ETag. No body.", "headers",
                          "X-Request-ID", header_ref(g, "X-Request-ID"), "ETag",
                          header_ref(g, "ETag")));
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%d", statuses[i]);
        set_new(out, key, error_response_ref(g, statuses[i]));
    }
    return out;
}

/* ---- parameters --------------------------------------------------------------------- */

static json_t *parameter(const schema_field_t *f, const char *in, bool required,
                         const char *pattern)
{
    json_t *p = json_pack("{ss ss sb}", "name", f->name, "in", in, "required", required);
    json_t *d = description_of(f, USE_PARAM);
    if (d != NULL)
        set_new(p, "description", d);
    json_t *schema = field_schema(f, USE_PARAM, false);
    if (pattern != NULL)
        set_str(schema, "pattern", pattern);
    set_new(p, "schema", schema);
    json_t *ex = example_of(f);
    if (ex != NULL)
        set_new(p, "example", ex);
    return p;
}

static const openapi_path_param_t *path_param(const openapi_info_t *info, const char *name,
                                              size_t len)
{
    for (size_t i = 0; i < info->n_path_params; i++) {
        const char *n = info->path_params[i].field->name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return &info->path_params[i];
    }
    return NULL;
}

/* A request header the operation reads. */
static json_t *header_parameter(const char *name, const char *description, const char *pattern)
{
    json_t *schema = json_pack("{ss}", "type", "string");
    if (pattern != NULL)
        set_str(schema, "pattern", pattern);
    return json_pack("{ss ss sb ss so}", "name", name, "in", "header", "required", 0, "description",
                     description, "schema", schema);
}

/* The conditional and idempotency headers of API.md 7.1 and 7.2. */
static void add_header_parameters(json_t *params, const route_t *rt)
{
    if ((rt->flags & ROUTE_ETAG) && strcmp(rt->method, "GET") == 0)
        json_array_append_new(
            params, header_parameter("If-None-Match",
                                     "One or more ETags, or *: when one matches the current "
                                     "ETag (weak comparison) the answer is 304 with no body.",
                                     NULL));
    if (rt->flags & ROUTE_IF_MATCH)
        json_array_append_new(
            params, header_parameter("If-Match",
                                     "One or more ETags, or *: unless the task's current ETag "
                                     "is among them (strong comparison) the answer is 412 "
                                     "PRECONDITION_FAILED and nothing changes.",
                                     NULL));
    if (rt->flags & ROUTE_IDEMPOTENT)
        json_array_append_new(
            params,
            header_parameter("Idempotency-Key",
                             "1-255 visible ASCII characters naming this request: a repeat "
                             "with the same key, route and body gets the stored answer "
                             "(Idempotent-Replayed: true) and changes nothing; another route or "
                             "body is 422 IDEMPOTENCY_KEY_REUSED; a repeat while the first is "
                             "still running is 409 IDEMPOTENCY_KEY_IN_USE. Keys expire after "
                             "IDEMPOTENCY_TTL.",
                             "^[\\x21-\\x7e]{1,255}$"));
}

static json_t *parameters_of(const gen_t *g, const route_t *rt)
{
    json_t *params = json_array();
    for (const char *p = strchr(rt->pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
        size_t len = strcspn(p + 1, "}");
        const openapi_path_param_t *pp = path_param(g->info, p + 1, len);
        assert(pp != NULL && "a {parameter} with no description in openapi_info_t");
        json_array_append_new(params, parameter(pp->field, "path", true, pp->pattern));
    }
    if (rt->query != NULL) {
        const schema_t *q = rt->query;
        assert(q->mode == SCHEMA_MODE_PARAMS);
        for (size_t i = 0; i < schema_field_count(q); i++) {
            const schema_field_t *f = schema_field_at(q, i);
            if (schema_field_visible(q, f))
                json_array_append_new(params,
                                      parameter(f, "query", schema_field_required(q, f), NULL));
        }
    }
    add_header_parameters(params, rt);
    return params;
}

/* ---- operations and the document ------------------------------------------------------- */

static json_t *operation(gen_t *g, const route_t *rt)
{
    json_t *op = json_object();
    if (rt->tag != NULL)
        set_new(op, "tags", json_pack("[s]", rt->tag));
    set_str(op, "summary", rt->summary);
    set_str(op, "description", rt->description);
    set_str(op, "operationId", rt->operation_id);
    if (rt->flags & ROUTE_AUTH)
        set_new(op, "security", json_pack("[{s[]}]", "bearerAuth"));
    else
        set_new(op, "security", json_array()); /* public */
    json_t *params = parameters_of(g, rt);
    if (json_array_size(params) > 0)
        set_new(op, "parameters", params);
    else
        json_decref(params);
    if (rt->request != NULL) {
        bool required = (rt->flags & ROUTE_BODY_JSON) != 0;
        json_t *body = json_pack("{sb s{s{so}}}", "required", required, "content",
                                 "application/json", "schema", schema_ref(g, rt->request));
        if (!required)
            set_str(body, "description", "Optional: the request may have no body.");
        set_new(op, "requestBody", body);
    }
    set_new(op, "responses", responses_of(g, rt));
    return op;
}

static json_t *lower(const char *method)
{
    char m[16];
    size_t i = 0;
    for (; method[i] != '\0' && i + 1 < sizeof(m); i++)
        m[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] - 'A' + 'a' : method[i]);
    m[i] = '\0';
    return json_string(m);
}

static json_t *document(const route_t *routes, size_t n, const openapi_info_t *info)
{
    gen_t g = {.info = info,
               .schemas = json_object(),
               .responses = json_object(),
               .headers = json_object()};
    add_error_schemas(&g);

    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        const route_t *rt = &routes[i];
        json_t *item = json_object_get(paths, rt->pattern);
        if (item == NULL) {
            item = json_object();
            set_new(paths, rt->pattern, item);
        }
        json_t *method = lower(rt->method);
        assert(json_object_get(item, json_string_value(method)) == NULL &&
               "two routes with one method and pattern");
        set_new(item, json_string_value(method), operation(&g, rt));
        json_decref(method);
    }

    json_t *doc = json_object();
    set_new(doc, "openapi", json_string("3.1.0"));
    json_t *inf = json_pack("{ss ss}", "title", info->title, "version", info->version);
    set_str(inf, "description", info->description);
    if (info->license != NULL)
        set_new(inf, "license",
                json_pack("{ss ss}", "name", info->license, "identifier", info->license));
    set_new(doc, "info", inf);
    set_new(doc, "servers", json_pack("[{ss ss}]", "url", "/", "description", "This server"));
    json_t *tags = json_array();
    for (size_t i = 0; i < info->n_tags; i++)
        json_array_append_new(tags, json_pack("{ss ss}", "name", info->tags[i].name, "description",
                                              info->tags[i].description));
    set_new(doc, "tags", tags);
    set_new(doc, "paths", paths);
    json_t *security = json_pack(
        "{s{ss ss ss ss}}", "bearerAuth", "type", "http", "scheme", "bearer", "bearerFormat", "JWT",
        "description",
        "A JWT in Authorization: Bearer <token>: HS256 signed with BETTER_AUTH_SECRET (the front "
        "end's, or one from /api/auth/login), or EdDSA, ES256 or RS256 with a key of the JWKS. "
        "Its sub is the user id.");
    set_new(doc, "components",
            json_pack("{so so so so}", "schemas", g.schemas, "responses", g.responses, "headers",
                      g.headers, "securitySchemes", security));
    return doc;
}

void openapi_write(buf_t *out, const route_t *routes, size_t n, const openapi_info_t *info)
{
    json_t *doc = document(routes, n, info);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    assert(text != NULL);
    buf_puts(out, text);
    buf_putc(out, '\n');
    free(text);
    json_decref(doc);
}
