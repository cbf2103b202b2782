// col2im for AVX-512 with the per-channel work planned once per call.
//
// Every channel of an image is summed the same way: which column entries land in which lanes of
// the image depends on the tap, the position and the geometry, never on the channel. So the sums
// are worked out once, as a plan of vectors (16-float blocks of image rows), each the sum of
// "pieces" (one masked load of a row of columns, with column stride 2 also a permutation that
// spreads it to every other lane), then replayed for every channel without branches or divisions,
// each block stored once. The tap-by-tap scatter (im2col.c) instead adds shifted, overlapping rows
// into the image, and each masked load then waits for the masked store before it.
//
// im2col with column stride 1 is planned the same way, one piece per row of a tap's output (a masked
// load and a masked store), so that the per-channel loop is the copies alone. Assembling whole
// 16-float vectors of columns from several rows' pieces instead measured slower (18 → 28 µs on 7×7
// maps): the varying number of pieces per vector costs more than the stores saved.
//
// Measured on the VQ-VAE's maps (one image, best of 3000 runs, one core), before → after:
//   col2im 128×7×7 from 3×3 taps 66-75 → 11 µs, 128×8×8 77 → 12.5 µs,
//          64×14×14 from 4×4 stride-2 taps 34 → 17 µs, 64×16×16 33 → 18.5 µs;
//   im2col 128×7×7 to 3×3 taps 18.5-20 → 15 µs (stride 2 planned was no faster, so it is not).
//
// col2im plans column strides 1 and 2, im2col stride 1. Other strides, and plans larger than
// `MAX_PIECES`, return 0 and the caller uses the unplanned code (im2col.c).
#include "CVQKernels.h"
#include "../sgemm/sgemm_internal.h"
#include "im2col_planned.h"

#include <stdlib.h>
#include <string.h>

#if VQK_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/// The most pieces (and vectors) one plan may have.
#define MAX_PIECES 16384

/// One masked load into some lanes of a vector; `source` is relative to the channel's first row of
/// columns (col2im) or to its plane (im2col).
///  - column stride 1: lane L ← source[L] for L in `load`;
///  - col2im, column stride 2: lane L ← source[(L + parity) / 2] for L in `keep` (`load` masks the 16 read).
typedef struct {
    long source;
    unsigned load;
    unsigned short keep;
    unsigned short parity;
} piece;

/// Vectors one after another: vector v is stored at `destination[v]` (relative to the channel's
/// plane for col2im, to its first row of columns for im2col) under `store[v]`, and is the sum of
/// pieces [first[v], first[v + 1]) (im2col: exactly piece v).
typedef struct {
    piece *pieces;
    long *destination;
    unsigned short *store;
    int *first;
    long vectors, piece_count;
    long stride;  // the column stride: 1 or 2
} plan;

static long floor_div(long n, long d) { return n >= 0 ? n / d : -((-n + d - 1) / d); }
static long ceil_div_signed(long n, long d) { return -floor_div(-n, d); }
static long max_l(long a, long b) { return a > b ? a : b; }
static long min_l(long a, long b) { return a < b ? a : b; }

/// Lanes [lo, hi) of 16 (clamped).
static unsigned lanes_between(long lo, long hi) {
    lo = max_l(lo, 0);
    hi = min_l(hi, 16);
    if (hi <= lo) return 0;
    return (hi >= 16 ? 0xFFFFu : ((1u << hi) - 1u)) & ~((1u << lo) - 1u);
}

static int allocate_plan(plan *p, long vectors, long pieces, long stride) {
    if (vectors > MAX_PIECES || pieces > MAX_PIECES) return 0;
    p->pieces = malloc((size_t)max_l(pieces, 1) * sizeof(piece));
    p->destination = malloc((size_t)max_l(vectors, 1) * sizeof(long));
    p->store = malloc((size_t)max_l(vectors, 1) * sizeof(unsigned short));
    p->first = malloc((size_t)(vectors + 1) * sizeof(int));
    p->vectors = vectors;
    p->piece_count = 0;
    p->stride = stride;
    if (p->pieces && p->destination && p->store && p->first) return 1;
    free(p->pieces); free(p->destination); free(p->store); free(p->first);
    return 0;
}

static void free_plan(plan *p) { free(p->pieces); free(p->destination); free(p->store); free(p->first); }

/// The last plan of one kind this thread made, kept for the next call with the same geometry and
/// column stride: a convolution calls im2col or col2im once per image with the same sizes, so each
/// thread plans once per layer rather than once per image. Each thread keeps one plan of each kind.
/// A plan is the same for every channel (only the replay loops count them), so the channel count is
/// left out of the comparison: calls on pieces of an image's channels share one plan.
typedef struct {
    int valid;
    vqk_im2col_geometry geometry;
    long column_stride;
    plan plan;
} cached_plan;

