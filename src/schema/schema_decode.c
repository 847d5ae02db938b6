/* The decoding engine: a JSON object or text parameters in, a validated C
 * struct (or a list of problems) out. Every message is built from the field
 * table, so limits live in one place. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "schema/date.h"
#include "schema/schema.h"
#include "schema/schema_internal.h"
#include "schema/text.h"

typedef struct decoder {
    const schema_t *s;
    void *out;
    schema_seen_t *seen;
    arena_t *arena;
    api_error_t *err;
    const char *prefix; /* "" for bodies, "query." / "path." for parameters */
    size_t added;
} decoder_t;

/* Starts a decode of schema s into out: seen (when given) starts empty. */
static void decoder_init(decoder_t *d, const schema_t *s, void *out, schema_seen_t *seen,
                         arena_t *arena, const char *prefix, api_error_t *err)
{
    assert(s->n_fields <= SCHEMA_MAX_FIELDS);
    *d = (decoder_t){
        .s = s,
        .out = out,
        .seen = seen,
        .arena = arena,
        .err = err,
        .prefix = prefix,
    };
    if (seen != NULL)
        memset(seen, 0, sizeof(*seen));
}

/* ---- messages ------------------------------------------------------------ */

static void add_issue(decoder_t *d, const schema_field_t *f, field_issue_t issue, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void add_issue(decoder_t *d, const schema_field_t *f, field_issue_t issue, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = arena_vprintf(d->arena, fmt, ap);
    va_end(ap);
    const char *field = f->name;
    if (d->prefix[0] != '\0')
        field = arena_printf(d->arena, "%s%s", d->prefix, f->name);
    api_error_add(d->err, d->arena, field, issue, "%s", detail);
    d->added++;
}

/* "low, medium, high" */
static const char *choice_list(decoder_t *d, const schema_field_t *f)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; f->choices[i] != NULL; i++) {
        if (i)
            buf_puts(&b, ", ");
        buf_puts(&b, f->choices[i]);
    }
    char *s = arena_strdup(d->arena, b.data != NULL ? b.data : "");
    buf_dispose(&b);
    return s;
}

static const char *type_phrase(decoder_t *d, const schema_field_t *f)
{
    switch (f->type) {
    case SCHEMA_STRING:
        return "a string";
    case SCHEMA_INTEGER:
        return "an integer";
    case SCHEMA_BOOLEAN:
        return "true or false";
    case SCHEMA_ENUM:
        return arena_printf(d->arena, "one of %s", choice_list(d, f));
    case SCHEMA_DATE:
        return "a date string YYYY-MM-DD";
    case SCHEMA_TIME:
        return "a time string HH:MM or HH:MM:SS";
    case SCHEMA_DATETIME:
        return "a timestamp string YYYY-MM-DDTHH:MM:SSZ";
    case SCHEMA_TAGS:
        return "a comma-separated string or an array of strings";
    }
    return "a value";
}

static void wrong_type(decoder_t *d, const schema_field_t *f)
{
    add_issue(d, f, FIELD_ISSUE_WRONG_TYPE, "%s must be %s%s", f->name, type_phrase(d, f),
              (f->flags & SCHEMA_NULLABLE) ? " or null" : "");
}

/* what: "control" or "NUL". */
static void control_issue(decoder_t *d, const schema_field_t *f, const char *what)
{
    add_issue(d, f, FIELD_ISSUE_CONTROL_CHARACTER, "%s must not contain %s characters", f->name,
              what);
}

/* "title must be 1-200 characters" and its one-sided forms. */
static void length_issue(decoder_t *d, const schema_field_t *f, field_issue_t issue,
                         const char *subject)
{
    if (f->min_length > 0 && f->max_length > 0)
        add_issue(d, f, issue, "%s must be %d-%d characters", subject, f->min_length,
                  f->max_length);
    else if (f->max_length > 0)
        add_issue(d, f, issue, "%s must be at most %d characters", subject, f->max_length);
    else
        add_issue(d, f, issue, "%s must be at least %d characters", subject, f->min_length);
}

/* "recurrence_day must be 1-31", "id must be a positive integer". */
static void range_issue(decoder_t *d, const schema_field_t *f, field_issue_t issue)
{
    if (f->maximum == INT64_MAX || (f->flags & SCHEMA_CLAMP)) {
        if (f->minimum == 1)
            add_issue(d, f, issue, "%s must be a positive integer", f->name);
        else if (f->minimum == 0)
            add_issue(d, f, issue, "%s must be a non-negative integer", f->name);
        else
            add_issue(d, f, issue, "%s must be an integer of at least %" PRId64, f->name,
                      f->minimum);
    } else {
        add_issue(d, f, issue, "%s must be an integer %" PRId64 "-%" PRId64, f->name, f->minimum,
                  f->maximum);
    }
}

