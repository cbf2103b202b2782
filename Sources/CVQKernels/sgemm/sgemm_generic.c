// The portable sgemm implementation, for every CPU: clang vector extensions (4-float vectors, which
// become SSE on x86-64 and NEON on arm64). The register tile is sized to the register file: 6×8 on
// x86-64 (12 accumulators of the 16 xmm registers), 8×12 on arm64 (24 of the 32 NEON registers).
// Partial tiles go through a small buffer.
//
// Every step is a fused multiply-add, as in the AVX2 and AVX-512 kernels, so that all three give the
// same bits (see `vqk_sgemm_kernel` in sgemm_internal.h). On x86-64 the microkernel is compiled
// twice: with the FMA instructions, chosen when the CPU has them, and without, where each fused
// multiply-add is libm's correctly rounded fmaf (slow, for CPUs older than 2013).
#include "CVQKernels.h"
#include "sgemm_internal.h"

#include <stdatomic.h>

typedef float f32x4 __attribute__((vector_size(16)));                  // aligned: packed panels
typedef float f32x4_unaligned __attribute__((vector_size(16), aligned(4)));  // anywhere in C

#if defined(__aarch64__)
enum { MR = 8, NV = 3 };
#else
enum { MR = 6, NV = 2 };
#endif
enum { NR = 4 * NV };

/// Packs an A panel (width MR). See `vqk_pack_panel_fn`.
static void pack_a(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, MR);
}

/// Packs a B panel (width NR). See `vqk_pack_panel_fn`.
static void pack_b(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, NR);
}

/// a · b + c per lane, rounded once.
static VQK_ALWAYS_INLINE f32x4 fused_multiply_add(f32x4 a, f32x4 b, f32x4 c) {
    return __builtin_elementwise_fma(a, b, c);
}

/// A full MR×NR tile: C (=|+=) A panel (depth × MR) · B panel (depth × NR).
static VQK_ALWAYS_INLINE void full_tile(long depth, const float *restrict a, const float *restrict b,
                                        long b_stride, float *c, long ldc, int accumulate) {
    f32x4 acc[MR][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = (f32x4){0, 0, 0, 0};
    }
    for (long p = 0; p < depth; p++) {
        f32x4 bv[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) bv[v] = *(const f32x4_unaligned *)(b + 4 * v);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            f32x4 ar = (f32x4){a[r], a[r], a[r], a[r]};
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) acc[r][v] = fused_multiply_add(ar, bv[v], acc[r][v]);
        }
        a += MR;
        b += b_stride;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) {
            f32x4_unaligned *to = (f32x4_unaligned *)(c + r * ldc + 4 * v);
            *to = accumulate ? *to + acc[r][v] : acc[r][v];
        }
    }
}

/// C[rows×cols] (=|+=) A panel · B panel. See `vqk_microkernel_fn`.
static VQK_ALWAYS_INLINE void any_tile(long depth, const float *restrict a, const float *restrict b, long b_stride,
                                       float *c, long ldc, int accumulate, long rows, long cols) {
    if (rows == MR && cols == NR) {
        full_tile(depth, a, b, b_stride, c, ldc, accumulate);
        return;
    }
    float tile[MR * NR] __attribute__((aligned(64)));
    full_tile(depth, a, b, b_stride, tile, NR, 0);
    vqk_store_tile_corner(tile, NR, c, ldc, accumulate, rows, cols);
}

#if VQK_X86
/// `any_tile` with the FMA instructions.
static __attribute__((target("fma"))) void microkernel_fma(long depth, const float *restrict a, const float *restrict b,
                                                            long b_stride, float *c, long ldc, int accumulate,
                                                            long rows, long cols) {
    any_tile(depth, a, b, b_stride, c, ldc, accumulate, rows, cols);
}

/// `any_tile` with libm's fmaf, for x86-64 CPUs without FMA.
static void microkernel_fmaf(long depth, const float *restrict a, const float *restrict b, long b_stride,
                             float *c, long ldc, int accumulate, long rows, long cols) {
    any_tile(depth, a, b, b_stride, c, ldc, accumulate, rows, cols);
}

/// The FMA microkernel when the CPU has FMA, else the fmaf one. See `vqk_microkernel_fn`; the
/// stream `ahead` is fetched at the start of the call (this kernel is the slow path anyway).
static void microkernel(long depth, const float *restrict a, const float *restrict b, long b_stride,
                        float *c, long ldc, int accumulate, long rows, long cols, vqk_prefetch_stream *ahead) {
    vqk_prefetch_to_l2(&ahead->next, vqk_prefetch_call_end(ahead), ahead->lines);
    static atomic_int has_fma = -1;  // -1: not asked yet (asking twice is harmless)
    int fma = atomic_load_explicit(&has_fma, memory_order_relaxed);
    if (fma < 0) {
        __builtin_cpu_init();
        fma = __builtin_cpu_supports("fma") ? 1 : 0;
        atomic_store_explicit(&has_fma, fma, memory_order_relaxed);
    }
    if (fma) microkernel_fma(depth, a, b, b_stride, c, ldc, accumulate, rows, cols);
    else microkernel_fmaf(depth, a, b, b_stride, c, ldc, accumulate, rows, cols);
}
#else
/// See `vqk_microkernel_fn`; the stream `ahead` is fetched at the start of the call.
static void microkernel(long depth, const float *restrict a, const float *restrict b, long b_stride,
                        float *c, long ldc, int accumulate, long rows, long cols, vqk_prefetch_stream *ahead) {
    vqk_prefetch_to_l2(&ahead->next, vqk_prefetch_call_end(ahead), ahead->lines);
    any_tile(depth, a, b, b_stride, c, ldc, accumulate, rows, cols);
}
#endif

static const vqk_sgemm_kernel generic_kernel = {
    .id = VQK_KERNEL_GENERIC,
    .name = "generic",
    .mr = MR,
    .nr = NR,
    .mc = 24 * MR,
    .kc = VQK_SGEMM_KC,
    .nc = 512,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .microkernel = microkernel,
};

const vqk_sgemm_kernel *vqk_sgemm_kernel_generic(void) { return &generic_kernel; }
