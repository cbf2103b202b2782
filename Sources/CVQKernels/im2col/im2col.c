// im2col and col2im (see VQEngine/Kernels/Im2col.swift for the layout), in two implementations:
// portable C, and AVX-512 with masked loads and stores. On the VQ-VAE's small maps (8×8, 16×16) a
// row of one tap is 8 or 16 floats, where a loop per element or a call to memcpy costs more than
// the copy; with AVX-512 a whole row is one masked load and one masked store (stride 2: two loads
// and a permutation), padding included, and masked-off lanes are never read. The loops go channel
// by channel so that one input plane stays in L1 while its kh·kw rows of columns are written in order.
// With AVX-512 the planned copies of im2col_planned.c run first (im2col at column stride 1, col2im at
// strides 1 and 2); the loops here take the geometries they do not plan.
#include "CVQKernels.h"
#include "../sgemm/sgemm_internal.h"
#include "im2col_planned.h"

#include <string.h>

#if VQK_X86
#include <immintrin.h>
#endif

static long signed_ceil_div(long n, long d) { return n >= 0 ? (n + d - 1) / d : -((-n) / d); }
static long clamp_long(long x, long lo, long hi) { return x < lo ? lo : (x > hi ? hi : x); }

/// The output positions p in [0, count) with 0 ≤ p·stride + offset < size: [*lower, *upper).
static void valid_range(long offset, long stride, long size, long count, long *lower, long *upper) {
    *lower = clamp_long(signed_ceil_div(-offset, stride), 0, count);
    *upper = clamp_long(signed_ceil_div(size - offset, stride), *lower, count);
}

/// Where tap (i, j) reads: valid output rows [y0, y1) and columns [x0, x1) (both empty if either
/// is), and the input row and column of output (0, 0), which may lie in the padding.
typedef struct { long y0, y1, x0, x1, row_offset, column_offset; } tap_window;

static tap_window window_of(const vqk_im2col_geometry *g, long i, long j) {
    tap_window w;
    w.row_offset = i * g->dilation_height - g->padding_height;
    w.column_offset = j * g->dilation_width - g->padding_width;
    valid_range(w.row_offset, g->stride_height, g->height, g->output_height, &w.y0, &w.y1);
    valid_range(w.column_offset, g->stride_width, g->width, g->output_width, &w.x0, &w.x1);
    if (w.y0 == w.y1 || w.x0 == w.x1) w.y0 = w.y1 = w.x0 = w.x1 = 0;
    return w;
}

/// The windows of every tap, in row-major tap order, worked out once per image rather than once per
/// channel (the divisions in `valid_range` cost as much as copying an 8-float row).
#define MAX_CACHED_TAPS 64
typedef struct { tap_window taps[MAX_CACHED_TAPS]; int cached; } tap_windows;

static void windows_of(const vqk_im2col_geometry *g, tap_windows *w) {
    w->cached = g->kernel_height * g->kernel_width <= MAX_CACHED_TAPS;
    if (!w->cached) return;
    for (long i = 0; i < g->kernel_height; i++) {
        for (long j = 0; j < g->kernel_width; j++) w->taps[i * g->kernel_width + j] = window_of(g, i, j);
    }
}

static inline tap_window tap(const vqk_im2col_geometry *g, const tap_windows *w, long i, long j) {
    return w->cached ? w->taps[i * g->kernel_width + j] : window_of(g, i, j);
}

// MARK: - Portable

static void im2col_generic(const vqk_im2col_geometry *g, const float *image, float *columns, long column_stride) {
    tap_windows windows;
    windows_of(g, &windows);
    long wo = g->output_width, ho = g->output_height, area = g->height * g->width;
    for (long c = 0; c < g->channels; c++) {
        const float *plane = image + c * area;
        for (long i = 0; i < g->kernel_height; i++) {
            for (long j = 0; j < g->kernel_width; j++) {
                tap_window w = tap(g, &windows, i, j);
                float *row = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * column_stride;
                for (long y = 0; y < ho; y++) {
                    float *d = row + y * wo;
                    if (y < w.y0 || y >= w.y1) { memset(d, 0, (size_t)wo * sizeof(float)); continue; }
                    long base = (y * g->stride_height + w.row_offset) * g->width + w.column_offset;
                    for (long x = 0; x < w.x0; x++) d[x] = 0;
                    for (long x = w.x0; x < w.x1; x++) d[x] = plane[base + x * g->stride_width];
                    for (long x = w.x1; x < wo; x++) d[x] = 0;
                }
            }
        }
    }
}