static void mark(decoder_t *d, size_t idx, bool null)
{
    if (d->seen == NULL)
        return;
    d->seen->present |= UINT64_C(1) << idx;
    if (null)
        d->seen->null |= UINT64_C(1) << idx;
}

static void set_null(decoder_t *d, const schema_field_t *f, size_t idx)
{
    if (f->ctype == SCHEMA_C_STR)
        schema__set_str(f, d->out, NULL);
    else if (f->type != SCHEMA_BOOLEAN)
        schema__set_int(f, d->out, 0);
    mark(d, idx, true);
}

/* ---- value checks shared by JSON and text ---------------------------------- */

static void decode_string(decoder_t *d, const schema_field_t *f, size_t idx, const char *s,
                          size_t n)
{
    if (f->flags & SCHEMA_TRIM)
        text_trim(&s, &n);
    size_t cp = utf8_count_codepoints(s, n);
    if (f->min_length > 0 && cp < (size_t)f->min_length) {
        length_issue(d, f, FIELD_ISSUE_TOO_SHORT, f->name);
        return;
    }
    if (f->max_length > 0 && cp > (size_t)f->max_length) {
        length_issue(d, f, FIELD_ISSUE_TOO_LONG, f->name);
        return;
    }
    bool multiline = (f->flags & SCHEMA_MULTILINE) != 0;
    if (multiline ? text_has_nul(s, n) : text_has_control(s, n)) {
        control_issue(d, f, multiline ? "NUL" : "control");
        return;
    }
    if (n == 0 && (f->flags & SCHEMA_EMPTY_NULL)) {
        set_null(d, f, idx);
        return;
    }
    schema__set_str(f, d->out, arena_strndup(d->arena, s, n));
}

static void decode_enum(decoder_t *d, const schema_field_t *f, const char *s, size_t n)
{
    for (size_t i = 0; f->choices[i] != NULL; i++) {
        if (strlen(f->choices[i]) == n && memcmp(f->choices[i], s, n) == 0) {
            schema__set_int(f, d->out, f->enum_base + (int64_t)i);
            return;
        }
    }
    add_issue(d, f, FIELD_ISSUE_INVALID_CHOICE, "%s must be one of %s", f->name, choice_list(d, f));
}

static void decode_integer(decoder_t *d, const schema_field_t *f, int64_t v, bool overflow)
{
    if (overflow || v > f->maximum) {
        if ((f->flags & SCHEMA_CLAMP) && (overflow ? v > 0 : true)) {
            schema__set_int(f, d->out, f->maximum);
            return;
        }
        range_issue(d, f, FIELD_ISSUE_OUT_OF_RANGE);
        return;
    }
    if (v < f->minimum) {
        range_issue(d, f, FIELD_ISSUE_OUT_OF_RANGE);
        return;
    }
    schema__set_int(f, d->out, v);
}

static void decode_date(decoder_t *d, const schema_field_t *f, const char *s, size_t n)
{
    date_t date;
    if (date_parse(s, n, &date) != 0) {
        add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT, "%s must be a real date in the form YYYY-MM-DD",
                  f->name);
        return;
    }
    schema__set_str(f, d->out, arena_strndup(d->arena, s, n));
}

static void decode_time(decoder_t *d, const schema_field_t *f, const char *s, size_t n)
{
    date_time_of_day_t t;
    if (date_parse_time(s, n, &t) != 0) {
        add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT, "%s must be a time HH:MM or HH:MM:SS", f->name);
        return;
    }
    char *out = arena_alloc(d->arena, DATE_TIME_STR_SIZE);
    date_format_time(t, out);
    schema__set_str(f, d->out, out);
}

static void decode_datetime(decoder_t *d, const schema_field_t *f, const char *s, size_t n)
{
    if (date_parse_stamp(s, n, NULL, NULL) != 0) {
        add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT,
                  "%s must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ", f->name);
        return;
    }
    schema__set_str(f, d->out, arena_strndup(d->arena, s, n));
}

/* ---- tags ---------------------------------------------------------------- */

typedef struct tag_list {
    const char **s;
    size_t *n;
    size_t count;
} tag_list_t;

/* Adds one raw tag: trimmed, dropped when empty or a duplicate. Returns false
 * after adding a problem. */
