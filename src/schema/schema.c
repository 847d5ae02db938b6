/* Field tables: iteration, consistency checks, slot access, copy and compare. */
#include "schema/schema.h"

#include <stdbool.h>
#include <string.h>

#include "schema/schema_internal.h"

int64_t schema__get_int(const schema_field_t *f, const void *obj)
{
    const char *p = (const char *)obj + f->offset;
    switch (f->ctype) {
    case SCHEMA_C_INT: {
        int v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    case SCHEMA_C_INT64: {
        int64_t v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    case SCHEMA_C_BOOL: {
        bool v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    case SCHEMA_C_STR:
        break;
    }
    return 0;
}

void schema__set_int(const schema_field_t *f, void *obj, int64_t v)
{
    char *p = (char *)obj + f->offset;
    switch (f->ctype) {
    case SCHEMA_C_INT: {
        int x = (int)v;
        memcpy(p, &x, sizeof(x));
        break;
    }
    case SCHEMA_C_INT64:
        memcpy(p, &v, sizeof(v));
        break;
    case SCHEMA_C_BOOL: {
        bool x = v != 0;
        memcpy(p, &x, sizeof(x));
        break;
    }
    case SCHEMA_C_STR:
        break;
    }
}

const char *schema__get_str(const schema_field_t *f, const void *obj)
{
    const char *s;
    memcpy(&s, (const char *)obj + f->offset, sizeof(s));
    return s;
}

void schema__set_str(const schema_field_t *f, void *obj, const char *s)
{
    memcpy((char *)obj + f->offset, &s, sizeof(s));
}

/* ---- iteration ---------------------------------------------------------- */

size_t schema_field_count(const schema_t *s)
{
    return s->n_fields;
}

const schema_field_t *schema_field_at(const schema_t *s, size_t i)
{
    return i < s->n_fields ? &s->fields[i] : NULL;
}

const schema_field_t *schema_field_find(const schema_t *s, const char *name, size_t *index)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        if (strcmp(s->fields[i].name, name) == 0) {
            if (index != NULL)
                *index = i;
            return &s->fields[i];
        }
    }
    return NULL;
}

bool schema_field_visible(const schema_t *s, const schema_field_t *f)
{
    if (s->mode == SCHEMA_MODE_CREATE || s->mode == SCHEMA_MODE_PATCH)
        return !(f->flags & SCHEMA_READ_ONLY);
    return true;
}

bool schema_field_required(const schema_t *s, const schema_field_t *f)
{
    switch (s->mode) {
    case SCHEMA_MODE_RESPONSE:
        return true;
    case SCHEMA_MODE_CREATE:
    case SCHEMA_MODE_PARAMS:
        return (f->flags & SCHEMA_REQUIRED) && schema_field_visible(s, f);
    case SCHEMA_MODE_PATCH:
        break;
    }
    return false;
}

bool schema_field_nullable(const schema_field_t *f)
{
    return (f->flags & SCHEMA_NULLABLE) != 0;
}

const char *schema_field_json_type(const schema_field_t *f)
{
    switch (f->type) {
    case SCHEMA_INTEGER:
        return "integer";
    case SCHEMA_BOOLEAN:
        return "boolean";
    case SCHEMA_STRING:
    case SCHEMA_ENUM:
    case SCHEMA_DATE:
    case SCHEMA_TIME:
    case SCHEMA_DATETIME:
    case SCHEMA_TAGS:
        break;
    }
    return "string";
}

const char *schema_field_format(const schema_field_t *f)
{
    switch (f->type) {
    case SCHEMA_DATE:
        return "date";
    case SCHEMA_TIME:
        return "time";
    case SCHEMA_DATETIME:
        return "date-time";
    case SCHEMA_INTEGER:
        return f->ctype == SCHEMA_C_INT64 ? "int64" : "int32";
    case SCHEMA_STRING:
    case SCHEMA_BOOLEAN:
    case SCHEMA_ENUM:
    case SCHEMA_TAGS:
        break;
    }
    return NULL;
}

const char *schema_field_pattern(const schema_field_t *f, bool request)
{
    switch (f->type) {
    case SCHEMA_DATE:
        return "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
    case SCHEMA_TIME:
        return request ? "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
                       : "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$";
    case SCHEMA_DATETIME:
        return "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";
    case SCHEMA_STRING:
    case SCHEMA_INTEGER:
    case SCHEMA_BOOLEAN:
    case SCHEMA_ENUM:
    case SCHEMA_TAGS:
        break;
    }
    return NULL;
}

size_t schema_field_choice_count(const schema_field_t *f)
{
    size_t n = 0;
    if (f->type == SCHEMA_ENUM && f->choices != NULL)
        while (f->choices[n] != NULL)
            n++;
    return n;
}

/* ---- consistency --------------------------------------------------------- */

static bool ctype_fits(const schema_field_t *f)
{
    switch (f->type) {
    case SCHEMA_STRING:
    case SCHEMA_DATE:
    case SCHEMA_TIME:
    case SCHEMA_DATETIME:
    case SCHEMA_TAGS:
        return f->ctype == SCHEMA_C_STR;
    case SCHEMA_INTEGER:
        return f->ctype == SCHEMA_C_INT || f->ctype == SCHEMA_C_INT64;
    case SCHEMA_BOOLEAN:
    case SCHEMA_ENUM:
        return f->ctype == SCHEMA_C_BOOL || f->ctype == SCHEMA_C_INT;
    }
    return false;
}

static int check_field(const schema_field_t *f, const char **why)
{
    if (f->name == NULL || f->name[0] == '\0') {
        *why = "a field has no name";
        return -1;
    }
    if (!ctype_fits(f)) {
        *why = "a field's C type does not fit its type";
        return -1;
    }
    if (f->min_length < 0 || f->max_length < 0 || f->max_items < 0 ||
        (f->max_length != 0 && f->min_length > f->max_length)) {
        *why = "a field's length limits are out of order";
        return -1;
    }
    if (f->type == SCHEMA_INTEGER) {
        if (f->minimum > f->maximum) {
            *why = "an integer field's bounds are out of order";
            return -1;
        }
        if (f->ctype == SCHEMA_C_INT && (f->minimum < INT32_MIN || f->maximum > INT32_MAX)) {
            *why = "an int field's bounds do not fit an int";
            return -1;
        }
        if ((f->flags & SCHEMA_NULLABLE) && f->minimum <= 0) {
            *why = "a nullable integer stores null as 0, so its minimum must be at least 1";
            return -1;
        }
    }
    if (f->type == SCHEMA_ENUM) {
        size_t n = schema_field_choice_count(f);
        if (n == 0) {
            *why = "an enum field has no choices";
            return -1;
        }
        if ((f->flags & SCHEMA_NULLABLE) && f->enum_base < 1) {
            *why = "a nullable enum stores null as 0, so its enum_base must be at least 1";
            return -1;
        }
        if (f->ctype == SCHEMA_C_BOOL && (f->enum_base != 0 || n != 2)) {
            *why = "an enum stored as bool needs exactly two choices and enum_base 0";
            return -1;
        }
    }
    if (f->type == SCHEMA_TAGS && (f->max_items < 1 || f->max_length < 1)) {
        *why = "a tags field needs max_items and max_length";
        return -1;
    }
    if (f->type == SCHEMA_BOOLEAN && f->ctype == SCHEMA_C_BOOL && (f->flags & SCHEMA_CLAMP)) {
        *why = "SCHEMA_CLAMP is for integers";
        return -1;
    }
    return 0;
}

int schema_check(const schema_t *s, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (s->n_fields > SCHEMA_MAX_FIELDS) {
        *why = "too many fields";
        return -1;
    }
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        if (check_field(f, why) != 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->fields[j].name, f->name) == 0) {
                *why = "two fields have the same name";
                return -1;
            }
        }
        if (f->default_value != NULL) {
            /* A default must decode without a problem. */
            schema_t one = {
                .name = s->name, .fields = f, .n_fields = 1, .mode = SCHEMA_MODE_PARAMS};
            arena_t *arena = arena_new();
            api_error_t err;
            api_error_init(&err, API_ERR_VALIDATION_ERROR);
            union {
                int64_t i;
                const char *p;
                char pad[64];
            } scratch;
            memset(&scratch, 0, sizeof(scratch));
            schema_field_t moved = *f;
            moved.offset = 0;
            one.fields = &moved;
            size_t bad = schema_decode_params(&one, NULL, NULL, &scratch, NULL, arena, "", &err);
            arena_free(arena);
            if (bad != 0) {
                *why = "a field's default_value is not valid";
                return -1;
            }
        }
    }
    return 0;
}

/* ---- whole fields -------------------------------------------------------- */

void schema_field_copy(const schema_field_t *f, void *dst, const void *src)
{
    if (f->ctype == SCHEMA_C_STR)
        schema__set_str(f, dst, schema__get_str(f, src));
    else
        schema__set_int(f, dst, schema__get_int(f, src));
}

bool schema_field_equal(const schema_field_t *f, const void *a, const void *b)
{
    if (f->ctype != SCHEMA_C_STR)
        return schema__get_int(f, a) == schema__get_int(f, b);
    const char *x = schema__get_str(f, a);
    const char *y = schema__get_str(f, b);
    if (x == NULL || y == NULL)
        return x == y;
    return strcmp(x, y) == 0;
}

bool schema_field_is_null(const schema_field_t *f, const void *obj)
{
    if (f->ctype == SCHEMA_C_STR)
        return schema__get_str(f, obj) == NULL;
    if (!(f->flags & SCHEMA_NULLABLE) || f->type == SCHEMA_BOOLEAN)
        return false; /* a nullable boolean has no null value: see schema_seen_t */
    return schema__get_int(f, obj) == 0;
}
