/* Settings from the environment and --flags, driven by one table: each row
 * gives the variable, its type, default, limits, extra check and help text,
 * and everything else (parsing, validation, --help) reads the table.
 * Error messages never echo BETTER_AUTH_SECRET, nor DATABASE_URL beyond its
 * scheme (it may hold a password). */
#include "core/settings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ipnet.h"

typedef enum setting_type {
    SETTING_STR,
    SETTING_INT,  /* int field */
    SETTING_LONG, /* long field */
    SETTING_BOOL,
    SETTING_LOG_LEVEL,
    SETTING_LOG_FORMAT,
} setting_type_t;

/* An extra check for a string value: returns 0, or -1 with the reason (which
 * may quote the value) in why. */
typedef int (*setting_check_fn)(const char *value, char *why, size_t whylen);

typedef struct setting_def {
    const char *env; /* variable name; the flag is --lower-case-with-dashes */
    setting_type_t type;
    size_t offset;        /* field in settings_t */
    const char *def;      /* default as text, NULL: none (or computed) */
    const char *def_text; /* what --help shows as the default, when not def */
    long min, max;        /* numbers: inclusive range */
    setting_check_fn check;
    int flags;
    const char *help;
} setting_def_t;

enum {
    SETTING_EMPTY_IS_SET = 1 << 0 /* an empty value means "none", not "default" */
};

static int check_database_url(const char *v, char *why, size_t n);
static int check_host(const char *v, char *why, size_t n);
static int check_secret(const char *v, char *why, size_t n);
static int check_http_url(const char *v, char *why, size_t n);
static int check_cors(const char *v, char *why, size_t n);
static int check_nonempty(const char *v, char *why, size_t n);
static int check_pool_mode(const char *v, char *why, size_t n);
static int check_trusted_proxies(const char *v, char *why, size_t n);
static int check_listen_url(const char *v, char *why, size_t n);

#define OFF(field) offsetof(settings_t, field)

