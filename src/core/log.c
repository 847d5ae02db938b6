#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/json_out.h"

log_level_t log_min_level = LOG_INFO;
static log_format_t log_format = LOG_FORMAT_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_configure(log_level_t level, log_format_t format)
{
    log_min_level = level;
    log_format = format;
}

int log_level_parse(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

int log_format_parse(const char *s, log_format_t *out)
{
    if (strcasecmp(s, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcasecmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

static void put_time(buf_t *b)
{
    struct timespec ts;
    struct tm tm;
    char tmp[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(tmp + n, sizeof(tmp) - n, ".%03ldZ", ts.tv_nsec / 1000000);
    buf_puts(b, tmp);
}

static void emit(buf_t *b)
{
    buf_putc(b, '\n');
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(STDERR_FILENO, b->data + off, b->len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    buf_dispose(b);
}

static void begin(buf_t *b, log_level_t level, const char *msg)
{
    if (log_format == LOG_FORMAT_JSON) {
        buf_puts(b, "{\"time\":\"");
        put_time(b);
        buf_puts(b, "\",\"level\":\"");
        buf_puts(b, level_names[level]);
        buf_puts(b, "\",\"msg\":");
        json_put_str(b, msg);
    } else {
        put_time(b);
        buf_putc(b, ' ');
        buf_puts(b, level_names[level]);
        buf_putc(b, ' ');
        buf_puts(b, msg);
    }
}

void log_write(log_level_t level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    buf_t b = BUF_INIT;
    begin(&b, level, msg);
    if (log_format == LOG_FORMAT_JSON)
        buf_putc(&b, '}');
    emit(&b);
}

void log_fields(log_level_t level, const char *msg, const log_field_t *fields, int n)
{
    if (level < log_min_level)
        return;
    buf_t b = BUF_INIT;
    begin(&b, level, msg);
    for (int i = 0; i < n; i++) {
        if (log_format == LOG_FORMAT_JSON) {
            buf_putc(&b, ',');
            json_put_key(&b, fields[i].key);
            if (fields[i].str != NULL)
                json_put_str(&b, fields[i].str);
            else
                buf_printf(&b, "%lld", fields[i].num);
        } else {
            buf_putc(&b, ' ');
            buf_puts(&b, fields[i].key);
            buf_putc(&b, '=');
            if (fields[i].str != NULL)
                buf_puts(&b, fields[i].str);
            else
                buf_printf(&b, "%lld", fields[i].num);
        }
    }
    if (log_format == LOG_FORMAT_JSON)
        buf_putc(&b, '}');
    emit(&b);
}