static bool tags_add(decoder_t *d, const schema_field_t *f, tag_list_t *tl, const char *s, size_t n)
{
    text_trim(&s, &n);
    if (n == 0)
        return true;
    for (size_t i = 0; i < tl->count; i++)
        if (text_equal_ascii_ci(tl->s[i], tl->n[i], s, n))
            return true;
    if (utf8_count_codepoints(s, n) > (size_t)f->max_length) {
        add_issue(d, f, FIELD_ISSUE_TOO_LONG, "each tag in %s must be at most %d characters",
                  f->name, f->max_length);
        return false;
    }
    if (text_has_control(s, n)) {
        control_issue(d, f, "control");
        return false;
    }
    if (tl->count == (size_t)f->max_items) {
        add_issue(d, f, FIELD_ISSUE_TOO_LONG, "%s must hold at most %d tags", f->name,
                  f->max_items);
        return false;
    }
    tl->s[tl->count] = s;
    tl->n[tl->count] = n;
    tl->count++;
    return true;
}

static void tags_store(decoder_t *d, const schema_field_t *f, size_t idx, const tag_list_t *tl)
{
    if (tl->count == 0) {
        set_null(d, f, idx);
        return;
    }
    size_t len = 0;
    for (size_t i = 0; i < tl->count; i++)
        len += tl->n[i] + 1;
    char *out = arena_alloc(d->arena, len);
    char *p = out;
    for (size_t i = 0; i < tl->count; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, tl->s[i], tl->n[i]);
        p += tl->n[i];
    }
    *p = '\0';
    schema__set_str(f, d->out, out);
}

static void tags_init(decoder_t *d, const schema_field_t *f, tag_list_t *tl)
{
    tl->s = arena_alloc(d->arena, (size_t)f->max_items * sizeof(*tl->s));
    tl->n = arena_alloc(d->arena, (size_t)f->max_items * sizeof(*tl->n));
    tl->count = 0;
}

static void decode_tags_text(decoder_t *d, const schema_field_t *f, size_t idx, const char *s,
                             size_t n)
{
    tag_list_t tl;
    tags_init(d, f, &tl);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            if (!tags_add(d, f, &tl, s + start, i - start))
                return;
            start = i + 1;
        }
    }
    tags_store(d, f, idx, &tl);
}

static void decode_tags_array(decoder_t *d, const schema_field_t *f, size_t idx, const json_t *arr)
{
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        if (!json_is_string(item)) {
            wrong_type(d, f);
            return;
        }
        if (memchr(json_string_value(item), ',', json_string_length(item)) != NULL) {
            add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT,
                      "a tag in the %s array must not contain a comma", f->name);
            return;
        }
    }
    tag_list_t tl;
    tags_init(d, f, &tl);
    json_array_foreach(arr, i, item)
    {
        if (!tags_add(d, f, &tl, json_string_value(item), json_string_length(item)))
            return;
    }
    tags_store(d, f, idx, &tl);
}

/* A value of a type that arrives as a string, in JSON and in parameters
 * alike. */
static void decode_string_typed(decoder_t *d, const schema_field_t *f, size_t idx, const char *s,
                                size_t n)
{
    switch (f->type) {
    case SCHEMA_STRING:
        decode_string(d, f, idx, s, n);
        break;
    case SCHEMA_ENUM:
        decode_enum(d, f, s, n);
        break;
    case SCHEMA_DATE:
        decode_date(d, f, s, n);
        break;
    case SCHEMA_TIME:
        decode_time(d, f, s, n);
        break;
    case SCHEMA_DATETIME:
        decode_datetime(d, f, s, n);
        break;
    case SCHEMA_TAGS:
        decode_tags_text(d, f, idx, s, n);
        break;
    case SCHEMA_INTEGER:
    case SCHEMA_BOOLEAN:
        break; /* not strings: the callers decode these */
    }
}

/* ---- JSON values ---------------------------------------------------------- */

static void decode_json_value(decoder_t *d, const schema_field_t *f, size_t idx, const json_t *v)
{
    if (json_is_null(v)) {
        if (f->flags & SCHEMA_NULLABLE)
            set_null(d, f, idx);
        else
            wrong_type(d, f);
        return;
    }
    mark(d, idx, false);
    if (f->type == SCHEMA_INTEGER) {
        if (!json_is_integer(v))
            wrong_type(d, f);
        else
            decode_integer(d, f, json_integer_value(v), false);
        return;
    }
    if (f->type == SCHEMA_BOOLEAN) {
        if (!json_is_boolean(v))
            wrong_type(d, f);
        else
            schema__set_int(f, d->out, json_is_true(v));
        return;
    }
    if (f->type == SCHEMA_TAGS && json_is_array(v)) {
        decode_tags_array(d, f, idx, v);
        return;
    }
    if (!json_is_string(v)) {
        wrong_type(d, f);
        return;
    }
    decode_string_typed(d, f, idx, json_string_value(v), json_string_length(v));
}

