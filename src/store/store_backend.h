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
    void (*task_create)(store_worker_t *w, arena_t *arena, const store_task_t *t, store_cb cb,
                        void *ctx);
    void (*task_modify)(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                        store_modify_fn fn, void *fn_ctx, store_cb cb, void *ctx);
    void (*task_delete)(store_worker_t *w, const char *user_id, int64_t id, store_cb cb, void *ctx);
    void (*user_create)(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                        void *ctx);
    void (*user_get_by_email)(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                              void *ctx);
    void (*user_get)(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx);
    void (*user_delete)(store_worker_t *w, const char *id, store_cb cb, void *ctx);
} store_vtable_t;

/* Every backend's store_t and store_worker_t begin with this. */
struct store {
    const store_vtable_t *vt;
};
struct store_worker {
    const store_vtable_t *vt;
};

/** Backend entry points, called by store_open for a matching URL. The url
 *  passed is the full original URL. */
int store__sqlite_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                       size_t errlen);
int store__pg_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                   size_t errlen);

#endif
