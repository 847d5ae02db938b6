/* Prometheus metrics: per-worker counters, added up on scrape.
 *
 * Each worker owns one slot. Only the worker's own thread writes it (answers,
 * connection closes and the pool timer all run on that thread), so a count is
 * a relaxed load and store, not a locked add; a scrape on any worker reads
 * every slot with relaxed loads. A series is a route of the table, or one of
 * the "unmatched" series (one per method the router knows, plus OTHER). */
#include "http/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "http/internal.h"
#include "store/store.h"

#ifndef TODO_VERSION
#define TODO_VERSION "dev"
#endif

enum {
    STATUS_MIN = 100,
    N_STATUS = 500, /* 100..599 */
    N_OTHER_METHODS = 8,
};

/* Latency bucket upper bounds in microseconds and as `le` labels. */
static const uint64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                        "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                        "1",      "2.5",   "5",      "10"};
enum { N_BUCKETS = sizeof(bucket_us) / sizeof(bucket_us[0]) };
_Static_assert(sizeof(bucket_le) / sizeof(bucket_le[0]) == N_BUCKETS, "bucket labels");

/* Methods of the unmatched series; the last one stands for any other. */
static const char *const other_methods[N_OTHER_METHODS] = {"GET",   "HEAD",   "POST",    "PUT",
                                                           "PATCH", "DELETE", "OPTIONS", "OTHER"};

typedef _Atomic uint64_t counter_t;

typedef struct slot {
    counter_t *requests; /* [series][N_STATUS] */
    counter_t *buckets;  /* [series][N_BUCKETS + 1]: per bucket, not cumulative; last is +Inf */
    counter_t *sum_us;   /* [series] */
    _Atomic int64_t conns_open;
    _Atomic int64_t streams_open;
    counter_t stream_messages;
    counter_t conns_total;
    counter_t precondition_failed; /* 412 answers */
    counter_t replays;             /* idempotent replays */
    _Atomic int pool_size, pool_in_use, pool_waiting;
    _Atomic int pool_state; /* 0: unknown, 1: connected, 2: not connected */
    h2o_timeout_entry_t timer;
    http_worker_t *worker;
} slot_t;

static struct {
    slot_t *slots;
    size_t n_workers;
    const route_t *routes;
    size_t n_routes;
    size_t n_series;
    const char *backend;
    double started; /* Unix time of metrics_init */
} m;