static const setting_def_t settings_table[] = {
    {"DATABASE_URL", SETTING_STR, OFF(database_url), "sqlite://./data/todo.db", NULL, 0, 0,
     check_database_url, 0,
     "sqlite://PATH (sqlite://:memory: for tests) or postgresql://user:pass@host/db"},
    {"HOST", SETTING_STR, OFF(host), "127.0.0.1", NULL, 0, 0, check_host, 0,
     "address to listen on"},
    {"PORT", SETTING_INT, OFF(port), "8000", NULL, 0, 65535, NULL, 0,
     "port to listen on; 0 picks a free port"},
    {"WORKERS", SETTING_INT, OFF(workers), NULL, "number of CPUs", 1, 256, NULL, 0,
     "event-loop threads"},
    {"BETTER_AUTH_SECRET", SETTING_STR, OFF(secret), NULL, "none (serve makes a random one)", 0, 0,
     check_secret, 0, "HS256 secret shared with the front end, at least 32 bytes"},
    {"JWKS_URL", SETTING_STR, OFF(jwks_url), NULL, "none", 0, 0, check_http_url, 0,
     "http(s) URL of the JSON Web Key Set for EdDSA/ES256/RS256 tokens"},
    {"JWKS_FILE", SETTING_STR, OFF(jwks_file), NULL, "none", 0, 0, check_nonempty, 0,
     "file holding a JSON Web Key Set"},
    {"JWKS_REFRESH_SECONDS", SETTING_INT, OFF(jwks_refresh_seconds), "60", NULL, 1, 86400, NULL, 0,
     "least time between two JWKS refetches for an unknown kid"},
    {"JWT_ISSUER", SETTING_STR, OFF(jwt_issuer), NULL, "none", 0, 0, NULL, 0,
     "when set, a token's iss must equal it"},
    {"JWT_AUDIENCE", SETTING_STR, OFF(jwt_audience), NULL, "none", 0, 0, NULL, 0,
     "when set, a token's aud must equal or contain it"},
    {"TOKEN_TTL", SETTING_LONG, OFF(token_ttl), "604800", NULL, 60, 31536000, NULL, 0,
     "lifetime in seconds of tokens this server issues"},
    {"CORS_ORIGINS", SETTING_STR, OFF(cors_origins), "http://localhost:3000", NULL, 0, 0,
     check_cors, SETTING_EMPTY_IS_SET,
     "comma-separated allowed origins; * allows any (without credentials); empty allows none"},
    {"DB_POOL_SIZE", SETTING_INT, OFF(db_pool_size), "4", NULL, 1, 64, NULL, 0,
     "PostgreSQL connections per worker"},
    {"MIGRATE_ON_START", SETTING_BOOL, OFF(migrate_on_start), "true", NULL, 0, 0, NULL, 0,
     "apply pending migrations at start (true/false)"},
    {"LOG_LEVEL", SETTING_LOG_LEVEL, OFF(log_level), "info", NULL, 0, 0, NULL, 0,
     "debug, info, warn or error"},
    {"LOG_FORMAT", SETTING_LOG_FORMAT, OFF(log_format), "text", NULL, 0, 0, NULL, 0,
     "text, or json for one JSON object per line"},
    {"MAX_BODY_BYTES", SETTING_LONG, OFF(max_body_bytes), "65536", NULL, 1024, 67108864, NULL, 0,
     "larger request bodies get 413"},
    {"DOCS_ASSETS_URL", SETTING_STR, OFF(docs_assets_url),
     "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5", NULL, 0, 0, check_http_url, 0,
     "where the /docs page loads Swagger UI from"},
    {"DOCS_ASSETS_DIR", SETTING_STR, OFF(docs_assets_dir), NULL, "none", 0, 0, check_nonempty, 0,
     "swagger-ui-dist folder that /docs loads from here (offline); wins over the URL"},
    {"TRUSTED_PROXIES", SETTING_STR, OFF(trusted_proxies), NULL, "none", 0, 0,
     check_trusted_proxies, 0,
     "comma-separated addresses or CIDR blocks of the proxies in front; X-Forwarded-For is "
     "read only from them"},
    {"SHUTDOWN_DRAIN_SECONDS", SETTING_INT, OFF(shutdown_drain_seconds), "0", NULL, 0, 3600, NULL,
     0, "on SIGTERM, seconds /ready answers 503 while requests are still served"},
    {"DB_POOL_MODE", SETTING_STR, OFF(db_pool_mode), "session", NULL, 0, 0, check_pool_mode, 0,
     "session, or transaction behind a transaction pooler (PgBouncer, Neon pooled)"},
    {"DATABASE_LISTEN_URL", SETTING_STR, OFF(database_listen_url), NULL, "DATABASE_URL", 0, 0,
     check_listen_url, 0,
     "direct (session) PostgreSQL URL for change notifications when DATABASE_URL is pooled"},
    {"IDEMPOTENCY_TTL", SETTING_LONG, OFF(idempotency_ttl), "86400", NULL, 1, 31536000, NULL, 0,
     "seconds an Idempotency-Key and its answer are kept"},
    {"EVENTS_RETENTION", SETTING_LONG, OFF(events_retention), "3600", NULL, 1, 31536000, NULL, 0,
     "seconds of change history kept for resuming event streams"},
    {"WEB_APP", SETTING_BOOL, OFF(web_app), "true", NULL, 0, 0, NULL, 0,
     "serve the web app at / (true/false)"},
};

enum { N_SETTINGS = sizeof(settings_table) / sizeof(settings_table[0]) };

/* ---- value checks -------------------------------------------------------- */

