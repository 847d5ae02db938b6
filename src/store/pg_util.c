/* PostgreSQL helpers shared by the pool, the backend and the migration
 * driver: connection strings, error classification, blocking connections,
 * and reading values from binary-format results. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg_conn.h"

static const char asyncpg_scheme[] = "postgresql+asyncpg://";

void pg_one_line(char *s)
{
    char *out = s;
    bool space = true; /* drops leading blanks */
    for (const char *in = s; *in; in++) {
        if (*in == '\n' || *in == '\t' || *in == '\r' || *in == ' ') {
            if (!space)
                *out++ = ' ';
            space = true;
        } else {
            *out++ = *in;
            space = false;
        }
    }
    if (out > s && out[-1] == ' ')
        out--;
    *out = '\0';
}

char *pg_conninfo_from_url(const char *url)
{
    if (strncmp(url, asyncpg_scheme, sizeof(asyncpg_scheme) - 1) == 0) {
        const char *rest = url + sizeof(asyncpg_scheme) - 1;
        size_t n = strlen(rest);
        char *s = xmalloc(sizeof("postgresql://") + n);
        memcpy(s, "postgresql://", sizeof("postgresql://") - 1);
        memcpy(s + sizeof("postgresql://") - 1, rest, n + 1);
        return s;
    }
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        return xstrdup(url);
    return NULL;
}

void pg_connect_params(const char *conninfo, const char **keys, const char **values)
{
    /* Later entries win, and the URL (expanded from dbname) comes last, so
     * what it says overrides these defaults. */
    keys[0] = "connect_timeout";
    values[0] = "10";
    keys[1] = "fallback_application_name";
    values[1] = "todo-server";
    keys[2] = "dbname";
    values[2] = conninfo;
    keys[3] = NULL;
    values[3] = NULL;
}

/* The password of a URI's userinfo ("scheme://user:PASSWORD@host"), as
 * written, into buf (empty if none). */
static void uri_password(const char *uri, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *p = strstr(uri, "://");
    if (p == NULL)
        return;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = memrchr(p, '@', auth);
    if (at == NULL)
        return;
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon == NULL)
        return;
    snprintf(buf, len, "%.*s", (int)(at - colon - 1), colon + 1);
}

int pg_check_conninfo(const char *conninfo, char *err, size_t errlen)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    if (opts != NULL) {
        PQconninfoFree(opts);
        return 0;
    }
    /* Some of libpq's messages quote the whole URI: never show a password. */
    char msg[256], pw[256];
    snprintf(msg, sizeof(msg), "%s", errmsg != NULL ? errmsg : "out of memory");
    PQfreemem(errmsg);
    pg_one_line(msg);
    uri_password(conninfo, pw, sizeof(pw));
    if (*pw != '\0' && strstr(msg, pw) != NULL)
        snprintf(msg, sizeof(msg), "libpq cannot parse it");
    /* asyncpg's spelling; libpq's is sslmode=require */
    bool ssl_hint = strstr(msg, "\"ssl\"") != NULL;
    snprintf(err, errlen, "invalid PostgreSQL URL: %s%s", msg,
             ssl_hint ? " (libpq spells it sslmode, e.g. sslmode=require)" : "");
    return -1;
}

void pg_describe_target(const char *conninfo, char *buf, size_t len)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    if (opts == NULL) {
        PQfreemem(errmsg);
        snprintf(buf, len, "(unparsable URL)");
        return;
    }
    const char *host = NULL, *port = NULL, *db = NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL || *o->val == '\0')
            continue;
        if (strcmp(o->keyword, "host") == 0 ||
            (host == NULL && strcmp(o->keyword, "hostaddr") == 0))
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    snprintf(buf, len, "host=%s port=%s db=%s", host ? host : "(default)",
             port ? port : "(default)", db ? db : "(default)");
    PQconninfoFree(opts);
}

void pg_notice_to_log(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    LOG_DEBUG("postgresql: %.*s", (int)n, message);
}

store_status_t pg_status_from_sqlstate(const char *sqlstate, bool conn_bad)
{
    /* A lost connection, a server going down or overloaded, or an error made
     * by libpq itself (no SQLSTATE: it could not talk to the server). */
    if (conn_bad || sqlstate == NULL || *sqlstate == '\0')
        return STORE_UNAVAILABLE;
    if (strcmp(sqlstate, "23505") == 0)
        return STORE_CONFLICT;
    static const char *const transient[] = {
        "08",    /* connection exception */
        "53",    /* insufficient resources, too many connections */
        "57P",   /* admin/crash shutdown, cannot connect now */
        "57014", /* query canceled (statement_timeout) */
        "40001", /* serialization failure */
        "40P01", /* deadlock detected */
        "25006", /* read-only transaction: a standby after failover */
        "58",    /* system error (I/O) */
    };
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        if (strncmp(sqlstate, transient[i], strlen(transient[i])) == 0)
            return STORE_UNAVAILABLE;
    return STORE_ERROR;
}