static bool is_key(const schema_field_t *f, const char *key, size_t key_len)
{
    return strlen(f->name) == key_len && memcmp(f->name, key, key_len) == 0;
}

size_t schema_decode_json(const schema_t *s, const json_t *obj, void *out, schema_seen_t *seen,
                          arena_t *arena, api_error_t *err)
{
    decoder_t d;
    decoder_init(&d, s, out, seen, arena, "", err);
    if (obj != NULL && !json_is_object(obj)) {
        api_error_add(err, arena, "body", FIELD_ISSUE_WRONG_TYPE,
                      "request body must be a JSON object");
        return 1;
    }
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        if (!schema_field_visible(s, f))
            continue;
        const json_t *v = obj != NULL ? json_object_get(obj, f->name) : NULL;
        if (v == NULL) {
            if (s->mode == SCHEMA_MODE_CREATE && (f->flags & SCHEMA_REQUIRED))
                add_issue(&d, f, FIELD_ISSUE_MISSING, "%s is required", f->name);
            continue;
        }
        decode_json_value(&d, f, i, v);
    }
    if (obj == NULL)
        return d.added;
    const char *key;
    size_t key_len;
    json_t *v;
    json_object_keylen_foreach((json_t *)obj, key, key_len, v)
    {
        (void)v;
        bool known = false;
        for (size_t i = 0; i < s->n_fields && !known; i++)
            known = is_key(&s->fields[i], key, key_len);
        if (!known) {
            char *name = arena_strndup(arena, key, key_len);
            api_error_add(err, arena, name, FIELD_ISSUE_UNKNOWN_FIELD, "unknown field %s", name);
            d.added++;
        }
    }
    return d.added;
}

/* ---- text parameters ------------------------------------------------------ */

/* Plain decimal: an optional '-', then digits. */
static int parse_decimal(const char *s, size_t n, int64_t *out, bool *overflow)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n)
        return -1;
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    *overflow = false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > (limit - digit) / 10)
            *overflow = true; /* keep scanning: a later non-digit is still a format error */
        else
            v = v * 10 + digit;
    }
    if (*overflow)
        *out = neg ? INT64_MIN : INT64_MAX;
    else
        *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static void decode_text_value(decoder_t *d, const schema_field_t *f, size_t idx, const char *s,
                              size_t n)
{
    /* JSON strings were checked by the parser; parameters were not. */
    if (!utf8_is_valid(s, n)) {
        add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT, "%s must be valid UTF-8", f->name);
        return;
    }
    if (f->type == SCHEMA_INTEGER) {
        int64_t v;
        bool overflow;
        if (parse_decimal(s, n, &v, &overflow) != 0)
            range_issue(d, f, FIELD_ISSUE_INVALID_FORMAT);
        else
            decode_integer(d, f, v, overflow);
        return;
    }
    if (f->type == SCHEMA_BOOLEAN) {
        if (n == 4 && memcmp(s, "true", 4) == 0)
            schema__set_int(f, d->out, 1);
        else if (n == 5 && memcmp(s, "false", 5) == 0)
            schema__set_int(f, d->out, 0);
        else
            add_issue(d, f, FIELD_ISSUE_INVALID_FORMAT, "%s must be true or false", f->name);
        return;
    }
    decode_string_typed(d, f, idx, s, n);
}

size_t schema_decode_params(const schema_t *s, schema_param_fn get, void *get_ctx, void *out,
                            schema_seen_t *seen, arena_t *arena, const char *prefix,
                            api_error_t *err)
{
    decoder_t d;
    decoder_init(&d, s, out, seen, arena, prefix != NULL ? prefix : "", err);
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        const char *text = get != NULL ? get(get_ctx, f->name) : NULL;
        if (text == NULL) {
            if (f->flags & SCHEMA_REQUIRED)
                add_issue(&d, f, FIELD_ISSUE_MISSING, "%s is required", f->name);
            else if (f->default_value != NULL)
                decode_text_value(&d, f, i, f->default_value, strlen(f->default_value));
            continue;
        }
        mark(&d, i, false);
        decode_text_value(&d, f, i, text, strlen(text));
    }
    return d.added;
}
