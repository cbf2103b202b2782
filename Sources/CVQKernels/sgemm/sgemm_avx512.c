// The AVX-512 sgemm implementation: a 12×32 register tile (24 zmm accumulators, two zmm of B per
// depth step, each A element broadcast straight from memory into the FMA), masked loads and stores
// for partial tiles, and masked-copy packing. Every function carries the AVX-512 target attribute,
// so this file needs no compiler flag; the dispatcher calls it only when the CPU has AVX-512F.
#include "CVQKernels.h"
#include "sgemm_internal.h"

#if VQK_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx2,fma,avx")))

// The register tile, also overridable for experiments: MR·NV accumulators + NV vectors of B + one
// broadcast must fit in the 32 zmm registers.
#ifndef AVX512_MR
#define AVX512_MR 12
#endif
#ifndef AVX512_NV
#define AVX512_NV 2
#endif

enum {
    MR = AVX512_MR,    // rows of C per tile: one broadcast A element each
    NV = AVX512_NV,    // zmm vectors of C per row
    NR = 16 * NV,      // columns of C per tile
};
_Static_assert(MR * NV + NV + 1 <= 32, "the AVX-512 tile must fit in the 32 zmm registers");

// How many depth steps ahead the microkernel prefetches its B panel into L1 (0: none). The panel
// (kc × NR floats, 48 KiB) does not fit in L1 beside the A panel, so its rows stream from L2; the
// hardware prefetcher alone left the kernel waiting on them. Distances of 16 to 48 steps (2 to 6 KiB
// ahead) measured alike on an Emerald Rapids, 8% to 12% above none (bench gemm, 1024 and 2048).
#ifndef AVX512_PREFETCH
#define AVX512_PREFETCH 32
#endif

// Cache blocks (see sgemm_driver.c); overridable at compile time for tuning experiments.
#ifndef AVX512_MC
#define AVX512_MC (16 * AVX512_MR)
#endif
#ifndef AVX512_NC
#define AVX512_NC 512
#endif

/// The lanes of vector `v` (16 floats, starting at column 16·v) that lie within the first `valid`.
static AVX512 VQK_ALWAYS_INLINE __mmask16 lanes_mask(long valid, long v) {
    long count = valid - 16 * v;
    if (count <= 0) return 0;
    if (count >= 16) return 0xFFFF;
    return (__mmask16)((1u << count) - 1);
}

/// Copies `depth` runs of `valid` (≤ width) floats, zero-padding each to `width`: the packing of
/// panels whose lanes are contiguous in memory (B as stored, or A stored transposed).
static AVX512 VQK_ALWAYS_INLINE void copy_lanes(float *restrict dst, const float *restrict src, long depth_stride,
                                                long valid, long depth, const long width) {
    enum { MAX_VECTORS = 4 };
    const long vectors = (width + 15) / 16;
    __mmask16 load_mask[MAX_VECTORS], store_mask[MAX_VECTORS];
    for (long v = 0; v < vectors; v++) {
        load_mask[v] = lanes_mask(valid, v);
        store_mask[v] = lanes_mask(width, v);
    }
    for (long p = 0; p < depth; p++) {
        for (long v = 0; v < vectors; v++) {
            __m512 x = _mm512_maskz_loadu_ps(load_mask[v], src + p * depth_stride + 16 * v);
            _mm512_mask_storeu_ps(dst + p * width + 16 * v, store_mask[v], x);
        }
    }
}

/// Transposes a 16×16 block held as 16 rows into 16 columns, in place: rows[i] lane j becomes
/// rows[j] lane i. Four rounds of 16 shuffles (32-bit, 64-bit, then 128-bit lanes twice).
static AVX512 VQK_ALWAYS_INLINE void transpose_16x16(__m512 rows[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {  // t: pairs of rows interleaved element by element
        t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {  // u[g + e]: in each 128-bit lane L, rows g..g+3 at column 4L + e
        __m512d t0 = _mm512_castps_pd(t[g]), t1 = _mm512_castps_pd(t[g + 1]);
        __m512d t2 = _mm512_castps_pd(t[g + 2]), t3 = _mm512_castps_pd(t[g + 3]);
        u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    for (int e = 0; e < 4; e++) {  // gather lane L of the four row groups: column 4L + e
        __m512 x0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x44), x1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xEE);
        __m512 x2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x44), x3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xEE);
        rows[e] = _mm512_shuffle_f32x4(x0, x2, 0x88);
        rows[4 + e] = _mm512_shuffle_f32x4(x0, x2, 0xDD);
        rows[8 + e] = _mm512_shuffle_f32x4(x1, x3, 0x88);
        rows[12 + e] = _mm512_shuffle_f32x4(x1, x3, 0xDD);
    }
}

