// The AVX2+FMA sgemm implementation: a 6×16 register tile (12 ymm accumulators, two ymm of B and
// one broadcast A element per step: 15 of the 16 ymm registers). Partial tiles are computed into a
// small buffer and their valid corner copied out. Every function carries the AVX2/FMA target
// attribute; the dispatcher calls it only when the CPU has both.
#include "CVQKernels.h"
#include "sgemm_internal.h"

#if VQK_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,avx")))

enum {
    MR = 6,            // rows of C per tile
    NV = 2,            // ymm vectors of C per row
    NR = 8 * NV,       // columns of C per tile
};

// How many depth steps ahead the microkernel prefetches its B panel (0: none), as the AVX-512 kernel does.
#ifndef AVX2_PREFETCH
#define AVX2_PREFETCH 32
#endif

/// Packs an A panel (width MR). See `vqk_pack_panel_fn`.
static AVX2 void pack_a(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, MR);
}

/// Packs a B panel (width NR). See `vqk_pack_panel_fn`.
static AVX2 void pack_b(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, NR);
}

/// One depth step of the register tile: acc[r][v] += a[r] · b[8v : 8v+8] for every r and v.
static AVX2 VQK_ALWAYS_INLINE void multiply_step(__m256 acc[MR][NV], const float *restrict a,
                                                 const float *restrict b, long b_stride) {
    __m256 bv[NV];
#if AVX2_PREFETCH > 0
    _mm_prefetch((const char *)(b + AVX2_PREFETCH * b_stride), _MM_HINT_T0);  // a B row is one cache line
#endif
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        __m256 ar = _mm256_broadcast_ss(a + r);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
    }
}

/// A full MR×NR tile: C (=|+=) A panel (depth × MR) · B panel (depth × NR), fetching a few lines of
/// `ahead` every VQK_PREFETCH_STEPS steps.
static AVX2 VQK_ALWAYS_INLINE void full_tile(long depth, const float *restrict a, const float *restrict b,
                                             long b_stride, float *c, long ldc, int accumulate,
                                             vqk_prefetch_stream *ahead) {
    __m256 acc[MR][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    }
    VQK_DEPTH_LOOP(depth, a, b, MR, b_stride, ahead, multiply_step(acc, a, b, b_stride));

#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) {
            float *to = c + r * ldc + 8 * v;
            __m256 x = accumulate ? _mm256_add_ps(acc[r][v], _mm256_loadu_ps(to)) : acc[r][v];
            _mm256_storeu_ps(to, x);
        }
    }
}

/// C[rows×cols] (=|+=) A panel · B panel. See `vqk_microkernel_fn`.
static AVX2 void microkernel(long depth, const float *restrict a, const float *restrict b, long b_stride,
                             float *c, long ldc, int accumulate, long rows, long cols, vqk_prefetch_stream *ahead) {
    if (rows == MR && cols == NR) {
        full_tile(depth, a, b, b_stride, c, ldc, accumulate, ahead);
        return;
    }
    float tile[MR * NR] __attribute__((aligned(64)));
    full_tile(depth, a, b, b_stride, tile, NR, 0, ahead);
    vqk_store_tile_corner(tile, NR, c, ldc, accumulate, rows, cols);
}

static const vqk_sgemm_kernel avx2_kernel = {
    .id = VQK_KERNEL_AVX2,
    .name = "avx2",
    .mr = MR,
    .nr = NR,
    .mc = 24 * MR,
    .kc = VQK_SGEMM_KC,
    .nc = 512,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .microkernel = microkernel,
};

const vqk_sgemm_kernel *vqk_sgemm_kernel_avx2(void) { return &avx2_kernel; }

#else

const vqk_sgemm_kernel *vqk_sgemm_kernel_avx2(void) { return NULL; }

#endif
