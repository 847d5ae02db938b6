/* api_offload: a small pool of threads for blocking work (password hashing,
 * key fetching). A finished job travels back to the worker that owns its
 * request through that worker's h2o message queue, so `done` runs on the
 * request's own event-loop thread. */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/internal.h"

typedef struct offload_job {
    h2o_multithread_message_t msg; /* links the job into the worker's inbox */
    struct offload_job *next;      /* links the job into the pool's queue */
    http_worker_t *worker;
    api_req_t *req;
    void (*work)(void *arg);
    void (*done)(api_req_t *r, void *arg);
    void *arg;
} offload_job_t;

struct http_offload_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    offload_job_t *head, *tail;
    bool stopping;
    int n_threads;
    pthread_t *threads;
};

/* Runs jobs until the pool stops and its queue is empty. */
static void *offload_thread(void *arg)
{
    http_offload_pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        offload_job_t *job = p->head;
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);

        job->work(job->arg);
        h2o_multithread_send_message(&job->worker->offload, &job->msg);
    }
}

http_offload_pool_t *http__offload_new(int n)
{
    http_offload_pool_t *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->threads = xcalloc((size_t)n, sizeof(*p->threads));
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, offload_thread, p) != 0) {
            LOG_ERROR("cannot start a blocking-work thread");
            break;
        }
        p->n_threads++;
    }
    assert(p->n_threads > 0);
    return p;
}

void http__offload_free(http_offload_pool_t *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

void api_offload(api_req_t *r, void (*work)(void *arg), void (*done)(api_req_t *r, void *arg),
                 void *arg)
{
    http_req_t *hr = (http_req_t *)r;
    http_worker_t *w = hr->worker;
    http_offload_pool_t *p = w->server->offload;
    offload_job_t *job = xcalloc(1, sizeof(*job));
    job->worker = w;
    job->req = r;
    job->work = work;
    job->done = done;
    job->arg = arg;
    w->offload_pending++;

    pthread_mutex_lock(&p->lock);
    if (p->tail != NULL)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void http__offload_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    http_worker_t *w = H2O_STRUCT_FROM_MEMBER(http_worker_t, offload, receiver);
    /* Walk the list, then empty it in one go (h2o wants it empty on return). */
    h2o_linklist_t *node = messages->next;
    while (node != messages) {
        h2o_linklist_t *next = node->next;
        offload_job_t *job = H2O_STRUCT_FROM_MEMBER(offload_job_t, msg.link, node);
        api_req_t *r = job->req;
        void (*done)(api_req_t *, void *) = job->done;
        void *arg = job->arg;
        free(job);
        w->offload_pending--;
        done(r, arg);
        node = next;
    }
    h2o_linklist_init_anchor(messages);
}