static void col2im_generic(const vqk_im2col_geometry *g, const float *columns, long column_stride, float *image) {
    tap_windows windows;
    windows_of(g, &windows);
    long wo = g->output_width, area = g->height * g->width;
    for (long c = 0; c < g->channels; c++) {
        float *plane = image + c * area;
        memset(plane, 0, (size_t)area * sizeof(float));
        for (long i = 0; i < g->kernel_height; i++) {
            for (long j = 0; j < g->kernel_width; j++) {
                tap_window w = tap(g, &windows, i, j);
                const float *row = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * column_stride;
                for (long y = w.y0; y < w.y1; y++) {
                    const float *s = row + y * wo;
                    long base = (y * g->stride_height + w.row_offset) * g->width + w.column_offset;
                    for (long x = w.x0; x < w.x1; x++) plane[base + x * g->stride_width] += s[x];
                }
            }
        }
    }
}

// MARK: - AVX-512

#if VQK_X86
#define AVX512 __attribute__((target("avx512f")))

/// Bit t of a 16-bit mask moved to bit 2t of a 32-bit one.
static inline unsigned spread_even(unsigned m) {
    m = (m | (m << 8)) & 0x00FF00FFu;
    m = (m | (m << 4)) & 0x0F0F0F0Fu;
    m = (m | (m << 2)) & 0x33333333u;
    m = (m | (m << 1)) & 0x55555555u;
    return m;
}

/// Lanes [lo, hi) of 16 set, the bounds clamped to [0, 16]: a block that lies wholly past a tap's
/// valid columns has hi < 0, and a shift by a negative count would be undefined (x86 takes it modulo
/// 32 and set lanes that read the padding).
static inline unsigned lane_mask(long lo, long hi) {
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    unsigned upper = hi == 16 ? 0xFFFFu : ((1u << hi) - 1u);
    unsigned lower = (1u << lo) - 1u;
    return upper & ~lower;
}

AVX512 static void im2col_avx512(const vqk_im2col_geometry *g, const float *image, float *columns, long column_stride) {
    tap_windows windows;
    windows_of(g, &windows);
    long wo = g->output_width, ho = g->output_height, area = g->height * g->width;
    long sh = g->stride_height, sw = g->stride_width, width = g->width;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i steps = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32((int)sw));
    const __m512 zero = _mm512_setzero_ps();
    for (long c = 0; c < g->channels; c++) {
        const float *plane = image + c * area;
        for (long i = 0; i < g->kernel_height; i++) {
            for (long j = 0; j < g->kernel_width; j++) {
                tap_window w = tap(g, &windows, i, j);
                float *row = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * column_stride;
                for (long xb = 0; xb < wo; xb += 16) {
                    long lanes = wo - xb < 16 ? wo - xb : 16;
                    __mmask16 store = (__mmask16)lane_mask(0, lanes);
                    unsigned valid = lane_mask(w.x0 - xb, w.x1 - xb < lanes ? w.x1 - xb : lanes);
                    unsigned pairs = spread_even(valid);
                    for (long y = 0; y < ho; y++) {
                        float *d = row + y * wo + xb;
                        if (y < w.y0 || y >= w.y1 || valid == 0) { _mm512_mask_storeu_ps(d, store, zero); continue; }
                        // Masked-off lanes are neither read nor faulted on, so the base may point into
                        // the padding before the row.
                        long base = (y * sh + w.row_offset) * width + w.column_offset + xb * sw;
                        __m512 v;
                        if (sw == 1) {
                            v = _mm512_maskz_loadu_ps((__mmask16)valid, plane + base);
                        } else if (sw == 2) {
                            __m512 lo = _mm512_maskz_loadu_ps((__mmask16)(pairs & 0xFFFFu), plane + base);
                            __m512 hi = _mm512_maskz_loadu_ps((__mmask16)(pairs >> 16), plane + base + 16);
                            v = _mm512_permutex2var_ps(lo, even, hi);
                        } else {
                            v = _mm512_mask_i32gather_ps(zero, (__mmask16)valid, steps, plane + base, 4);
                        }
                        _mm512_mask_storeu_ps(d, store, v);
                    }
                }
            }
        }
    }
}

