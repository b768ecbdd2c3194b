/* SPDX-License-Identifier: Apache-2.0 */
/* exec_par.c — the reference executor's own threads (module exec_par_).
 *
 * A plan with more than one thread (exec_opts.threads; 0: the CPUs the
 * process may use, its affinity) owns a small pool, created at its first parallel region (so a forked
 * child starts its own) and joined by exec_plan_free. exec_par_for splits
 * [0, n) into at most one contiguous range per thread, each at least
 * `grain` long, and runs them on the pool and the calling thread; the range
 * index is passed along so kernels can keep per-range scratch, and the
 * split depends only on n, grain and the thread count (deterministic).
 * Thread i takes range i when it is there to take it, so consecutive
 * regions split alike leave each range's data in the cache of the CPU that
 * reads it next (a 3x3 Winograd layer alone, two threads: 0.61 -> 0.54 ms). The
 * kernels split convolutions by output columns, or by output channels when
 * the image is small (exec_conv.c's GEMM, or im2col and a single-threaded
 * sgemm per range in exec_math.c), linear layers by output features, and
 * elementwise work, pooling and the per-op statistics by elements or
 * planes; the BLAS itself then runs single-threaded, so its threads never
 * compete with these. Workers spin briefly for the next region (regions
 * come every few hundred microseconds while a model runs) before sleeping
 * on a condition variable. */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1 /* _SC_NPROCESSORS_ONLN */
#elif defined(__linux__)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include <pthread.h>
#include <sched.h> /* sched_yield */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec_blas.h"
#include "exec_internal.h"

#define PAR_MAX_THREADS 64
#define PAR_SPINS 20000

typedef struct {
    exec_pool *pl;
    size_t self; /* the ranges' index this thread takes first */
} par_arg;

struct exec_pool {
    int n;                         /* threads, the caller included */
    pthread_t th[PAR_MAX_THREADS];
    par_arg args[PAR_MAX_THREADS];
    int started;                   /* workers created */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    /* the current region */
    exec_par_fn fn;
    void *arg;
    size_t n_items;
    atomic_size_t n_ranges;
    /* range r of region g is open while claim[r] == 2g and taken by the CAS
     * that makes it 2g + 1. Slots start odd (taken), and every range a
     * region opens is taken before the next region opens any, so the only
     * even slots are the current region's open ranges: a thread holding a
     * stale generation expects a value no slot has (also once the 32-bit
     * generation wraps to 0), and never takes a range of a region that is
     * not the one it read the fields of. Thread i (the caller is 0) takes range
     * i first, so a range's data stays in one CPU's caches from region to
     * region (resnet's layers split alike); any thread then takes what is
     * still open (a worker slow to wake, or more ranges than threads). */
    _Atomic uint64_t claim[PAR_MAX_THREADS];
    atomic_size_t pending;         /* ranges not finished */
    atomic_uint gen;               /* region generation (wakes the workers) */
    atomic_int stop;
};

/* one step of a spin wait; now and then the CPU goes to whoever else is
 * ready to run on it: when the machine has more runnable threads than CPUs
 * (tests run side by side, or another process), the thread spun for may be
 * the one waiting for this CPU */
static inline void par_spin(int i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((i & 255) == 255) sched_yield();
}

static void par_range(const exec_pool *pl, size_t r, size_t *b, size_t *e) {
    size_t nr = atomic_load_explicit(&pl->n_ranges, memory_order_relaxed);
    size_t per = pl->n_items / nr, extra = pl->n_items % nr;
    *b = r * per + (r < extra ? r : extra);
    *e = *b + per + (r < extra ? 1 : 0);
}

static void par_run(exec_pool *pl, uint64_t g, size_t r) {
    /* range r of region g is ours and unfinished: the fields are g's */
    size_t b, e;
    par_range(pl, r, &b, &e);
    pl->fn(pl->arg, b, e, (int)r);
    if (atomic_fetch_sub(&pl->pending, 1) == 1) {
        pthread_mutex_lock(&pl->mu);
        pthread_cond_signal(&pl->cv_done);
        pthread_mutex_unlock(&pl->mu);
    }
}

static bool par_take(exec_pool *pl, uint64_t g, size_t r) {
    uint64_t open = 2 * g;
    return atomic_load_explicit(&pl->claim[r], memory_order_relaxed) == open &&
           atomic_compare_exchange_strong(&pl->claim[r], &open, 2 * g + 1);
}

/* thread `self` runs ranges of region `g`: its own, then any still open */
static void par_work(exec_pool *pl, uint64_t g, size_t self) {
    size_t nr = atomic_load_explicit(&pl->n_ranges, memory_order_relaxed);
    if (nr > PAR_MAX_THREADS) nr = PAR_MAX_THREADS; /* a later region's count: its slots refuse g */
    if (self < nr && par_take(pl, g, self)) par_run(pl, g, self);
    for (size_t r = 0; r < nr; r++)
        if (par_take(pl, g, r)) par_run(pl, g, r);
}