static _Thread_local cached_plan cached_im2col, cached_col2im;

/// `cache`'s plan when it was made for `g` and `column_stride`, else a new one from `make` (which
/// replaces it); NULL when `make` does not plan this geometry.
static const plan *cached(cached_plan *cache, const vqk_im2col_geometry *g, long column_stride,
                          int (*make)(const vqk_im2col_geometry *, long, plan *)) {
    vqk_im2col_geometry key = *g;
    key.channels = 0;
    if (cache->valid && cache->column_stride == column_stride && memcmp(&cache->geometry, &key, sizeof key) == 0) {
        return &cache->plan;
    }
    if (cache->valid) free_plan(&cache->plan);
    cache->valid = make(g, column_stride, &cache->plan);
    if (!cache->valid) return NULL;
    cache->geometry = key;
    cache->column_stride = column_stride;
    return &cache->plan;
}

/// Valid output columns [x0, x1) of a tap whose output column 0 reads input column `offset`.
static void valid_columns(const vqk_im2col_geometry *g, long offset, long *x0, long *x1) {
    *x0 = max_l(0, ceil_div_signed(-offset, g->stride_width));
    *x1 = min_l(g->output_width, ceil_div_signed(g->width - offset, g->stride_width));
}

// MARK: - im2col

/// Plans one piece per (tap, output row, 16-column block), column stride 1: where the row's valid
/// stretch comes from (`source`, relative to the plane, for lane 0 of the block; `load` its lanes)
/// and where the block goes (`destination`, relative to the channel's first row of columns; `store`
/// its lanes: padding rows and columns get zeros).
static int plan_im2col(const vqk_im2col_geometry *g, long column_stride, plan *p) {
    long wo = g->output_width, ho = g->output_height;
    long blocks = (wo + 15) / 16, kh = g->kernel_height, kw = g->kernel_width;
    long count = kh * kw * ho * blocks;
    if (!allocate_plan(p, count, count, 1)) return 0;
    long vector = 0;
    for (long i = 0; i < kh; i++) {
        long row_offset = i * g->dilation_height - g->padding_height;
        for (long j = 0; j < kw; j++) {
            long column_offset = j * g->dilation_width - g->padding_width, x0, x1;
            valid_columns(g, column_offset, &x0, &x1);
            for (long y = 0; y < ho; y++) {
                long input_row = y * g->stride_height + row_offset;
                int inside = input_row >= 0 && input_row < g->height;
                for (long b = 0; b < blocks; b++, vector++) {
                    long xb = 16 * b;
                    unsigned valid = inside ? lanes_between(x0 - xb, x1 - xb) : 0;
                    piece *q = &p->pieces[vector];
                    q->source = (inside ? input_row : 0) * g->width + column_offset + xb;
                    q->load = valid;
                    q->keep = 0;
                    q->parity = 0;
                    p->first[vector] = (int)vector;
                    p->destination[vector] = (i * kw + j) * column_stride + y * wo + xb;
                    p->store[vector] = (unsigned short)lanes_between(0, wo - xb);
                }
            }
        }
    }
    p->first[vector] = (int)vector;
    p->piece_count = vector;
    return 1;
}

AVX512 static void replay_im2col(const plan *p, const vqk_im2col_geometry *g, const float *image, float *columns,
                                 long column_stride) {
    long area = g->height * g->width, taps = g->kernel_height * g->kernel_width;
    for (long c = 0; c < g->channels; c++) {
        const float *plane = image + c * area;
        float *rows = columns + c * taps * column_stride;
        for (long v = 0; v < p->vectors; v++) {
            const piece *q = &p->pieces[v];
            __m512 row = _mm512_maskz_loadu_ps((__mmask16)q->load, plane + q->source);
            _mm512_mask_storeu_ps(rows + p->destination[v], (__mmask16)p->store[v], row);
        }
    }
}

int vqk_im2col_planned_avx512(const vqk_im2col_geometry *g, const float *image, float *columns, long column_stride) {
    if (g->stride_width != 1) return 0;
    const plan *p = cached(&cached_im2col, g, column_stride, plan_im2col);
    if (p == NULL) return 0;
    replay_im2col(p, g, image, columns, column_stride);
    return 1;
}

// MARK: - col2im

