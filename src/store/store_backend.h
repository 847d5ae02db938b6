/* Private to src/store/: what a backend provides. store.c picks a backend by
 * URL scheme and forwards every public call through the vtable that the
 * backend's store_t and store_worker_t carry as their first member. */
#ifndef TODO_STORE_BACKEND_H
#define TODO_STORE_BACKEND_H

#include "store/store.h"

typedef struct store_vtable {
    const char *name;
    void (*close)(store_t *s);
    int (*worker_new)(store_t *s, store_loop_t *loop, store_worker_t **out);
    void (*worker_free)(store_worker_t *w);
    void (*worker_stats)(const store_worker_t *w, store_pool_stats_t *out);
    void (*ping)(store_worker_t *w, store_cb cb, void *ctx);
    void (*task_list)(store_worker_t *w, arena_t *arena, const char *user_id,
                      const store_task_query_t *q, store_cb cb, void *ctx);
    void (*task_get)(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                     store_cb cb, void *ctx);
    void (*task_create)(store_worker_t *w, arena_t *arena, const store_task_t *t,
                        const store_write_opts_t *opts, store_cb cb, void *ctx);
    void (*task_modify)(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                        const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                        store_cb cb, void *ctx);
    void (*task_delete)(store_worker_t *w, const char *user_id, int64_t id,
                        const store_write_opts_t *opts, store_cb cb, void *ctx);
    void (*user_create)(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                        void *ctx);
    void (*user_get_by_email)(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                              void *ctx);
    void (*user_get)(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx);
    void (*user_delete)(store_worker_t *w, const char *id, store_cb cb, void *ctx);
    void (*listen_start)(store_t *s, store_loop_t *loop);
    void (*listen_stop)(store_t *s);
    void (*events_read)(store_worker_t *w, arena_t *arena, const char *user_id, int64_t after_id,
                        int64_t since, int limit, store_cb cb, void *ctx);
    void (*events_sweep)(store_worker_t *w, int64_t before, int limit, store_cb cb, void *ctx);
} store_vtable_t;

/* Every backend's store_t and store_worker_t begin with this. */
struct store {
    const store_vtable_t *vt;
};
struct store_worker {
    const store_vtable_t *vt;
};

/** Whether a row at version may be written under opts (NULL: yes). */
bool store__version_expected(const store_write_opts_t *opts, int64_t version);

/** Backend entry points, called by store_open for a matching URL. The url
 *  passed is the full original URL. */
int store__sqlite_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                       size_t errlen);
int store__pg_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                   size_t errlen);

/* ---- the change log, shared by both backends (store_events.c) -------------- */

/** The event types, as stored. */
extern const char *const store__event_created;
extern const char *const store__event_updated;
extern const char *const store__event_deleted;

/** Event data for a task (created/updated): {"task": <JSON>} with the
 *  injected encoder, into arena. */
const char *store__event_task_data(arena_t *arena, store_task_json_fn enc, const store_task_t *t);
/** Event data for a task whose id the database has not chosen yet: what
 *  goes before the id and what after it, into arena. */
void store__event_task_data_split(arena_t *arena, store_task_json_fn enc, const store_task_t *t,
                                  const char **before, const char **after);
/** Event data for a deletion: {"id": N}, into arena. */
const char *store__event_id_data(arena_t *arena, int64_t id);

#endif