/* One writer: a plain load and store, never torn, never locked. */
static inline void bump(counter_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

static inline uint64_t peek(counter_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- lifecycle ---------------------------------------------------------------- */

void metrics_init(size_t n_workers, const route_t *routes, size_t n_routes, const char *backend)
{
    struct timeval now;
    metrics_dispose();
    m.n_workers = n_workers;
    m.routes = routes;
    m.n_routes = n_routes;
    m.n_series = n_routes + N_OTHER_METHODS;
    m.backend = backend;
    gettimeofday(&now, NULL);
    m.started = (double)now.tv_sec + (double)now.tv_usec / 1e6;
    m.slots = xcalloc(n_workers ? n_workers : 1, sizeof(*m.slots));
    for (size_t i = 0; i < n_workers; i++) {
        slot_t *s = &m.slots[i];
        s->requests = xcalloc(m.n_series * N_STATUS, sizeof(counter_t));
        s->buckets = xcalloc(m.n_series * (N_BUCKETS + 1), sizeof(counter_t));
        s->sum_us = xcalloc(m.n_series, sizeof(counter_t));
    }
}

void metrics_dispose(void)
{
    for (size_t i = 0; i < m.n_workers; i++) {
        free(m.slots[i].requests);
        free(m.slots[i].buckets);
        free(m.slots[i].sum_us);
    }
    free(m.slots);
    memset(&m, 0, sizeof(m));
}

static slot_t *slot_of(const http_worker_t *w)
{
    if (m.slots == NULL || w == NULL || w->index < 0 || (size_t)w->index >= m.n_workers)
        return NULL;
    return &m.slots[w->index];
}

/* ---- database pools ------------------------------------------------------------ */

static void publish_pool(slot_t *s)
{
    if (s->worker == NULL || s->worker->store == NULL)
        return;
    store_pool_stats_t st = {0, 0, 0, false};
    store_worker_stats(s->worker->store, &st);
    atomic_store_explicit(&s->pool_size, st.size, memory_order_relaxed);
    atomic_store_explicit(&s->pool_in_use, st.in_use, memory_order_relaxed);
    atomic_store_explicit(&s->pool_waiting, st.waiting, memory_order_relaxed);
    atomic_store_explicit(&s->pool_state, st.connected ? 1 : 2, memory_order_relaxed);
}

static void on_pool_timer(h2o_timeout_entry_t *entry)
{
    slot_t *s = H2O_STRUCT_FROM_MEMBER(slot_t, timer, entry);
    publish_pool(s);
    h2o_timeout_link(s->worker->ctx.loop, &s->worker->ctx.one_sec_timeout, &s->timer);
}

void metrics_worker_start(http_worker_t *w)
{
    slot_t *s = slot_of(w);
    if (s == NULL)
        return;
    s->worker = w;
    s->timer.cb = on_pool_timer;
    publish_pool(s);
    h2o_timeout_link(w->ctx.loop, &w->ctx.one_sec_timeout, &s->timer);
}

void metrics_worker_stop(http_worker_t *w)
{
    slot_t *s = slot_of(w);
    if (s == NULL || s->worker == NULL)
        return;
    if (h2o_timeout_is_linked(&s->timer))
        h2o_timeout_unlink(&s->timer);
    atomic_store_explicit(&s->pool_state, 0, memory_order_relaxed);
    s->worker = NULL;
}

/* ---- connections and answers ----------------------------------------------------- */

void metrics_stream_open(http_worker_t *w, int delta)
{
    slot_t *s = slot_of(w);
    if (s == NULL)
        return;
    atomic_store_explicit(&s->streams_open,
                          atomic_load_explicit(&s->streams_open, memory_order_relaxed) + delta,
                          memory_order_relaxed);
}

void metrics_stream_sent(http_worker_t *w, unsigned n)
{
    slot_t *s = slot_of(w);
    if (s != NULL && n != 0)
        bump(&s->stream_messages, n);
}

void metrics_conn_open(http_worker_t *w)
{
    slot_t *s = slot_of(w);
    if (s == NULL)
        return;
    atomic_store_explicit(&s->conns_open,
                          atomic_load_explicit(&s->conns_open, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    bump(&s->conns_total, 1);
}

void metrics_conn_close(http_worker_t *w)
{
    slot_t *s = slot_of(w);
    if (s == NULL)
        return;
    atomic_store_explicit(&s->conns_open,
                          atomic_load_explicit(&s->conns_open, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

static size_t series_of(const route_t *route, const char *method, size_t len)
{
    if (route != NULL && route >= m.routes && route < m.routes + m.n_routes)
        return (size_t)(route - m.routes);
    size_t i = 0;
    for (; i + 1 < N_OTHER_METHODS; i++)
        if (strlen(other_methods[i]) == len && memcmp(other_methods[i], method, len) == 0)
            break;
    return m.n_routes + i;
}

void metrics_observe(http_worker_t *w, const route_t *route, const char *method, size_t method_len,
                     int status, const struct timeval *started_at)
{
    slot_t *s = slot_of(w);
    if (s == NULL || status < STATUS_MIN || status >= STATUS_MIN + N_STATUS)
        return;
    size_t series = series_of(route, method, method_len);
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t us = 0;
    if (started_at != NULL && started_at->tv_sec != 0)
        us = (int64_t)(now.tv_sec - started_at->tv_sec) * 1000000 +
             (now.tv_usec - started_at->tv_usec);
    if (us < 0)
        us = 0;
    size_t b = 0;
    while (b < N_BUCKETS && (uint64_t)us > bucket_us[b])
        b++;
    bump(&s->requests[series * N_STATUS + (size_t)(status - STATUS_MIN)], 1);
    bump(&s->buckets[series * (N_BUCKETS + 1) + b], 1);
    bump(&s->sum_us[series], (uint64_t)us);
}

void metrics_count_condition(http_worker_t *w, bool precondition_failed, bool replayed)
{
    slot_t *s = slot_of(w);
    if (s == NULL)
        return;
    if (precondition_failed)
        bump(&s->precondition_failed, 1);
    if (replayed)
        bump(&s->replays, 1);
}

/* ---- the scrape --------------------------------------------------------------------- */

/* Appends a label value with \, " and newline escaped. */
static void put_label(buf_t *b, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            buf_putc(b, '\\');
        if (*v == '\n') {
            buf_puts(b, "\\n");
            continue;
        }
        buf_putc(b, *v);
    }
}

static void put_series_labels(buf_t *b, size_t series)
{
    const char *method, *route;
    if (series < m.n_routes) {
        method = m.routes[series].method;
        route = m.routes[series].pattern;
    } else {
        method = other_methods[series - m.n_routes];
        route = "unmatched";
    }
    buf_puts(b, "method=\"");
    put_label(b, method);
    buf_puts(b, "\",route=\"");
    put_label(b, route);
    buf_putc(b, '"');
}

static void put_head(buf_t *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_requests(buf_t *b)
{
    put_head(b, "todo_http_requests_total", "counter",
             "HTTP requests answered, by method, route template and status.");
    for (size_t series = 0; series < m.n_series; series++) {
        for (size_t st = 0; st < N_STATUS; st++) {
            uint64_t n = 0;
            for (size_t w = 0; w < m.n_workers; w++)
                n += peek(&m.slots[w].requests[series * N_STATUS + st]);
            if (n == 0)
                continue;
            buf_puts(b, "todo_http_requests_total{");
            put_series_labels(b, series);
            buf_printf(b, ",status=\"%zu\"} %llu\n", st + STATUS_MIN, (unsigned long long)n);
        }
    }
}

static void put_latency(buf_t *b)
{
    put_head(b, "todo_http_request_duration_seconds", "histogram",
             "Time from a request's arrival to its answer, by method and route template.");
    for (size_t series = 0; series < m.n_series; series++) {
        uint64_t counts[N_BUCKETS + 1] = {0}, sum_us = 0, total = 0;
        for (size_t w = 0; w < m.n_workers; w++) {
            for (size_t k = 0; k <= N_BUCKETS; k++)
                counts[k] += peek(&m.slots[w].buckets[series * (N_BUCKETS + 1) + k]);
            sum_us += peek(&m.slots[w].sum_us[series]);
        }
        for (size_t k = 0; k <= N_BUCKETS; k++)
            total += counts[k];
        if (total == 0)
            continue;
        uint64_t cumulative = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++) {
            cumulative += counts[k];
            buf_puts(b, "todo_http_request_duration_seconds_bucket{");
            put_series_labels(b, series);
            buf_printf(b, ",le=\"%s\"} %llu\n", k < N_BUCKETS ? bucket_le[k] : "+Inf",
                       (unsigned long long)cumulative);
        }
        buf_puts(b, "todo_http_request_duration_seconds_sum{");
        put_series_labels(b, series);
        buf_printf(b, "} %.6f\n", (double)sum_us / 1e6);
        buf_puts(b, "todo_http_request_duration_seconds_count{");
        put_series_labels(b, series);
        buf_printf(b, "} %llu\n", (unsigned long long)total);
    }
}

static void put_connections_and_pools(buf_t *b)
{
    int64_t open = 0;
    uint64_t accepted = 0;
    long size = 0, in_use = 0, waiting = 0;
    int up = 1;
    for (size_t w = 0; w < m.n_workers; w++) {
        slot_t *s = &m.slots[w];
        open += atomic_load_explicit(&s->conns_open, memory_order_relaxed);
        accepted += peek(&s->conns_total);
        int state = atomic_load_explicit(&s->pool_state, memory_order_relaxed);
        if (state == 0)
            continue;
        size += atomic_load_explicit(&s->pool_size, memory_order_relaxed);
        in_use += atomic_load_explicit(&s->pool_in_use, memory_order_relaxed);
        waiting += atomic_load_explicit(&s->pool_waiting, memory_order_relaxed);
        if (state != 1)
            up = 0;
    }
    put_head(b, "todo_http_connections_open", "gauge", "Client connections open now.");
    buf_printf(b, "todo_http_connections_open %lld\n", (long long)(open < 0 ? 0 : open));
    put_head(b, "todo_http_connections_total", "counter", "Client connections accepted.");
    buf_printf(b, "todo_http_connections_total %llu\n", (unsigned long long)accepted);
    uint64_t failed = 0, replays = 0;
    for (size_t w = 0; w < m.n_workers; w++) {
        failed += peek(&m.slots[w].precondition_failed);
        replays += peek(&m.slots[w].replays);
    }
    put_head(b, "todo_precondition_failed_total", "counter",
             "Writes refused with 412 because If-Match named no current ETag.");
    buf_printf(b, "todo_precondition_failed_total %llu\n", (unsigned long long)failed);
    put_head(b, "todo_idempotent_replays_total", "counter",
             "Answers replayed from a stored Idempotency-Key answer.");
    buf_printf(b, "todo_idempotent_replays_total %llu\n", (unsigned long long)replays);
    int64_t streams = 0;
    uint64_t messages = 0;
    for (size_t w = 0; w < m.n_workers; w++) {
        streams += atomic_load_explicit(&m.slots[w].streams_open, memory_order_relaxed);
        messages += peek(&m.slots[w].stream_messages);
    }
    put_head(b, "todo_event_streams_open", "gauge", "Event streams (text/event-stream) open now.");
    buf_printf(b, "todo_event_streams_open %lld\n", (long long)(streams < 0 ? 0 : streams));
    put_head(b, "todo_events_sent_total", "counter",
             "Server-sent events written to event streams (replayed and live).");
    buf_printf(b, "todo_events_sent_total %llu\n", (unsigned long long)messages);
    put_head(b, "todo_workers", "gauge", "Event-loop worker threads.");
    buf_printf(b, "todo_workers %zu\n", m.n_workers);
    put_head(b, "todo_db_pool_connections", "gauge",
             "Database connections of all workers' pools (SQLite: one per worker).");
    buf_printf(b, "todo_db_pool_connections %ld\n", size);
    put_head(b, "todo_db_pool_in_use", "gauge", "Database connections running a query now.");
    buf_printf(b, "todo_db_pool_in_use %ld\n", in_use);
    put_head(b, "todo_db_pool_waiting", "gauge",
             "Database operations waiting for a free connection.");
    buf_printf(b, "todo_db_pool_waiting %ld\n", waiting);
    put_head(b, "todo_db_up", "gauge",
             "1 when every worker's database handle is connected, else 0.");
    buf_printf(b, "todo_db_up %d\n", up);
}

static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    char line[128];
    long resident = -1;
    if (f == NULL)
        return -1;
    if (fgets(line, sizeof(line), f) != NULL) {
        char *end;
        strtol(line, &end, 10); /* total pages, then resident pages */
        char *after;
        long v = strtol(end, &after, 10);
        if (after != end && v >= 0)
            resident = v;
    }
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void put_build_and_process(buf_t *b)
{
    put_head(b, "todo_build_info", "gauge",
             "Always 1; the labels tell the version and the database backend.");
    buf_puts(b, "todo_build_info{version=\"");
    put_label(b, TODO_VERSION);
    buf_puts(b, "\",backend=\"");
    put_label(b, m.backend != NULL ? m.backend : "none");
    buf_puts(b, "\"} 1\n");

    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        put_head(b, "process_cpu_seconds_total", "counter",
                 "User and system CPU time spent, in seconds.");
        buf_printf(b, "process_cpu_seconds_total %.6f\n", cpu);
    }
    long rss = resident_bytes();
    if (rss >= 0) {
        put_head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        buf_printf(b, "process_resident_memory_bytes %ld\n", rss);
    }
    long fds = count_open_fds();
    if (fds >= 0) {
        put_head(b, "process_open_fds", "gauge", "Open file descriptors.");
        buf_printf(b, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        put_head(b, "process_max_fds", "gauge", "Most open file descriptors allowed.");
        buf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
    put_head(b, "process_start_time_seconds", "gauge",
             "When the server started, in seconds since the Unix epoch.");
    buf_printf(b, "process_start_time_seconds %.3f\n", m.started);
}

void metrics_handle(api_req_t *r)
{
    http_worker_t *w = r->worker;
    slot_t *s = slot_of(w);
    if (s == NULL) {
        api_respond_err(r, API_ERR_NOT_FOUND, "Metrics are not set up");
        return;
    }
    publish_pool(s); /* this worker's figures are fresh; the others' at most 1 s old */
    buf_t b = BUF_INIT;
    buf_reserve(&b, 16384);
    put_requests(&b);
    put_latency(&b);
    put_connections_and_pools(&b);
    put_build_and_process(&b);
    api_respond_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    buf_dispose(&b);
}