static void *par_main(void *arg) {
    exec_pool *pl = ((par_arg *)arg)->pl;
    size_t self = ((par_arg *)arg)->self;
    unsigned seen = atomic_load(&pl->gen);
    for (;;) {
        for (int i = 0; i < PAR_SPINS && atomic_load(&pl->gen) == seen && !atomic_load(&pl->stop); i++) par_spin(i);
        if (atomic_load(&pl->gen) == seen && !atomic_load(&pl->stop)) {
            pthread_mutex_lock(&pl->mu);
            while (atomic_load(&pl->gen) == seen && !atomic_load(&pl->stop)) pthread_cond_wait(&pl->cv_work, &pl->mu);
            pthread_mutex_unlock(&pl->mu);
        }
        if (atomic_load(&pl->stop)) break;
        seen = atomic_load(&pl->gen);
        par_work(pl, seen, self);
    }
    return NULL;
}

int exec_par_threads(const exec_plan *p) {
    int t = p->opts.threads;
    if (t <= 0) {
        /* the CPUs this process may run on: under `taskset -c 0` (or a
         * container's cpuset) one, not every CPU of the machine */
        long n = -1;
#if defined(__linux__)
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
        if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
        t = n > 0 ? (int)n : 1;
    }
    return t > PAR_MAX_THREADS ? PAR_MAX_THREADS : t;
}

int exec_threads(const exec_plan *p) { return p ? exec_par_threads(p) : 1; }

static exec_pool *par_pool(exec_plan *p) {
    if (p->par) return p->par;
    int t = exec_par_threads(p);
    if (t <= 1) return NULL;
    exec_pool *pl = calloc(1, sizeof *pl);
    if (!pl) return NULL;
    pl->n = t;
    for (int r = 0; r < PAR_MAX_THREADS; r++) atomic_init(&pl->claim[r], 1);
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv_work, NULL);
    pthread_cond_init(&pl->cv_done, NULL);
    for (int i = 1; i < t; i++) {
        pl->args[i] = (par_arg){pl, (size_t)i};
        if (pthread_create(&pl->th[i], NULL, par_main, &pl->args[i]) != 0) break;
        pl->started++;
    }
    if (!pl->started) {
        pthread_mutex_destroy(&pl->mu);
        pthread_cond_destroy(&pl->cv_work);
        pthread_cond_destroy(&pl->cv_done);
        free(pl);
        return NULL;
    }
    pl->n = pl->started + 1;
    p->par = pl;
    return pl;
}

void exec_par_for(exec_plan *p, size_t n, size_t grain, exec_par_fn fn, void *arg) {
    if (!n) return;
    if (grain < 1) grain = 1;
    exec_pool *pl = n >= 2 * grain ? par_pool(p) : NULL;
    size_t ranges = pl ? n / grain : 1;
    if (pl && ranges > (size_t)pl->n) ranges = (size_t)pl->n;
    if (!pl || ranges < 2) {
        fn(arg, 0, n, 0);
        return;
    }
    /* region g: its fields, then its ranges opened, then the workers woken.
     * Every range of the last region is finished (pending was 0), so no
     * slot below holds a value that region's late readers could take. */
    unsigned g = atomic_load(&pl->gen) + 1;
    pl->fn = fn;
    pl->arg = arg;
    pl->n_items = n;
    atomic_store_explicit(&pl->n_ranges, ranges, memory_order_relaxed);
    atomic_store(&pl->pending, ranges);
    for (size_t r = 0; r < ranges; r++) atomic_store_explicit(&pl->claim[r], 2 * (uint64_t)g, memory_order_release);
    pthread_mutex_lock(&pl->mu);
    atomic_store(&pl->gen, g);
    pthread_cond_broadcast(&pl->cv_work);
    pthread_mutex_unlock(&pl->mu);
    par_work(pl, g, 0);
    for (int i = 0; i < PAR_SPINS && atomic_load(&pl->pending); i++) par_spin(i);
    if (atomic_load(&pl->pending)) {
        pthread_mutex_lock(&pl->mu);
        while (atomic_load(&pl->pending)) pthread_cond_wait(&pl->cv_done, &pl->mu);
        pthread_mutex_unlock(&pl->mu);
    }
}

int exec_par_ranges(exec_plan *p, size_t n, size_t grain) {
    if (!n || grain < 1) return 1;
    if (n < 2 * grain) return 1;
    int t = p->par ? p->par->n : exec_par_threads(p);
    size_t r = n / grain;
    return r > (size_t)t ? t : (int)r;
}

void exec_par_free(exec_plan *p) {
    exec_pool *pl = p->par;
    if (!pl) return;
    pthread_mutex_lock(&pl->mu);
    atomic_store(&pl->stop, 1);
    pthread_cond_broadcast(&pl->cv_work);
    pthread_mutex_unlock(&pl->mu);
    for (int i = 1; i <= pl->started; i++) pthread_join(pl->th[i], NULL);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv_work);
    pthread_cond_destroy(&pl->cv_done);
    free(pl);
    p->par = NULL;
}
