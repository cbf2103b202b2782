// The cache blocks of the sgemm driver, chosen at run time from this CPU's cache sizes.
//
// kc (the depth of a k block) is the same everywhere (VQK_SGEMM_KC): it decides the order of the
// additions and so the bits of every result. mc and nc only decide which rows and columns are
// multiplied while they share a cache, never a result, so they follow the caches:
//
//   nc: a group of packed B panels, kc × nc floats, is swept once per A panel of a task, so it should
//       stay in L2 beside the next group, which the microkernel calls fetch while they sweep this one
//       (sgemm_driver.c, `multiply_block`): a quarter of L2 each.
//   mc: a task's packed A block, mc × kc floats, is read once per group of B panels: an eighth of L2,
//       leaving the rest to C's tiles, which pass through on their way to and from L3.
//
// On an Emerald Rapids (2 MiB L2: mc 168, nc 320) these measured 1% above the halves and quarters
// taken before the next group was fetched ahead (336, 672), at n = 2048, one thread and two.
// Both are rounded down to the register tile (mr, nr) and kept between 4 and 32 tiles; with no cache
// size known, the kernel's own values (tuned on a 2 MiB L2) are used.
#include "CVQKernels.h"
#include "sgemm_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#if defined(__linux__)
#include <unistd.h>
#endif

/// The size in bytes of a cache of `level` (1: data) from /sys/devices/system/cpu/cpu0/cache, or 0.
static long linux_sysfs_cache(int level) {
#if defined(__linux__)
    for (int index = 0; index < 8; index++) {
        char path[96], text[32];
        long found_level = -1, size = 0;
        int is_data = 1;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *file = fopen(path, "r");
        if (file == NULL) break;
        if (fgets(text, sizeof text, file) != NULL) found_level = strtol(text, NULL, 10);
        fclose(file);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        if ((file = fopen(path, "r")) != NULL) {
            if (fgets(text, sizeof text, file) != NULL) is_data = text[0] != 'I';  // "Instruction"
            fclose(file);
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        if ((file = fopen(path, "r")) != NULL) {
            char *end = NULL;
            if (fgets(text, sizeof text, file) != NULL) size = strtol(text, &end, 10);
            if (end != NULL && (*end == 'K' || *end == 'k')) size *= 1024;
            else if (end != NULL && *end == 'M') size *= 1024 * 1024;
            fclose(file);
        }
        if (found_level == level && is_data && size > 0) return size;
    }
#endif
    (void)level;
    return 0;
}

/// The size in bytes of the level-`level` data cache, from the operating system; 0 when unknown.
static long os_cache_size(int level) {
    long size = linux_sysfs_cache(level);
#if defined(__linux__) && defined(_SC_LEVEL1_DCACHE_SIZE)
    if (size <= 0) {
        int name = level == 1 ? _SC_LEVEL1_DCACHE_SIZE : level == 2 ? _SC_LEVEL2_CACHE_SIZE : _SC_LEVEL3_CACHE_SIZE;
        size = sysconf(name);
    }
#elif defined(__APPLE__)
    if (size <= 0) {
        const char *name = level == 1 ? "hw.l1dcachesize" : level == 2 ? "hw.l2cachesize" : "hw.l3cachesize";
        long long value = 0;
        size_t length = sizeof value;
        if (sysctlbyname(name, &value, &length, NULL, 0) == 0) size = (long)value;
    }
#endif
    return size > 0 ? size : 0;
}

vqk_cache_sizes vqk_cpu_cache_sizes(void) {
    static _Atomic long cached[3] = {-1, -1, -1};  // -1: not read yet (reading twice is harmless)
    vqk_cache_sizes sizes;
    long *fields[3] = {&sizes.l1d, &sizes.l2, &sizes.l3};
    for (int level = 1; level <= 3; level++) {
        long size = atomic_load_explicit(&cached[level - 1], memory_order_relaxed);
        if (size < 0) {
            size = os_cache_size(level);
            atomic_store_explicit(&cached[level - 1], size, memory_order_relaxed);
        }
        *fields[level - 1] = size;
    }
    return sizes;
}

static long clamp_to_tiles(long value, long tile) {
    long tiles = value / tile;
    if (tiles < 4) tiles = 4;
    if (tiles > 32) tiles = 32;
    return tiles * tile;
}

vqk_sgemm_blocking vqk_sgemm_blocking_for(const vqk_sgemm_kernel *kernel, long l2_bytes) {
    if (l2_bytes <= 0) return (vqk_sgemm_blocking){.mc = kernel->mc, .nc = kernel->nc};
    long block_bytes = kernel->kc * (long)sizeof(float);  // one row (A) or column (B) of a k block
    return (vqk_sgemm_blocking){
        .mc = clamp_to_tiles(l2_bytes / 8 / block_bytes, kernel->mr),
        .nc = clamp_to_tiles(l2_bytes / 4 / block_bytes, kernel->nr),
    };
}