/// Packs a panel whose lanes are contiguous along the depth (A as stored, or B stored transposed):
/// blocks of 16 lanes × 16 depth steps are loaded, transposed in registers and stored as 16 depth
/// steps of up to 16 lanes. Lanes at and past `valid` are zero.
static AVX512 VQK_ALWAYS_INLINE void transpose_lanes(float *restrict dst, const float *restrict src, long lane_stride,
                                                     long valid, long depth, const long width) {
    for (long p = 0; p < depth; p += 16) {
        long steps = depth - p < 16 ? depth - p : 16;
        __mmask16 depth_mask = lanes_mask(steps, 0);
        for (long lane = 0; lane < width; lane += 16) {
            __m512 block[16];
#pragma clang loop unroll(full)
            for (int i = 0; i < 16; i++) {
                long r = lane + i;
                block[i] = r < valid ? _mm512_maskz_loadu_ps(depth_mask, src + r * lane_stride + p) : _mm512_setzero_ps();
            }
            transpose_16x16(block);
            __mmask16 store_mask = lanes_mask(width - lane, 0);
#pragma clang loop unroll(full)
            for (int j = 0; j < 16; j++) {  // constant indices keep `block` in registers
                if (j < steps) _mm512_mask_storeu_ps(dst + (p + j) * width + lane, store_mask, block[j]);
            }
        }
    }
}

/// Packs an A panel (width MR). See `vqk_pack_panel_fn`.
static AVX512 void pack_a(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    if (lane_stride == 1) copy_lanes(dst, src, depth_stride, valid, depth, MR);
    else if (depth_stride == 1) transpose_lanes(dst, src, lane_stride, valid, depth, MR);
    else vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, MR);
}

/// Packs a B panel (width NR). See `vqk_pack_panel_fn`.
static AVX512 void pack_b(float *dst, const float *src, long lane_stride, long depth_stride, long valid, long depth) {
    if (lane_stride == 1) copy_lanes(dst, src, depth_stride, valid, depth, NR);
    else if (depth_stride == 1) transpose_lanes(dst, src, lane_stride, valid, depth, NR);
    else vqk_pack_panel_portable(dst, src, lane_stride, depth_stride, valid, depth, NR);
}

/// One depth step of the register tile: acc[r][v] += a[r] · b[16v : 16v+16] for every r and v.
static AVX512 VQK_ALWAYS_INLINE void multiply_step(__m512 acc[MR][NV], const float *restrict a,
                                                   const float *restrict b, long b_stride) {
    __m512 bv[NV];
#if AVX512_PREFETCH > 0
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) _mm_prefetch((const char *)(b + AVX512_PREFETCH * b_stride + 16 * v), _MM_HINT_T0);
#endif
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        __m512 ar = _mm512_set1_ps(a[r]);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
    }
}

/// C[rows×cols] (=|+=) A panel (depth × MR) · B panel (depth × NR). See `vqk_microkernel_fn`.
/// The depth loop keeps all MR×NV accumulators in registers, and fetches a few lines of `ahead`
/// every VQK_PREFETCH_STEPS steps; the edges are masked at the store.
static AVX512 void microkernel(long depth, const float *restrict a, const float *restrict b, long b_stride,
                               float *c, long ldc, int accumulate, long rows, long cols,
                               vqk_prefetch_stream *ahead) {
    __m512 acc[MR][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    }
    VQK_DEPTH_LOOP(depth, a, b, MR, b_stride, ahead, multiply_step(acc, a, b, b_stride));

    __mmask16 mask[NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) mask[v] = lanes_mask(cols, v);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *row = c + r * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) {
            __m512 x = acc[r][v];
            if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], row + 16 * v));
            _mm512_mask_storeu_ps(row + 16 * v, mask[v], x);
        }
    }
}

static const vqk_sgemm_kernel avx512_kernel = {
    .id = VQK_KERNEL_AVX512,
    .name = "avx512",
    .mr = MR,
    .nr = NR,
    .mc = AVX512_MC,
    .kc = VQK_SGEMM_KC,
    .nc = AVX512_NC,
    .pack_a = pack_a,
    .pack_b = pack_b,
    .microkernel = microkernel,
};

const vqk_sgemm_kernel *vqk_sgemm_kernel_avx512(void) { return &avx512_kernel; }

#else

const vqk_sgemm_kernel *vqk_sgemm_kernel_avx512(void) { return NULL; }

#endif
