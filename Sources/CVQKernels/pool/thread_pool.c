// A small pool of threads that stay awake between parallel loops (see CVQKernels.h, vqk_pool_run).
//
// A training step runs a hundred or more short parallel loops (each convolution, ReLU, addition,
// the Adam update), separated by short serial stretches. Waking a sleeping thread for each loop (as
// Dispatch's concurrentPerform does) costs tens of microseconds every time; here the helpers spin
// for a while (SPIN_NANOSECONDS) after a loop before they sleep, so the next loop starts at once.
//
// One loop at a time: `job` packs the loop's generation (high 32 bits) and its next index (low 32
// bits) into one atomic word, so a helper that arrives late for one loop can never take an index of
// the next (its compare-and-swap fails when the generation has moved on). The caller takes indices
// too and returns when `remaining` reaches zero. A call made while the pool is busy (from a loop's
// task, or from another thread) is refused (1) and the caller runs it some other way.
#include "CVQKernels.h"

#if !defined(_WIN32)
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long a helper keeps looking for the next loop before it sleeps (a training step's serial
/// stretches between loops are far shorter; an idle process stops spinning after this).
#define SPIN_NANOSECONDS 2000000L
#define MAX_HELPERS 255

static struct {
    pthread_once_t once;
    long helpers;  // started helper threads (detached; they live as long as the process)
    // The current loop (atomic only so that a late helper's read of a stale loop is well defined;
    // it then finds the generation moved on and runs nothing).
    _Atomic(vqk_task) task;
    _Atomic(void *) context;
    _Atomic long count;
    _Atomic uint64_t job;       // generation << 32 | next index
    _Atomic long remaining;     // indices not yet finished
    _Atomic int busy;           // a caller owns the pool
    // Sleeping.
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    _Atomic int sleepers;
} pool = {.once = PTHREAD_ONCE_INIT, .mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static long requested_helpers = 0;

static uint64_t generation_of(uint64_t job) { return job >> 32; }

static long nanoseconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000000000L + now.tv_nsec;
}

/// Runs indices of loop `generation` until none is left; returns when the loop has moved on or ended.
static void take_indices(uint64_t generation, vqk_task task, void *context, long count) {
    uint64_t job = atomic_load_explicit(&pool.job, memory_order_acquire);
    while (generation_of(job) == generation && (long)(job & 0xFFFFFFFFu) < count) {
        if (atomic_compare_exchange_weak_explicit(&pool.job, &job, job + 1, memory_order_acq_rel, memory_order_acquire)) {
            task(context, (long)(job & 0xFFFFFFFFu));
            atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_acq_rel);
            job = atomic_load_explicit(&pool.job, memory_order_acquire);
        }
    }
}

/// Waits (spinning, then sleeping) until the generation differs from `seen`; returns the new job word.
static uint64_t wait_for_next(uint64_t seen) {
    long started = nanoseconds_now();
    for (long spins = 0;; spins++) {
        uint64_t job = atomic_load_explicit(&pool.job, memory_order_acquire);
        if (generation_of(job) != seen) return job;
        CPU_RELAX();
        if ((spins & 255) == 255 && nanoseconds_now() - started > SPIN_NANOSECONDS) break;
    }
    pthread_mutex_lock(&pool.mutex);
    atomic_fetch_add(&pool.sleepers, 1);  // sequentially consistent: pairs with the caller's check
    uint64_t job;
    while (generation_of(job = atomic_load(&pool.job)) == seen) pthread_cond_wait(&pool.wake, &pool.mutex);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.mutex);
    return job;
}

/// Whether this thread is running a task of the pool's current loop (nested loops run inline).
static _Thread_local int inside_loop = 0;

static void *helper_main(void *unused) {
    (void)unused;
    inside_loop = 1;  // helpers only ever run loop tasks
    uint64_t seen = generation_of(atomic_load(&pool.job));
    for (;;) {
        uint64_t job = wait_for_next(seen);
        seen = generation_of(job);
        // The loop's fields were written before its generation was published (release).
        take_indices(seen, atomic_load_explicit(&pool.task, memory_order_relaxed),
                     atomic_load_explicit(&pool.context, memory_order_relaxed),
                     atomic_load_explicit(&pool.count, memory_order_relaxed));
    }
    return NULL;
}

static void start_pool(void) {
    long helpers = requested_helpers < MAX_HELPERS ? requested_helpers : MAX_HELPERS;
    for (long i = 0; i < helpers; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, helper_main, NULL) != 0) break;
        pthread_detach(thread);
        pool.helpers++;
    }
}

static void run_inline(long count, vqk_task task, void *context) {
    for (long index = 0; index < count; index++) task(context, index);
}

int vqk_pool_run(long threads, long count, vqk_task task, void *context) {
    if (count <= 0) return 0;
    if (inside_loop || threads <= 1 || count == 1) {
        run_inline(count, task, context);
        return 0;
    }
    if (count > 0xFFFFFFFFL) return 1;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&pool.busy, &expected, 1)) return 1;
    requested_helpers = threads - 1;
    pthread_once(&pool.once, start_pool);
    if (pool.helpers == 0) {
        atomic_store(&pool.busy, 0);
        return 1;
    }
    atomic_store_explicit(&pool.task, task, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.count, count, memory_order_relaxed);
    atomic_store_explicit(&pool.remaining, count, memory_order_relaxed);
    uint64_t generation = generation_of(atomic_load(&pool.job)) + 1;
    atomic_store(&pool.job, (generation & 0xFFFFFFFFu) << 32);  // sequentially consistent publish
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mutex);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mutex);
    }
    inside_loop = 1;
    take_indices(generation & 0xFFFFFFFFu, task, context, count);
    inside_loop = 0;
    while (atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0) CPU_RELAX();
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
    return 0;
}

int vqk_pool_inside_loop(void) { return inside_loop; }

#else

int vqk_pool_run(long threads, long count, vqk_task task, void *context) {
    (void)threads; (void)count; (void)task; (void)context;
    return 1;
}

int vqk_pool_inside_loop(void) { return 0; }

#endif
