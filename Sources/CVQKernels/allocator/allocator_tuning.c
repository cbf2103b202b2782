// glibc's malloc settings for a process that allocates and frees the same large buffers over and
// over (AllocatorTuning.swift says why). malloc.h is not part of Swift's Glibc module, hence C.
#include "CVQKernels.h"

#include <limits.h>  // on glibc this defines __GLIBC__ (through features.h), tested below
#if defined(__linux__)
#include <malloc.h>
#endif

int vqk_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // 1 GiB: every tensor comes from the heap, never from its own mmap; the threshold no longer moves.
    int mapped = mallopt(M_MMAP_THRESHOLD, 1 << 30);
    // Never hand the free top of the heap back to the system.
    int trimmed = mallopt(M_TRIM_THRESHOLD, INT_MAX);
    return mapped == 1 && trimmed == 1;
#else
    return 0;
#endif
}
