/* Logging to stderr, text or one JSON object per line. The macros check the
 * level before evaluating their arguments. Never log tokens, passwords,
 * password hashes or request bodies. Thread-safe (one write(2) per line). */
#ifndef TODO_CORE_LOG_H
#define TODO_CORE_LOG_H

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;
typedef enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format_t;

extern log_level_t log_min_level;

/** Sets the minimum level and the output format. */
void log_configure(log_level_t level, log_format_t format);
/** Parses "debug|info|warn|error"; returns 0 or -1. */
int log_level_parse(const char *s, log_level_t *out);
/** Parses "text|json"; returns 0 or -1. */
int log_format_parse(const char *s, log_format_t *out);
/** Writes one message line. Use the LOG_* macros instead. */
void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Writes one access-log line: each field is a key and a value (strings are
 *  escaped in JSON format; in text format they are written key=value). */
typedef struct log_field {
    const char *key;
    const char *str; /* used when non-NULL */
    long long num;   /* used when str is NULL */
} log_field_t;
void log_fields(log_level_t level, const char *msg, const log_field_t *fields, int n);

#define LOG_AT(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) >= log_min_level)                                                              \
            log_write((level), __VA_ARGS__);                                                       \
    } while (0)
#define LOG_DEBUG(...) LOG_AT(LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) LOG_AT(LOG_ERROR, __VA_ARGS__)

#endif
