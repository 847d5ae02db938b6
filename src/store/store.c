/* Backend selection and forwarding. */
#include <stdio.h>
#include <string.h>

#include "store/store_backend.h"

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int store_open(const char *url, const store_options_t *opts, store_t **out, char *err,
               size_t errlen)
{
    *out = NULL;
    if (has_prefix(url, "sqlite://"))
        return store__sqlite_open(url, opts, out, err, errlen);
    if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://") ||
        has_prefix(url, "postgresql+asyncpg://"))
        return store__pg_open(url, opts, out, err, errlen);
    snprintf(err, errlen, "unsupported database URL scheme (use sqlite:// or postgresql://)");
    return STORE_ERROR;
}

void store_close(store_t *s)
{
    if (s != NULL)
        s->vt->close(s);
}

const char *store_backend_name(const store_t *s)
{
    return s->vt->name;
}

int store_worker_new(store_t *s, store_loop_t *loop, store_worker_t **out)
{
    return s->vt->worker_new(s, loop, out);
}

void store_worker_free(store_worker_t *w)
{
    if (w != NULL)
        w->vt->worker_free(w);
}

void store_worker_stats(const store_worker_t *w, store_pool_stats_t *out)
{
    w->vt->worker_stats(w, out);
}

void store_ping(store_worker_t *w, store_cb cb, void *ctx)
{
    w->vt->ping(w, cb, ctx);
}

void store_task_list(store_worker_t *w, arena_t *arena, const char *user_id,
                     const store_task_query_t *q, store_cb cb, void *ctx)
{
    w->vt->task_list(w, arena, user_id, q, cb, ctx);
}

void store_task_get(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id, store_cb cb,
                    void *ctx)
{
    w->vt->task_get(w, arena, user_id, id, cb, ctx);
}

void store_task_create(store_worker_t *w, arena_t *arena, const store_task_t *t,
                       const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    w->vt->task_create(w, arena, t, opts, cb, ctx);
}

void store_task_modify(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                       store_cb cb, void *ctx)
{
    w->vt->task_modify(w, arena, user_id, id, opts, fn, fn_ctx, cb, ctx);
}

void store_task_delete(store_worker_t *w, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    w->vt->task_delete(w, user_id, id, opts, cb, ctx);
}

bool store__version_expected(const store_write_opts_t *opts, int64_t version)
{
    if (opts == NULL || !opts->check_version)
        return true;
    for (size_t i = 0; i < opts->n_versions; i++)
        if (opts->versions[i] == version)
            return true;
    return false;
}

void store_user_create(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                       void *ctx)
{
    w->vt->user_create(w, arena, u, cb, ctx);
}

void store_user_get_by_email(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                             void *ctx)
{
    w->vt->user_get_by_email(w, arena, email, cb, ctx);
}

void store_user_get(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx)
{
    w->vt->user_get(w, arena, id, cb, ctx);
}

void store_user_delete(store_worker_t *w, const char *id, store_cb cb, void *ctx)
{
    w->vt->user_delete(w, id, cb, ctx);
}

void store_listen_start(store_t *s, store_loop_t *loop)
{
    s->vt->listen_start(s, loop);
}

void store_listen_stop(store_t *s)
{
    if (s != NULL)
        s->vt->listen_stop(s);
}

void store_events_read(store_worker_t *w, arena_t *arena, const char *user_id, int64_t after_id,
                       int64_t since, int limit, store_cb cb, void *ctx)
{
    w->vt->events_read(w, arena, user_id, after_id, since, limit, cb, ctx);
}

void store_events_sweep(store_worker_t *w, int64_t before, int limit, store_cb cb, void *ctx)
{
    w->vt->events_sweep(w, before, limit, cb, ctx);
}