AVX512 static void col2im_avx512(const vqk_im2col_geometry *g, const float *columns, long column_stride, float *image) {
    tap_windows windows;
    windows_of(g, &windows);
    long wo = g->output_width, area = g->height * g->width;
    long sh = g->stride_height, sw = g->stride_width, width = g->width;
    const __m512i spread_lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m512i spread_hi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    for (long c = 0; c < g->channels; c++) {
        float *plane = image + c * area;
        memset(plane, 0, (size_t)area * sizeof(float));
        for (long i = 0; i < g->kernel_height; i++) {
            for (long j = 0; j < g->kernel_width; j++) {
                tap_window w = tap(g, &windows, i, j);
                const float *row = columns + ((c * g->kernel_height + i) * g->kernel_width + j) * column_stride;
                for (long xb = w.x0 - w.x0 % 16; xb < w.x1; xb += 16) {
                    unsigned valid = lane_mask(w.x0 - xb, w.x1 - xb);
                    unsigned pairs = spread_even(valid);
                    for (long y = w.y0; y < w.y1; y++) {
                        __m512 s = _mm512_maskz_loadu_ps((__mmask16)valid, row + y * wo + xb);
                        float *p = plane + (y * sh + w.row_offset) * width + w.column_offset + xb * sw;
                        if (sw == 1) {
                            __m512 v = _mm512_maskz_loadu_ps((__mmask16)valid, p);
                            _mm512_mask_storeu_ps(p, (__mmask16)valid, _mm512_add_ps(v, s));
                        } else if (sw == 2) {
                            __mmask16 lo = (__mmask16)(pairs & 0xFFFFu), hi = (__mmask16)(pairs >> 16);
                            __m512 a = _mm512_maskz_loadu_ps(lo, p);
                            _mm512_mask_storeu_ps(p, lo, _mm512_add_ps(a, _mm512_permutexvar_ps(spread_lo, s)));
                            __m512 b = _mm512_maskz_loadu_ps(hi, p + 16);
                            _mm512_mask_storeu_ps(p + 16, hi, _mm512_add_ps(b, _mm512_permutexvar_ps(spread_hi, s)));
                        } else {
                            float lanes[16];
                            _mm512_storeu_ps(lanes, s);
                            for (long t = 0; t < 16; t++) {
                                if (valid & (1u << t)) p[t * sw] += lanes[t];
                            }
                        }
                    }
                }
            }
        }
    }
}
#endif

// MARK: - Dispatch

static int im2col_implementation(int kernel) {
    int id = vqk_kernel_resolved(kernel);
    if (id < 0) return -1;
#if VQK_X86
    if (id == VQK_KERNEL_AVX512) return VQK_KERNEL_AVX512;
#endif
    return VQK_KERNEL_GENERIC;
}

int vqk_im2col(int kernel, const vqk_im2col_geometry *geometry, const float *image, float *columns, long column_stride) {
    int id = im2col_implementation(kernel);
    if (id < 0) return -1;
#if VQK_X86
    if (id == VQK_KERNEL_AVX512) {
        if (!vqk_im2col_planned_avx512(geometry, image, columns, column_stride)) {
            im2col_avx512(geometry, image, columns, column_stride);
        }
        return 0;
    }
#endif
    im2col_generic(geometry, image, columns, column_stride);
    return 0;
}

int vqk_col2im(int kernel, const vqk_im2col_geometry *geometry, const float *columns, long column_stride, float *image) {
    int id = im2col_implementation(kernel);
    if (id < 0) return -1;
#if VQK_X86
    if (id == VQK_KERNEL_AVX512) {
        if (!vqk_col2im_planned_avx512(geometry, columns, column_stride, image)) {
            col2im_avx512(geometry, columns, column_stride, image);
        }
        return 0;
    }
#endif
    col2im_generic(geometry, columns, column_stride, image);
    return 0;
}