/* Quotes at most 64 bytes of v into out, printable ASCII only. */
static const char *quote_value(const char *v, char *out, size_t n)
{
    size_t o = 0, i = 0;
    for (; i < 64 && o + 2 < n && v[i] != '\0'; i++) {
        char c = v[i];
        if (c < 0x20 || c >= 0x7f)
            c = '?';
        out[o++] = c;
    }
    if (v[i] != '\0' && o + 4 < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int check_database_url(const char *v, char *why, size_t n)
{
    static const char *const pg[] = {"postgresql://", "postgres://", "postgresql+asyncpg://"};
    if (has_prefix(v, "sqlite://")) {
        if (v[strlen("sqlite://")] == '\0') {
            snprintf(why, n, "sqlite:// needs a path, e.g. sqlite://./data/todo.db");
            return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
        if (has_prefix(v, pg[i]))
            return 0;
    /* The URL may hold a password: show its scheme only. */
    size_t scheme = strcspn(v, ":/");
    char q[80];
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(scheme < 24 ? scheme : 24), v);
    snprintf(why, n,
             "must start with sqlite://, postgresql://, postgres:// or postgresql+asyncpg:// "
             "(got scheme \"%s\")",
             quote_value(tmp, q, sizeof(q)));
    return -1;
}

static int check_host(const char *v, char *why, size_t n)
{
    for (const char *p = v; *p; p++) {
        if (!isalnum((unsigned char)*p) && strchr(".-:_%", *p) == NULL) {
            char q[80];
            snprintf(why, n, "must be a host name or IP address (got \"%s\")",
                     quote_value(v, q, sizeof(q)));
            return -1;
        }
    }
    return 0;
}

static int check_secret(const char *v, char *why, size_t n)
{
    size_t len = strlen(v);
    if (len < 32) {
        snprintf(why, n, "must be at least 32 bytes (got %zu)", len);
        return -1;
    }
    return 0;
}

static int check_http_url(const char *v, char *why, size_t n)
{
    const char *rest = NULL;
    if (has_prefix(v, "https://"))
        rest = v + 8;
    else if (has_prefix(v, "http://"))
        rest = v + 7;
    if (rest == NULL || *rest == '\0' || *rest == '/') {
        char q[80];
        snprintf(why, n, "must be an http:// or https:// URL (got \"%s\")",
                 quote_value(v, q, sizeof(q)));
        return -1;
    }
    return 0;
}

static int check_nonempty(const char *v, char *why, size_t n)
{
    if (*v == '\0') {
        snprintf(why, n, "must not be empty");
        return -1;
    }
    return 0;
}

static int check_trusted_proxies(const char *v, char *why, size_t n)
{
    ipnet_list_t l;
    if (ipnet_list_parse(v, &l, why, n) != 0)
        return -1;
    ipnet_list_dispose(&l);
    return 0;
}

static int check_pool_mode(const char *v, char *why, size_t n)
{
    if (strcmp(v, "session") == 0 || strcmp(v, "transaction") == 0)
        return 0;
    snprintf(why, n, "must be session or transaction");
    return -1;
}

static int check_listen_url(const char *v, char *why, size_t n)
{
    static const char *const pg[] = {"postgresql://", "postgres://", "postgresql+asyncpg://"};
    for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
        if (has_prefix(v, pg[i]))
            return 0;
    snprintf(why, n, "must be a postgresql:// URL");
    return -1;
}

/* One origin: http(s)://host[:port] with no path, query or user info. */
static int origin_is_valid(const char *s, size_t len)
{
    size_t skip;
    if (len > 8 && strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return 0;
    for (size_t i = skip; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && strchr(".-:[]_", c) == NULL)
            return 0;
    }
    return 1;
}

static int check_cors(const char *v, char *why, size_t n)
{
    const char *p = v;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s && !(e - s == 1 && *s == '*') && !origin_is_valid(s, (size_t)(e - s))) {
            char item[80], q[80];
            snprintf(item, sizeof(item), "%.*s", (int)(e - s < 70 ? e - s : 70), s);
            snprintf(why, n,
                     "\"%s\" is not an origin (use http(s)://host[:port] without a path, or *)",
                     quote_value(item, q, sizeof(q)));
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

static int parse_long(const char *v, long *out)
{
    if (*v == '\0' || !(isdigit((unsigned char)*v) || *v == '-'))
        return -1;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* Parses v into its field; on a bad value writes "NAME: why" into err. */
static int apply_value(settings_t *s, const setting_def_t *d, const char *v, char *err,
                       size_t errlen)
{
    char *field = (char *)s + d->offset;
    char why[256], q[80];
    long num;
    switch (d->type) {
    case SETTING_STR:
        if (d->check != NULL && d->check(v, why, sizeof(why)) != 0)
            goto bad;
        *(const char **)field = v;
        return 0;
    case SETTING_INT:
    case SETTING_LONG:
        if (parse_long(v, &num) != 0 || num < d->min || num > d->max) {
            snprintf(why, sizeof(why), "must be an integer %ld-%ld (got \"%s\")", d->min, d->max,
                     quote_value(v, q, sizeof(q)));
            goto bad;
        }
        if (d->type == SETTING_INT)
            *(int *)field = (int)num;
        else
            *(long *)field = num;
        return 0;
    case SETTING_BOOL:
        if (parse_bool(v, (bool *)field) != 0) {
            snprintf(why, sizeof(why), "must be true, false, 1 or 0 (got \"%s\")",
                     quote_value(v, q, sizeof(q)));
            goto bad;
        }
        return 0;
    case SETTING_LOG_LEVEL:
        if (log_level_parse(v, (log_level_t *)field) != 0) {
            snprintf(why, sizeof(why), "must be debug, info, warn or error (got \"%s\")",
                     quote_value(v, q, sizeof(q)));
            goto bad;
        }
        return 0;
    case SETTING_LOG_FORMAT:
        if (log_format_parse(v, (log_format_t *)field) != 0) {
            snprintf(why, sizeof(why), "must be text or json (got \"%s\")",
                     quote_value(v, q, sizeof(q)));
            goto bad;
        }
        return 0;
    }
    snprintf(why, sizeof(why), "unknown setting type");
bad:
    snprintf(err, errlen, "%s: %s", d->env, why);
    return -1;
}

/* Writes the flag for d ("--max-body-bytes") into out. */
static void flag_name(const setting_def_t *d, char *out, size_t n)
{
    size_t o = 0;
    out[o++] = '-';
    out[o++] = '-';
    for (const char *p = d->env; *p && o + 1 < n; p++) {
        char c = *p;
        if (c == '_')
            c = '-';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] = c;
    }
    out[o] = '\0';
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 256 ? 256 : (int)n;
}

/* Finds the setting whose flag starts arg ("--port" or "--port=..."); sets
 * *value to the text after '=' or NULL. */
static const setting_def_t *match_flag(const char *arg, const char **value)
{
    char flag[64];
    for (size_t i = 0; i < N_SETTINGS; i++) {
        flag_name(&settings_table[i], flag, sizeof(flag));
        size_t len = strlen(flag);
        if (strncmp(arg, flag, len) == 0 && (arg[len] == '\0' || arg[len] == '=')) {
            *value = arg[len] == '=' ? arg + len + 1 : NULL;
            return &settings_table[i];
        }
    }
    return NULL;
}

int settings_load(settings_t *s, int *argc, char **argv, char *err, size_t errlen)
{
    const char *values[N_SETTINGS];
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < N_SETTINGS; i++)
        values[i] = getenv(settings_table[i].env);

    /* Flags override the environment; consumed ones leave argv. */
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        const setting_def_t *d = strncmp(argv[i], "--", 2) == 0 ? match_flag(argv[i], &v) : NULL;
        if (d == NULL) {
            argv[out++] = argv[i];
            continue;
        }
        if (v == NULL) {
            if (i + 1 >= *argc) {
                char flag[64];
                flag_name(d, flag, sizeof(flag));
                snprintf(err, errlen, "%s: %s needs a value", d->env, flag);
                return -1;
            }
            v = argv[++i];
        }
        values[d - settings_table] = v;
    }
    *argc = out;
    argv[out] = NULL;

    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_def_t *d = &settings_table[i];
        const char *v = values[i];
        if (v != NULL && *v == '\0' && !(d->flags & SETTING_EMPTY_IS_SET))
            v = NULL; /* VAR= counts as unset */
        if (v == NULL)
            v = d->def;
        if (v == NULL)
            continue;
        if (apply_value(s, d, v, err, errlen) != 0)
            return -1;
    }
    if (s->workers == 0)
        s->workers = online_cpus();
    s->secret_generated = false;
    return 0;
}

void settings_print_help(FILE *out)
{
    fprintf(out, "Settings (environment variable, or the --flag=VALUE next to it):\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_def_t *d = &settings_table[i];
        char flag[64];
        flag_name(d, flag, sizeof(flag));
        const char *def = d->def_text != NULL ? d->def_text : d->def;
        fprintf(out, "  %-22s %-24s %s\n", d->env, flag, d->help);
        fprintf(out, "  %-22s %-24s default: %s\n", "", "", def != NULL ? def : "none");
    }
}
