/* The encoding engine: a C struct out as a JSON object, read off the field
 * table. Lists of tasks go through here, so it writes straight into the
 * buffer (one reserve per value) without building a jansson tree; anything
 * unusual (a string that needs escapes) goes through core/json_out. */
#include <string.h>

#include "core/json_out.h"
#include "schema/schema.h"
#include "schema/schema_internal.h"

/* Appends n bytes that already fit (the caller reserved them). */
static void put_raw(buf_t *out, const char *s, size_t n)
{
    memcpy(out->data + out->len, s, n);
    out->len += n;
    out->data[out->len] = '\0';
}

static void put_key(buf_t *out, const char *name, bool first)
{
    size_t n = strlen(name);
    buf_reserve(out, n + 4);
    char *p = out->data + out->len;
    if (!first)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, name, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    *p = '\0';
    out->len = (size_t)(p - out->data);
}

/* Strings that need no escape (the usual case) are copied in one go. */
static void put_str(buf_t *out, const char *s)
{
    if (s == NULL) {
        buf_reserve(out, 4);
        put_raw(out, "null", 4);
        return;
    }
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++, n++)
        if (*p < 0x20 || *p == '"' || *p == '\\') {
            json_put_strn(out, s, strlen(s));
            return;
        }
    buf_reserve(out, n + 2);
    char *p = out->data + out->len;
    *p++ = '"';
    memcpy(p, s, n);
    p[n] = '"';
    p[n + 1] = '\0';
    out->len += n + 2;
}

static void put_int(buf_t *out, int64_t v)
{
    char tmp[24];
    char *end = tmp + sizeof(tmp), *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    buf_reserve(out, (size_t)(end - p));
    put_raw(out, p, (size_t)(end - p));
}

static void put_literal(buf_t *out, const char *s, size_t n)
{
    buf_reserve(out, n);
    put_raw(out, s, n);
}

static void put_value(buf_t *out, const schema_field_t *f, const void *obj)
{
    switch (f->type) {
    case SCHEMA_STRING:
    case SCHEMA_DATE:
    case SCHEMA_TIME:
    case SCHEMA_DATETIME:
    case SCHEMA_TAGS:
        put_str(out, schema__get_str(f, obj));
        return;
    case SCHEMA_BOOLEAN:
        if (schema__get_int(f, obj) != 0)
            put_literal(out, "true", 4);
        else
            put_literal(out, "false", 5);
        return;
    case SCHEMA_INTEGER: {
        int64_t v = schema__get_int(f, obj);
        if (v == 0 && (f->flags & SCHEMA_NULLABLE))
            put_literal(out, "null", 4);
        else
            put_int(out, v);
        return;
    }
    case SCHEMA_ENUM: {
        int64_t v = schema__get_int(f, obj);
        int64_t i = v - f->enum_base;
        if ((v == 0 && (f->flags & SCHEMA_NULLABLE)) || i < 0 ||
            (size_t)i >= schema_field_choice_count(f))
            put_literal(out, "null", 4); /* null, or a value the table does not know */
        else
            put_str(out, f->choices[i]);
        return;
    }
    }
    put_literal(out, "null", 4);
}

void schema_encode(const schema_t *s, const void *obj, buf_t *out)
{
    buf_putc(out, '{');
    if (s->embed != NULL) {
        const void *inner;
        memcpy(&inner, (const char *)obj + s->embed_offset, sizeof(inner));
        put_key(out, s->embed_name, true);
        if (inner != NULL)
            schema_encode(s->embed, inner, out);
        else
            json_put_null(out);
    }
    for (size_t i = 0; i < s->n_fields; i++) {
        put_key(out, s->fields[i].name, i == 0 && s->embed == NULL);
        put_value(out, &s->fields[i], obj);
    }
    buf_putc(out, '}');
}
