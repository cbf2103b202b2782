// Per-thread scratch buffers (see scratch.h). Each thread's buffers live in a small heap record
// found through a pthread key, whose destructor frees them when the thread exits.
#include "scratch.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(_WIN32)
#include <malloc.h>
#else
#include <pthread.h>
#endif

#if defined(__linux__)
#include <sys/mman.h>
#endif

/// Buffers at least this large are aligned to 2 MiB and offered to the kernel for transparent huge
/// pages: packed panels are walked in long strides, and huge pages spare the TLB.
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static void *allocate_aligned(size_t bytes) {
    size_t alignment = bytes >= HUGE_PAGE_BYTES ? HUGE_PAGE_BYTES : 64;
#if defined(_WIN32)
    return _aligned_malloc(bytes, alignment);
#else
    void *memory = NULL;
    if (posix_memalign(&memory, alignment, bytes) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (alignment == HUGE_PAGE_BYTES) madvise(memory, bytes - bytes % HUGE_PAGE_BYTES, MADV_HUGEPAGE);
#endif
    return memory;
#endif
}

static void free_aligned(void *memory) {
#if defined(_WIN32)
    _aligned_free(memory);
#else
    free(memory);
#endif
}

static vqk_buffer new_buffer(size_t count) {
    // Round up so that small growth steps do not reallocate each time.
    size_t capacity = count < 1024 ? 1024 : count + count / 8;
    vqk_buffer buffer = {allocate_aligned(capacity * sizeof(float)), capacity};
    if (buffer.data == NULL) abort();
    return buffer;
}

#if defined(_WIN32)

// No per-thread cache on Windows: allocate each time.
vqk_buffer vqk_scratch_take(int slot, size_t count) { (void)slot; return new_buffer(count); }
void vqk_scratch_give_back(int slot, vqk_buffer buffer) { (void)slot; free_aligned(buffer.data); }

#else

typedef struct {
    vqk_buffer slots[VQK_SCRATCH_SLOTS];
} thread_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_key_once = PTHREAD_ONCE_INIT;

static void free_thread_scratch(void *record) {
    thread_scratch *scratch = record;
    for (int slot = 0; slot < VQK_SCRATCH_SLOTS; slot++) free_aligned(scratch->slots[slot].data);
    free(scratch);
}

static void make_scratch_key(void) {
    if (pthread_key_create(&scratch_key, free_thread_scratch) != 0) abort();
}

/// This thread's record, created on first use.
static thread_scratch *this_thread_scratch(void) {
    pthread_once(&scratch_key_once, make_scratch_key);
    thread_scratch *scratch = pthread_getspecific(scratch_key);
    if (scratch == NULL) {
        scratch = calloc(1, sizeof *scratch);
        if (scratch == NULL || pthread_setspecific(scratch_key, scratch) != 0) abort();
    }
    return scratch;
}

vqk_buffer vqk_scratch_take(int slot, size_t count) {
    thread_scratch *scratch = this_thread_scratch();
    vqk_buffer kept = scratch->slots[slot];
    scratch->slots[slot] = (vqk_buffer){NULL, 0};
    if (kept.data != NULL && kept.capacity >= count) return kept;
    free_aligned(kept.data);
    return new_buffer(count);
}

void vqk_scratch_give_back(int slot, vqk_buffer buffer) {
    thread_scratch *scratch = this_thread_scratch();
    vqk_buffer *kept = &scratch->slots[slot];
    if (kept->data == NULL) {
        *kept = buffer;
    } else if (kept->capacity < buffer.capacity) {  // a nested take returned first: keep the larger
        free_aligned(kept->data);
        *kept = buffer;
    } else {
        free_aligned(buffer.data);
    }
}

#endif
