/* A bounded queue of training jobs between one producer (the Python thread that encodes an iterable corpus)
 * and the training threads, which wait on it without the GIL.
 *
 * Why C and not queue.Queue: a training thread that goes back to Python between batches must win the GIL
 * from the producer, which holds it while it reads and encodes sentences; each hand-over can cost up to the
 * interpreter's switch interval (5 ms), longer than a batch takes to train. Here the training threads stay
 * in C for a whole epoch.
 *
 * The queue owns its job buffers: n_slots jobs, each an ids array and a sentence-ends array that grow to
 * the largest batch seen. A slot cycles free -> (producer fills it) -> ready -> (a trainer trains it) ->
 * free. Ready slots are taken in the order they were submitted.
 */
#ifndef W2VFAST_JOBQUEUE_H
#define W2VFAST_JOBQUEUE_H

#include <stdint.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
typedef SRWLOCK jq_mutex;
typedef CONDITION_VARIABLE jq_cond;
static int jq_mutex_init(jq_mutex *m) { InitializeSRWLock(m); return 0; }
static void jq_mutex_destroy(jq_mutex *m) { (void)m; }
static void jq_lock(jq_mutex *m) { AcquireSRWLockExclusive(m); }
static void jq_unlock(jq_mutex *m) { ReleaseSRWLockExclusive(m); }
static int jq_cond_init(jq_cond *c) { InitializeConditionVariable(c); return 0; }
static void jq_cond_destroy(jq_cond *c) { (void)c; }
static void jq_wait(jq_cond *c, jq_mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static void jq_signal(jq_cond *c) { WakeConditionVariable(c); }
static void jq_broadcast(jq_cond *c) { WakeAllConditionVariable(c); }
#else
#include <pthread.h>
typedef pthread_mutex_t jq_mutex;
typedef pthread_cond_t jq_cond;
static int jq_mutex_init(jq_mutex *m) { return pthread_mutex_init(m, NULL); }
static void jq_mutex_destroy(jq_mutex *m) { pthread_mutex_destroy(m); }
static void jq_lock(jq_mutex *m) { pthread_mutex_lock(m); }
static void jq_unlock(jq_mutex *m) { pthread_mutex_unlock(m); }
static int jq_cond_init(jq_cond *c) { return pthread_cond_init(c, NULL); }
static void jq_cond_destroy(jq_cond *c) { pthread_cond_destroy(c); }
static void jq_wait(jq_cond *c, jq_mutex *m) { pthread_cond_wait(c, m); }
static void jq_signal(jq_cond *c) { pthread_cond_signal(c); }
static void jq_broadcast(jq_cond *c) { pthread_cond_broadcast(c); }
#endif

typedef struct {
    int32_t *ids;           /* in-vocabulary token ids, sentences back to back */
    int32_t *ends;          /* end offset in ids of each sentence */
    int64_t ids_cap, ends_cap;
    int64_t n_ids;
    int64_t n_sentences;
    int64_t raw_words;      /* tokens the producer read for this job, out-of-vocabulary ones included */
} jq_job;

typedef struct {
    jq_mutex mu;
    jq_cond ready_cv;       /* a slot became ready, or the queue closed */
    jq_cond free_cv;        /* a slot became free, or the queue closed */
    int n_slots;
    jq_job *jobs;
    int *free_slots;        /* stack of free slot numbers */
    int n_free;
    int *ready;             /* ring of ready slot numbers, oldest at ready_head */
    int ready_head, n_ready;
    int closed;             /* no more jobs: trainers return once the ring is empty */
    int initialised;
} jq_queue;

static void jq_free(jq_queue *q) {
    int i;
    if (q->jobs != NULL) {
        for (i = 0; i < q->n_slots; i++) {
            free(q->jobs[i].ids);
            free(q->jobs[i].ends);
        }
    }
    free(q->jobs);
    free(q->free_slots);
    free(q->ready);
    q->jobs = NULL;
    q->free_slots = q->ready = NULL;
    if (q->initialised) {
        jq_cond_destroy(&q->ready_cv);
        jq_cond_destroy(&q->free_cv);
        jq_mutex_destroy(&q->mu);
        q->initialised = 0;
    }
}

/* 0 on success, -1 when out of memory or the primitives cannot be made. */
static int jq_init(jq_queue *q, int n_slots) {
    int i;
    q->n_slots = n_slots;
    q->jobs = (jq_job *)calloc((size_t)n_slots, sizeof(jq_job));
    q->free_slots = (int *)malloc((size_t)n_slots * sizeof(int));
    q->ready = (int *)malloc((size_t)n_slots * sizeof(int));
    q->initialised = 0;
    if (q->jobs == NULL || q->free_slots == NULL || q->ready == NULL) {
        jq_free(q);
        return -1;
    }
    if (jq_mutex_init(&q->mu) != 0) {
        jq_free(q);
        return -1;
    }
    if (jq_cond_init(&q->ready_cv) != 0) {
        jq_mutex_destroy(&q->mu);
        jq_free(q);
        return -1;
    }
    if (jq_cond_init(&q->free_cv) != 0) {
        jq_cond_destroy(&q->ready_cv);
        jq_mutex_destroy(&q->mu);
        jq_free(q);
        return -1;
    }
    q->initialised = 1;
    for (i = 0; i < n_slots; i++)
        q->free_slots[i] = n_slots - 1 - i;
    q->n_free = n_slots;
    q->ready_head = q->n_ready = 0;
    q->closed = 0;
    return 0;
}

/* Grow a slot's arrays to hold n_ids ids and n_ends sentences. 0, or -1 when out of memory. */
static int jq_job_reserve(jq_job *job, int64_t n_ids, int64_t n_ends) {
    if (n_ids > job->ids_cap) {
        int64_t cap = job->ids_cap * 2 > n_ids ? job->ids_cap * 2 : n_ids;
        int32_t *p = (int32_t *)realloc(job->ids, (size_t)cap * sizeof(int32_t));
        if (p == NULL) return -1;
        job->ids = p;
        job->ids_cap = cap;
    }
    if (n_ends > job->ends_cap) {
        int64_t cap = job->ends_cap * 2 > n_ends ? job->ends_cap * 2 : n_ends;
        int32_t *p = (int32_t *)realloc(job->ends, (size_t)cap * sizeof(int32_t));
        if (p == NULL) return -1;
        job->ends = p;
        job->ends_cap = cap;
    }
    return 0;
}

/* Producer: wait for a free slot. Returns its number, or -1 once the queue is closed. */
static int jq_acquire(jq_queue *q) {
    int slot = -1;
    jq_lock(&q->mu);
    while (q->n_free == 0 && !q->closed)
        jq_wait(&q->free_cv, &q->mu);
    if (!q->closed)
        slot = q->free_slots[--q->n_free];
    jq_unlock(&q->mu);
    return slot;
}

/* Give a slot back unused (the producer failed while filling it) or after training it. */
static void jq_release(jq_queue *q, int slot) {
    jq_lock(&q->mu);
    q->free_slots[q->n_free++] = slot;
    jq_signal(&q->free_cv);
    jq_unlock(&q->mu);
}

/* Producer: hand a filled slot to the trainers. Returns 0, or -1 when the queue was closed while the slot
 * was being filled: the slot goes back to the free stack untrained. Queuing it anyway could strand it
 * (the trainers may already have drained the ring and returned) and would break close()'s promise that
 * nothing more is queued. */
static int jq_submit(jq_queue *q, int slot) {
    int rc = 0;
    jq_lock(&q->mu);
    if (q->closed) {
        q->free_slots[q->n_free++] = slot;
        rc = -1;
    } else {
        q->ready[(q->ready_head + q->n_ready) % q->n_slots] = slot;
        q->n_ready++;
        jq_signal(&q->ready_cv);
    }
    jq_unlock(&q->mu);
    return rc;
}

/* Trainer: wait for the oldest ready slot. Returns it, or -1 when the queue is closed and drained. */
static int jq_take(jq_queue *q) {
    int slot = -1;
    jq_lock(&q->mu);
    while (q->n_ready == 0 && !q->closed)
        jq_wait(&q->ready_cv, &q->mu);
    if (q->n_ready > 0) {
        slot = q->ready[q->ready_head];
        q->ready_head = (q->ready_head + 1) % q->n_slots;
        q->n_ready--;
    }
    jq_unlock(&q->mu);
    return slot;
}

/* No more jobs: wake everyone (broadcast, so every waiting trainer and the producer see it, however many
 * wait). Trainers finish the ready slots, then return; jq_acquire and jq_submit refuse from now on.
 * Idempotent, and safe from any thread at any time while the queue exists. */
static void jq_close(jq_queue *q) {
    jq_lock(&q->mu);
    q->closed = 1;
    jq_broadcast(&q->ready_cv);
    jq_broadcast(&q->free_cv);
    jq_unlock(&q->mu);
}

#endif
