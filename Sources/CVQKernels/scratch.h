// Per-thread scratch buffers for the kernels' packed copies, kept between calls so that a product
// does not allocate (and page-fault in) fresh memory every time.
#ifndef VQK_SCRATCH_H
#define VQK_SCRATCH_H

#include <stddef.h>

/// A 64-byte aligned array of `capacity` floats.
typedef struct {
    float *data;
    size_t capacity;
} vqk_buffer;

/// The independent buffers each thread keeps (one per purpose, so that both can be in use at once).
enum {
    VQK_SCRATCH_PACKED_A = 0,
    VQK_SCRATCH_PACKED_B = 1,
    VQK_SCRATCH_SLOTS = 2
};

/// Takes this thread's buffer for `slot`, grown to hold at least `count` floats. Until it is given
/// back, a nested take of the same slot gets a separate buffer, so re-entrant use is safe.
/// Aborts when memory runs out.
vqk_buffer vqk_scratch_take(int slot, size_t count);

/// Returns a buffer taken from `slot` on this thread, to be reused by the next take.
void vqk_scratch_give_back(int slot, vqk_buffer buffer);

#endif