PGconn *pg_connect_blocking(const char *conninfo, char *err, size_t errlen)
{
    const char *keys[4], *values[4];
    char target[256];
    pg_connect_params(conninfo, keys, values);
    pg_describe_target(conninfo, target, sizeof(target));
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (c == NULL) {
        snprintf(err, errlen, "cannot connect to PostgreSQL (%s): out of memory", target);
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password. */
        char msg[384];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        pg_one_line(msg);
        snprintf(err, errlen, "cannot connect to PostgreSQL (%s): %s", target, msg);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, pg_notice_to_log, NULL);
    return c;
}

/* ---- binary results --------------------------------------------------------- */

/* PostgreSQL counts dates and timestamps from 2000-01-01, Unix from 1970. */
enum { PG_EPOCH_UNIX_DAYS = 10957 };
static const int64_t USEC_PER_SEC = 1000000, SEC_PER_DAY = 86400;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Year, month and day of a day count from 1970-01-01 (proleptic Gregorian;
 * H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly width decimal digits (zero-padded; v < 10^width). */
static char *put_digits(char *p, unsigned long long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DD" of a day count from 1970-01-01, into p (at least 12 bytes);
 * returns the end. Years outside 0-9999 are written as printf would. */
static char *put_date(char *p, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        p = put_digits(p, (unsigned long long)y, 4);
    else
        p += sprintf(p, "%04lld", (long long)y);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
}

/* "HH:MM:SS" of seconds since midnight (sod < 100 hours). */
static char *put_time(char *p, int64_t sod)
{
    p = put_digits(p, (unsigned long long)(sod / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned long long)(sod / 60 % 60), 2);
    *p++ = ':';
    return put_digits(p, (unsigned long long)(sod % 60), 2);
}

/* The value's bytes when it has exactly n of them; NULL (bad set) if not. */
static const unsigned char *fixed_bytes(pg_row_t *r, int col, int n)
{
    if (PQgetlength(r->res, r->row, col) != n || PQfformat(r->res, col) != 1) {
        r->bad = true;
        return NULL;
    }
    return (const unsigned char *)PQgetvalue(r->res, r->row, col);
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

bool pg_row_null(const pg_row_t *r, int col)
{
    return PQgetisnull(r->res, r->row, col) != 0;
}

int64_t pg_row_int(pg_row_t *r, int col)
{
    if (pg_row_null(r, col))
        return 0;
    int n = PQgetlength(r->res, r->row, col);
    const unsigned char *p = fixed_bytes(r, col, n == 2 || n == 4 || n == 8 ? n : -1);
    if (p == NULL)
        return 0;
    uint64_t v = be(p, n);
    if (n == 2)
        return (int16_t)v;
    if (n == 4)
        return (int32_t)v;
    return (int64_t)v;
}

bool pg_row_bool(pg_row_t *r, int col)
{
    const unsigned char *p = pg_row_null(r, col) ? NULL : fixed_bytes(r, col, 1);
    return p != NULL && *p != 0;
}

const char *pg_row_text(pg_row_t *r, int col)
{
    if (pg_row_null(r, col))
        return NULL;
    return arena_strndup(r->arena, PQgetvalue(r->res, r->row, col),
                         (size_t)PQgetlength(r->res, r->row, col));
}

const char *pg_row_timestamp(pg_row_t *r, int col)
{
    const unsigned char *p = pg_row_null(r, col) ? NULL : fixed_bytes(r, col, 8);
    if (p == NULL)
        return NULL;
    int64_t secs = floor_div((int64_t)be(p, 8), USEC_PER_SEC);
    int64_t days = floor_div(secs, SEC_PER_DAY), sod = secs - days * SEC_PER_DAY;
    char buf[40], *e = put_date(buf, days + PG_EPOCH_UNIX_DAYS);
    *e++ = 'T';
    e = put_time(e, sod);
    *e++ = 'Z';
    return arena_strndup(r->arena, buf, (size_t)(e - buf));
}

const char *pg_row_date(pg_row_t *r, int col)
{
    const unsigned char *p = pg_row_null(r, col) ? NULL : fixed_bytes(r, col, 4);
    if (p == NULL)
        return NULL;
    char buf[32], *e = put_date(buf, (int32_t)be(p, 4) + (int64_t)PG_EPOCH_UNIX_DAYS);
    return arena_strndup(r->arena, buf, (size_t)(e - buf));
}

const char *pg_row_time(pg_row_t *r, int col)
{
    const unsigned char *p = pg_row_null(r, col) ? NULL : fixed_bytes(r, col, 8);
    if (p == NULL)
        return NULL;
    char buf[16], *e = put_time(buf, (int64_t)be(p, 8) / USEC_PER_SEC);
    return arena_strndup(r->arena, buf, (size_t)(e - buf));
}