/// Plans every 16-float block of every image row: the pieces of each tap that reads it.
static int plan_col2im(const vqk_im2col_geometry *g, long column_stride, plan *p) {
    long wo = g->output_width, sw = g->stride_width, sh = g->stride_height;
    long blocks = (g->width + 15) / 16, kh = g->kernel_height, kw = g->kernel_width;
    if (!allocate_plan(p, g->height * blocks, g->height * blocks * kh * kw, sw)) return 0;
    long vector = 0;
    for (long r = 0; r < g->height; r++) {
        for (long b = 0; b < blocks; b++, vector++) {
            long xb = 16 * b;
            p->first[vector] = (int)p->piece_count;
            p->destination[vector] = r * g->width + xb;
            p->store[vector] = (unsigned short)lanes_between(0, g->width - xb);
            for (long i = 0; i < kh; i++) {
                long from_top = r - i * g->dilation_height + g->padding_height;  // y · stride_height
                if (from_top < 0 || from_top % sh != 0 || from_top / sh >= g->output_height) continue;
                long y = from_top / sh;
                for (long j = 0; j < kw; j++) {
                    long column_offset = j * g->dilation_width - g->padding_width, x0, x1;
                    valid_columns(g, column_offset, &x0, &x1);
                    // Lane L is image column xb + L = x·sw + column_offset for output column x.
                    long shift = xb - column_offset;  // = x·sw − L
                    long row = (i * kw + j) * column_stride + y * wo;
                    piece q = {0};
                    if (sw == 1) {
                        unsigned valid = lanes_between(x0 - shift, min_l(x1 - shift, g->width - xb));
                        if (valid == 0) continue;
                        q.source = row + shift;
                        q.load = valid;
                    } else {
                        // x = (L + shift) / 2 when L + shift is even; lanes read from t0 = ⌊shift / 2⌋.
                        long t0 = floor_div(shift, 2), parity = shift - 2 * t0;  // 0 or 1
                        unsigned keep = 0;
                        for (long lane = parity; lane < min_l(16, g->width - xb); lane += 2) {
                            long x = (lane + shift) / 2;
                            if (x >= x0 && x < x1) keep |= 1u << lane;
                        }
                        if (keep == 0) continue;
                        long first_x = max_l(x0, t0), last_x = min_l(x1, t0 + 9);
                        q.source = row + t0;
                        q.load = lanes_between(first_x - t0, last_x - t0);
                        q.keep = (unsigned short)keep;
                        q.parity = (unsigned short)parity;
                    }
                    p->pieces[p->piece_count++] = q;
                }
            }
        }
    }
    p->first[vector] = (int)p->piece_count;
    return 1;
}

AVX512 static void replay_col2im(const plan *p, const vqk_im2col_geometry *g, const float *columns, long column_stride,
                                 float *image) {
    // Lane L takes loaded lane (L + parity) / 2.
    const __m512i halves[2] = {
        _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7),
        _mm512_setr_epi32(0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8),
    };
    long area = g->height * g->width, taps = g->kernel_height * g->kernel_width;
    for (long c = 0; c < g->channels; c++) {
        const float *rows = columns + c * taps * column_stride;
        float *plane = image + c * area;
        for (long v = 0; v < p->vectors; v++) {
            __m512 sum = _mm512_setzero_ps();
            for (int n = p->first[v]; n < p->first[v + 1]; n++) {
                const piece *q = &p->pieces[n];
                __m512 loaded = _mm512_maskz_loadu_ps((__mmask16)q->load, rows + q->source);
                if (p->stride != 1) loaded = _mm512_maskz_permutexvar_ps((__mmask16)q->keep, halves[q->parity], loaded);
                sum = _mm512_add_ps(sum, loaded);
            }
            _mm512_mask_storeu_ps(plane + p->destination[v], (__mmask16)p->store[v], sum);
        }
    }
}

int vqk_col2im_planned_avx512(const vqk_im2col_geometry *g, const float *columns, long column_stride, float *image) {
    if (g->stride_width != 1 && g->stride_width != 2) return 0;
    const plan *p = cached(&cached_col2im, g, column_stride, plan_col2im);
    if (p == NULL) return 0;
    replay_col2im(p, g, columns, column_stride, image);
    return 1;
}

#else

int vqk_im2col_planned_avx512(const vqk_im2col_geometry *g, const float *image, float *columns, long column_stride) {
    (void)g; (void)image; (void)columns; (void)column_stride;
    return 0;
}

int vqk_col2im_planned_avx512(const vqk_im2col_geometry *g, const float *columns, long column_stride, float *image) {
    (void)g; (void)columns; (void)column_stride; (void)image;
    return 0;
}

#endif
