// The transforms of Winograd's minimal filtering F(m×m, r×r) (VQEngine/Kernels/Winograd.swift says
// how they make 3×3 convolutions, and 4×4 stride-2 ones through their four phases; WinogradNaive.swift
// computes each one from its matrices). Three variants: F(2×2, 3×3), F(4×4, 3×3) and F(4×4, 2×2).
// With n = m + r − 1, an input tile d (n×n) gives V = Bᵀ d B, a filter g (r×r) U = G g Gᵀ, a
// product tile m (n×n) the output tile y = Aᵀ m A (m×m); the gradients are the adjoints, A e Aᵀ (n×n)
// of an output-gradient tile e (m×m) and Gᵀ dU G (r×r). The matrices follow Lavin and Gray ("Fast
// Algorithms for Convolutional Neural Networks", 2016), interpolation points 0, ±1, ∞ for F(2, 3),
// 0, ±1, ±2, ∞ for F(4, 3) and 0, ±1, 2, ∞ for F(4, 2):
//
//   F(2, 3): Bᵀ = [1  0 −1  0]   G = [1    0    0  ]   Aᵀ = [1  1  1  0]
//                [0  1  1  0]       [1/2  1/2  1/2]        [0  1 −1 −1]
//                [0 −1  1  0]       [1/2 −1/2  1/2]
//                [0  1  0 −1]       [0    0    1  ]
//
//   F(4, 3): Bᵀ = [4  0 −5  0  1  0]   G = [ 1/4     0     0  ]   Aᵀ = [1  1  1  1  1  0]
//                [0 −4 −4  1  1  0]       [−1/6  −1/6  −1/6 ]        [0  1 −1  2 −2  0]
//                [0  4 −4 −1  1  0]       [−1/6   1/6  −1/6 ]        [0  1  1  4  4  0]
//                [0 −2 −1  2  1  0]       [ 1/24  1/12  1/6 ]        [0  1 −1  8 −8  1]
//                [0  2 −1 −2  1  0]       [ 1/24 −1/12  1/6 ]
//                [0  4  0 −5  0  1]       [ 0     0     1   ]
//
//   F(4, 2): Bᵀ = [2 −1 −2  1  0]   G = [ 1/2    0  ]   Aᵀ = [1  1  1  1  0]
//                 [0 −2 −1  1  0]       [−1/2  −1/2 ]        [0  1 −1  2  0]
//                 [0  2 −3  1  0]       [−1/6   1/6 ]        [0  1  1  4  0]
//                 [0 −1  0  1  0]       [ 1/6   1/3 ]        [0  1 −1  8  1]
//                 [0  2 −1 −2  1]       [ 0     1   ]
//
// Every transform is written as one fixed sequence of additions and multiplications by constants,
// and contraction into fused multiply-adds is off for this file, so each instruction set (AVX-512,
// AVX2, portable, compiled from one body and picked at run time like the sgemm) gives the same bits.
//
// The expanding transforms (input, gradient) run down the channels: the image is first turned to
// (H, W, C), so a tile's pixels are rows of C contiguous floats and every operation is a vector over
// channels. They write entry ξ = n·i + j of tile t of channel c to transformed[ξ·position_stride +
// t·row + c] (row = C, or 4·C for the four phases of a stride-2 input): per position a (tiles, row)
// matrix, the products' operand. The output transform reads the products (F, tiles) per position and
// runs along the tiles.
#include "CVQKernels.h"
#include "../sgemm/sgemm_internal.h"

#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#define VQK_VECTORIZE _Pragma("clang loop vectorize(assume_safety)")
#else
#pragma GCC optimize("fp-contract=off")
#define VQK_VECTORIZE
#endif
#define VQK_INLINE static inline __attribute__((always_inline))

/// Channels (or filters, or tiles) one pass works on at once: every loop below reads at most n vectors
/// and writes n, through a stack buffer of n²·block floats that stays in L1. One loop doing a whole
/// two-dimensional transform holds too many values for the registers (36 in and 36 out for F(4, 3)),
/// and the compiler then does not vectorise it.
enum { block = 64 };

/// image (C, H, W) → pixels (H·W, C): pixel by pixel, its channels read `area` apart.
VQK_INLINE void to_channels_last(const float *image, long channels, long area, float *pixels) {
    for (long p = 0; p < area; p++) {
        for (long c = 0; c < channels; c++) pixels[p * channels + c] = image[c * area + p];
    }
}

#if VQK_X86
#include <immintrin.h>

/// A 16×16 block transposed in registers: rows[i] (16 floats) → rows[j] holding element j of every
/// row. Unpacks pair the rows, in-lane shuffles gather 4×4 blocks, lane shuffles put them in place.
__attribute__((target("avx512f"))) static inline void transpose_16x16(__m512 rows[16]) {
    __m512 quads[16];
    for (int g = 0; g < 4; g++) {  // quads[4g + c]: columns c, c + 4, c + 8, c + 12 of rows 4g … 4g + 3, a lane each
        __m512 low01 = _mm512_unpacklo_ps(rows[4 * g], rows[4 * g + 1]), high01 = _mm512_unpackhi_ps(rows[4 * g], rows[4 * g + 1]);
        __m512 low23 = _mm512_unpacklo_ps(rows[4 * g + 2], rows[4 * g + 3]);
        __m512 high23 = _mm512_unpackhi_ps(rows[4 * g + 2], rows[4 * g + 3]);
        quads[4 * g] = _mm512_shuffle_ps(low01, low23, 0x44);
        quads[4 * g + 1] = _mm512_shuffle_ps(low01, low23, 0xEE);
        quads[4 * g + 2] = _mm512_shuffle_ps(high01, high23, 0x44);
        quads[4 * g + 3] = _mm512_shuffle_ps(high01, high23, 0xEE);
    }
    for (int c = 0; c < 4; c++) {
        __m512 even01 = _mm512_shuffle_f32x4(quads[c], quads[4 + c], 0x88), odd01 = _mm512_shuffle_f32x4(quads[c], quads[4 + c], 0xDD);
        __m512 even23 = _mm512_shuffle_f32x4(quads[8 + c], quads[12 + c], 0x88);
        __m512 odd23 = _mm512_shuffle_f32x4(quads[8 + c], quads[12 + c], 0xDD);
        rows[c] = _mm512_shuffle_f32x4(even01, even23, 0x88);
        rows[c + 8] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
        rows[c + 4] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
        rows[c + 12] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
    }
}

/// The output transform's scatter of 16 tiles of 4×4: the 16×16 block y[·][k … k + 15] transposed in
/// registers gives one register per tile, whose four 128-bit lanes are its four output rows; each row
/// is one store masked to the columns inside the image (a cropped tile's rows past the edge are skipped).
__attribute__((target("avx512f"))) static void scatter16_avx512(float y[16][block], long k, const long *origin,
                                                                const long *rows, const long *columns, long width,
                                                                float *output) {
    __m512 tiles[16];
    for (int i = 0; i < 16; i++) tiles[i] = _mm512_loadu_ps(&y[i][k]);
    transpose_16x16(tiles);
    for (int j = 0; j < 16; j++) {
        float *corner = output + origin[k + j];
        long height = rows[k + j];
        __mmask16 mask = (__mmask16)((1u << columns[k + j]) - 1);
        __m512 tile = tiles[j];
        if (height > 0) _mm512_mask_storeu_ps(corner, mask, tile);
        if (height > 1) _mm512_mask_storeu_ps(corner + width, mask, _mm512_shuffle_f32x4(tile, tile, 0x01));
        if (height > 2) _mm512_mask_storeu_ps(corner + 2 * width, mask, _mm512_shuffle_f32x4(tile, tile, 0x02));
        if (height > 3) _mm512_mask_storeu_ps(corner + 3 * width, mask, _mm512_shuffle_f32x4(tile, tile, 0x03));
    }
}

/// The four phases' outputs of 16 tiles of the phase grid, interleaved into each tile's 8×8 block
/// of the image: y[φ][a·4 + b][k + j] (φ = 2p + q) goes to row 2a + p, column 2b + q of tile j's
/// block, whose corner is image + origin[k + j] (the block starts one row and one column before the
/// tile's place, as the phases do: `output_transform_body`). Per tile, the registers of phases
/// (p, 0) and (p, 1) (16×16 transposes, one register per tile) are interleaved by unpacks into rows
/// of 8; each row is one store masked to the columns inside the image (`columns[k + j]`, bit c for
/// column c of the block), rows outside it (`rows[k + j]`, bit r) are skipped.
__attribute__((target("avx512f"))) static void phase_scatter16_avx512(float y[4][16][block], long k, const long *origin,
                                                                      const unsigned char *rows,
                                                                      const unsigned char *columns, long width,
                                                                      float *image) {
    __m512 tiles[4][16];
    for (int phase = 0; phase < 4; phase++) {
        for (int i = 0; i < 16; i++) tiles[phase][i] = _mm512_loadu_ps(&y[phase][i][k]);
        transpose_16x16(tiles[phase]);
    }
    // Lanes 0 and 1 of the unpacks after each other, then lanes 2 and 3: rows a and a + 1 of the block's
    // phase row p, 8 floats each (lane a of unpacklo holds columns 0–3 of row a, of unpackhi 4–7).
    const __m512i first_rows = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i last_rows = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    for (int j = 0; j < 16; j++) {
        float *corner = image + origin[k + j];
        __mmask16 mask = (__mmask16)columns[k + j];
        unsigned valid = rows[k + j];
        for (int p = 0; p < 2; p++) {
            __m512 low = _mm512_unpacklo_ps(tiles[2 * p][j], tiles[2 * p + 1][j]);
            __m512 high = _mm512_unpackhi_ps(tiles[2 * p][j], tiles[2 * p + 1][j]);
            __m512 pairs[2] = {_mm512_permutex2var_ps(low, first_rows, high), _mm512_permutex2var_ps(low, last_rows, high)};
            for (int a = 0; a < 4; a++) {
                int row = 2 * a + p;
                if (!(valid >> row & 1)) continue;
                __m512 two = pairs[a / 2];
                __m512 eight = a % 2 ? _mm512_shuffle_f32x4(two, two, 0xEE) : two;
                _mm512_mask_storeu_ps(corner + row * width, mask, eight);
            }
        }
    }
}

/// `to_channels_last` in 16×16 blocks transposed in registers (the compiler's vectorisation of the
/// loop above gathers with 64-bit offsets, 8 at a time), the edges element by element.
__attribute__((target("avx512f"))) static void to_channels_last_avx512(const float *image, long channels, long area,
                                                                       float *pixels) {
    long whole_channels = channels / 16 * 16, whole_pixels = area / 16 * 16;
    for (long c0 = 0; c0 < whole_channels; c0 += 16) {
        for (long p0 = 0; p0 < whole_pixels; p0 += 16) {
            __m512 rows[16];
            for (int i = 0; i < 16; i++) rows[i] = _mm512_loadu_ps(image + (c0 + i) * area + p0);
            transpose_16x16(rows);
            for (int j = 0; j < 16; j++) _mm512_storeu_ps(pixels + (p0 + j) * channels + c0, rows[j]);
        }
        for (long p = whole_pixels; p < area; p++) {
            for (long c = c0; c < c0 + 16; c++) pixels[p * channels + c] = image[c * area + p];
        }
    }
    for (long p = 0; p < area; p++) {
        for (long c = whole_channels; c < channels; c++) pixels[p * channels + c] = image[c * area + p];
    }
}
#endif

// MARK: - The one-dimensional transforms (a vector in, a vector out), named by the variant: 23, 43, 42

/// Bᵀ x, F(2, 3).
VQK_INLINE void input_1d_23(const float x[4], float o[4]) {
    o[0] = x[0] - x[2];
    o[1] = x[1] + x[2];
    o[2] = x[2] - x[1];
    o[3] = x[1] - x[3];
}

/// Bᵀ x, F(4, 3).
VQK_INLINE void input_1d_43(const float x[6], float o[6]) {
    float a = x[4] - 4.0f * x[2], b = x[3] - 4.0f * x[1], c = x[4] - x[2], d = 2.0f * (x[3] - x[1]);
    o[0] = (4.0f * x[0] - 5.0f * x[2]) + x[4];
    o[1] = a + b;
    o[2] = a - b;
    o[3] = c + d;
    o[4] = c - d;
    o[5] = (4.0f * x[1] - 5.0f * x[3]) + x[5];
}

/// Bᵀ x, F(4, 2).
VQK_INLINE void input_1d_42(const float x[5], float o[5]) {
    float difference = x[3] - x[1];
    o[0] = 2.0f * (x[0] - x[2]) + difference;
    o[1] = (x[3] - x[2]) - 2.0f * x[1];
    o[2] = (2.0f * x[1] + x[3]) - 3.0f * x[2];
    o[3] = difference;
    o[4] = 2.0f * (x[1] - x[3]) + (x[4] - x[2]);
}

/// Aᵀ x, F(2, 3).
VQK_INLINE void output_1d_23(const float x[4], float y[2]) {
    y[0] = x[0] + x[1] + x[2];
    y[1] = x[1] - x[2] - x[3];
}

/// Aᵀ x, F(4, 3).
VQK_INLINE void output_1d_43(const float x[6], float y[4]) {
    float sum12 = x[1] + x[2], difference12 = x[1] - x[2], sum34 = x[3] + x[4], difference34 = x[3] - x[4];
    y[0] = x[0] + sum12 + sum34;
    y[1] = difference12 + 2.0f * difference34;
    y[2] = sum12 + 4.0f * sum34;
    y[3] = difference12 + 8.0f * difference34 + x[5];
}

/// Aᵀ x, F(4, 2).
VQK_INLINE void output_1d_42(const float x[5], float y[4]) {
    float sum12 = x[1] + x[2], difference12 = x[1] - x[2];
    y[0] = x[0] + sum12 + x[3];
    y[1] = difference12 + 2.0f * x[3];
    y[2] = sum12 + 4.0f * x[3];
    y[3] = difference12 + 8.0f * x[3] + x[4];
}

/// A e, F(2, 3): the adjoint of `output_1d_23`.
VQK_INLINE void gradient_1d_23(const float e[2], float r[4]) {
    r[0] = e[0];
    r[1] = e[0] + e[1];
    r[2] = e[0] - e[1];
    r[3] = -e[1];
}

/// A e, F(4, 3): the adjoint of `output_1d_43`.
VQK_INLINE void gradient_1d_43(const float e[4], float r[6]) {
    float even = e[0] + e[2], odd = e[1] + e[3], even4 = e[0] + 4.0f * e[2], odd8 = 2.0f * e[1] + 8.0f * e[3];
    r[0] = e[0];
    r[1] = even + odd;
    r[2] = even - odd;
    r[3] = even4 + odd8;
    r[4] = even4 - odd8;
    r[5] = e[3];
}

/// A e, F(4, 2): the adjoint of `output_1d_42`.
VQK_INLINE void gradient_1d_42(const float e[4], float r[5]) {
    float even = e[0] + e[2], odd = e[1] + e[3];
    r[0] = e[0];
    r[1] = even + odd;
    r[2] = even - odd;
    r[3] = (e[0] + 2.0f * e[1]) + (4.0f * e[2] + 8.0f * e[3]);
    r[4] = e[3];
}

/// G g, F(2, 3).
VQK_INLINE void filter_1d_23(const float g[3], float u[4]) {
    u[0] = g[0];
    u[1] = (g[0] + g[1] + g[2]) * 0.5f;
    u[2] = (g[0] - g[1] + g[2]) * 0.5f;
    u[3] = g[2];
}

/// G g, F(4, 3).
VQK_INLINE void filter_1d_43(const float g[3], float u[6]) {
    float outer = g[0] + g[2], outer4 = g[0] + 4.0f * g[2];
    u[0] = g[0] * 0.25f;
    u[1] = (outer + g[1]) * (-1.0f / 6.0f);
    u[2] = (outer - g[1]) * (-1.0f / 6.0f);
    u[3] = (outer4 + 2.0f * g[1]) * (1.0f / 24.0f);
    u[4] = (outer4 - 2.0f * g[1]) * (1.0f / 24.0f);
    u[5] = g[2];
}

/// G g, F(4, 2).
VQK_INLINE void filter_1d_42(const float g[2], float u[5]) {
    u[0] = g[0] * 0.5f;
    u[1] = (g[0] + g[1]) * -0.5f;
    u[2] = (g[1] - g[0]) * (1.0f / 6.0f);
    u[3] = (g[0] + 2.0f * g[1]) * (1.0f / 6.0f);
    u[4] = g[1];
}

/// Gᵀ v, F(2, 3): the adjoint of `filter_1d_23`.
VQK_INLINE void filter_gradient_1d_23(const float v[4], float w[3]) {
    float half = (v[1] + v[2]) * 0.5f;
    w[0] = v[0] + half;
    w[1] = (v[1] - v[2]) * 0.5f;
    w[2] = half + v[3];
}

/// Gᵀ v, F(4, 3): the adjoint of `filter_1d_43`.
VQK_INLINE void filter_gradient_1d_43(const float v[6], float w[3]) {
    float sum12 = (v[1] + v[2]) * (-1.0f / 6.0f), difference12 = (v[2] - v[1]) * (1.0f / 6.0f);
    float sum34 = (v[3] + v[4]) * (1.0f / 24.0f), difference34 = (v[3] - v[4]) * (1.0f / 12.0f);
    w[0] = v[0] * 0.25f + sum12 + sum34;
    w[1] = difference12 + difference34;
    w[2] = sum12 + 4.0f * sum34 + v[5];
}

/// Gᵀ v, F(4, 2): the adjoint of `filter_1d_42`.
VQK_INLINE void filter_gradient_1d_42(const float v[5], float w[2]) {
    float sixths = (v[3] - v[2]) * (1.0f / 6.0f);
    w[0] = (v[0] - v[1]) * 0.5f + sixths;
    w[1] = v[1] * -0.5f + (v[2] + 2.0f * v[3]) * (1.0f / 6.0f) + v[4];
}

// MARK: - Tiles down the channels


/// Defines NAME, an expanding transform T x Tᵀ of one tile down the channels, T the IN → N matrix of
/// FN (Bᵀ for an input tile, IN = N; A for an output-gradient tile, IN = M): x[a][b] points at C floats
/// (a pixel, or zeros); entry ξ = N·i + j of the result goes to out[ξ·position_stride + c]. A pass down
/// each of the tile's IN columns, then one along each of the N rows, through an L1 buffer.
#define VQK_EXPANDING_TILE(NAME, IN, N, FN)                                                                      \
    VQK_INLINE void NAME(const float *const x[6][6], long channels, float *out, long position_stride) {          \
        float half[N][IN][block];                                                                                 \
        for (long c0 = 0; c0 < channels; c0 += block) {                                                          \
            long count = channels - c0 < block ? channels - c0 : block;                                           \
            for (int b = 0; b < IN; b++) { /* T x, down column b */                                               \
                const float *column[IN];                                                                          \
                for (int a = 0; a < IN; a++) column[a] = x[a][b] + c0;                                            \
                VQK_VECTORIZE                                                                                     \
                for (long c = 0; c < count; c++) {                                                                \
                    float v[IN], o[N];                                                                            \
                    for (int a = 0; a < IN; a++) v[a] = column[a][c];                                             \
                    FN(v, o);                                                                                     \
                    for (int i = 0; i < N; i++) half[i][b][c] = o[i];                                             \
                }                                                                                                 \
            }                                                                                                     \
            for (int i = 0; i < N; i++) { /* (T x) Tᵀ, along row i */                                             \
                float *row = out + (N * i) * position_stride + c0;                                                \
                VQK_VECTORIZE                                                                                     \
                for (long c = 0; c < count; c++) {                                                                \
                    float v[IN], o[N];                                                                            \
                    for (int b = 0; b < IN; b++) v[b] = half[i][b][c];                                            \
                    FN(v, o);                                                                                     \
                    for (int j = 0; j < N; j++) row[j * position_stride + c] = o[j];                              \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
    }

/// Defines the transforms of one variant V: output tile M, input tile N = M + R − 1, R×R filters; each
/// two-dimensional transform is a pass down the columns of the tile and a pass along its rows.
#define VQK_TILE_KERNELS(V, M, N, R)                                                                             \
    /* Bᵀ d B of an input tile; A e Aᵀ of an output-gradient tile. */                                         \
    VQK_EXPANDING_TILE(input_tile_##V, N, N, input_1d_##V)                                                        \
    VQK_EXPANDING_TILE(gradient_tile_##V, M, N, gradient_1d_##V)                                                  \
    /* Aᵀ m A of `count` ≤ block consecutive columns (products m[ξ·position_stride + t]) → y[a·M + b][t]. */   \
    VQK_INLINE void output_tiles_##V(const float *m, long position_stride, long count, float shift,            \
                                     float y[16][block]) {                                                        \
        float s[M][N][block];                                                                                     \
        for (int j = 0; j < N; j++) { /* Aᵀ m, down column j */                                                   \
            VQK_VECTORIZE                                                                                         \
            for (long t = 0; t < count; t++) {                                                                    \
                float x[N], o[M];                                                                                 \
                for (int i = 0; i < N; i++) x[i] = m[(N * i + j) * position_stride + t];                          \
                output_1d_##V(x, o);                                                                              \
                for (int a = 0; a < M; a++) s[a][j][t] = o[a];                                                    \
            }                                                                                                     \
        }                                                                                                         \
        for (int a = 0; a < M; a++) { /* (Aᵀ m) A, along row a */                                                 \
            VQK_VECTORIZE                                                                                         \
            for (long t = 0; t < count; t++) {                                                                    \
                float x[N], o[M];                                                                                 \
                for (int j = 0; j < N; j++) x[j] = s[a][j][t];                                                    \
                output_1d_##V(x, o);                                                                              \
                for (int b = 0; b < M; b++) y[a * M + b][t] = o[b] + shift;                                       \
            }                                                                                                     \
        }                                                                                                         \
    }                                                                                                             \
    /* G g Gᵀ of `count` ≤ block filters whose taps are g[tap][p], entry ξ at transformed[ξ·stride + p]. */    \
    VQK_INLINE void filter_block_##V(float g[9][block], long count, long stride, float *transformed) {           \
        float rows[R][N][block];                                                                                  \
        for (int i = 0; i < R; i++) { /* g Gᵀ, row i */                                                           \
            VQK_VECTORIZE                                                                                         \
            for (long p = 0; p < count; p++) {                                                                    \
                float x[R], o[N];                                                                                 \
                for (int k = 0; k < R; k++) x[k] = g[R * i + k][p];                                               \
                filter_1d_##V(x, o);                                                                              \
                for (int j = 0; j < N; j++) rows[i][j][p] = o[j];                                                 \
            }                                                                                                     \
        }                                                                                                         \
        for (int j = 0; j < N; j++) { /* G (g Gᵀ), column j */                                                    \
            VQK_VECTORIZE                                                                                         \
            for (long p = 0; p < count; p++) {                                                                    \
                float x[R], o[N];                                                                                 \
                for (int k = 0; k < R; k++) x[k] = rows[k][j][p];                                                 \
                filter_1d_##V(x, o);                                                                              \
                for (int i = 0; i < N; i++) transformed[(N * i + j) * stride + p] = o[i];                         \
            }                                                                                                     \
        }                                                                                                         \
    }                                                                                                             \
    /* Gᵀ dU G of `count` ≤ block filters (entry ξ of filter p at transformed[ξ·stride + p]) → g[tap][p]. */   \
    VQK_INLINE void filter_gradient_block_##V(const float *transformed, long count, long stride,                 \
                                              float g[9][block]) {                                                \
        float rows[N][R][block];                                                                                  \
        for (int i = 0; i < N; i++) { /* dU G, row i */                                                           \
            VQK_VECTORIZE                                                                                         \
            for (long p = 0; p < count; p++) {                                                                    \
                float x[N], o[R];                                                                                 \
                for (int j = 0; j < N; j++) x[j] = transformed[(N * i + j) * stride + p];                         \
                filter_gradient_1d_##V(x, o);                                                                     \
                for (int k = 0; k < R; k++) rows[i][k][p] = o[k];                                                 \
            }                                                                                                     \
        }                                                                                                         \
        for (int k = 0; k < R; k++) { /* Gᵀ (dU G), column k */                                                   \
            VQK_VECTORIZE                                                                                         \
            for (long p = 0; p < count; p++) {                                                                    \
                float x[N], o[R];                                                                                 \
                for (int i = 0; i < N; i++) x[i] = rows[i][k][p];                                                 \
                filter_gradient_1d_##V(x, o);                                                                     \
                for (int i = 0; i < R; i++) g[R * i + k][p] = o[i];                                               \
            }                                                                                                     \
        }                                                                                                         \
    }

VQK_TILE_KERNELS(23, 2, 4, 3)
VQK_TILE_KERNELS(43, 4, 6, 3)
VQK_TILE_KERNELS(42, 4, 5, 2)

/// The variants: F(2, 3), F(4, 3), F(4, 2), or -1 for another pair.
enum { f23 = 0, f43 = 1, f42 = 2 };
static int variant_of(int tile, int taps) {
    if (tile == 2 && taps == 3) return f23;
    if (tile == 4 && taps == 3) return f43;
    if (tile == 4 && taps == 2) return f42;
    return -1;
}

/// m and n of a variant.
static long tile_of(int v) { return v == f23 ? 2 : 4; }
static long span_of(int v) { return v == f23 ? 4 : (v == f43 ? 6 : 5); }

// MARK: - Images

/// Where a tile walk reads: the tiles of an output grid of `tile_rows` × `tile_columns`, the entries of
/// tile (r, t) in group g at pixel rows tile_step·r + origin_row[g] + step·i and columns likewise (zero
/// outside the image), written at column offset g·channels of a row of `row_length` floats.
typedef struct {
    long tile_rows, tile_columns, tile_step, step, groups, row_length;
    long origin_row[4], origin_column[4];
} tile_walk;

/// V of every tile of pixels (H·W, C) along `walk`.
VQK_INLINE void input_transform_body(const float *pixels, long channels, long height, long width, const float *zeros,
                                     float *transformed, long position_stride, int v, const tile_walk *walk) {
    long n = span_of(v);
    for (long r = 0; r < walk->tile_rows; r++) {
        for (long t = 0; t < walk->tile_columns; t++) {
            for (long group = 0; group < walk->groups; group++) {
                const float *d[6][6];
                for (long i = 0; i < n; i++) {
                    for (long j = 0; j < n; j++) {
                        long y = walk->tile_step * r + walk->origin_row[group] + walk->step * i;
                        long x = walk->tile_step * t + walk->origin_column[group] + walk->step * j;
                        d[i][j] = y >= 0 && y < height && x >= 0 && x < width ? pixels + (y * width + x) * channels : zeros;
                    }
                }
                float *out = transformed + (r * walk->tile_columns + t) * walk->row_length + group * channels;
                const float *const(*tile)[6] = (const float *const(*)[6])d;
                if (v == f23) input_tile_23(tile, channels, out, position_stride);
                else if (v == f43) input_tile_43(tile, channels, out, position_stride);
                else input_tile_42(tile, channels, out, position_stride);
            }
        }
    }
}

/// A e Aᵀ of every tile of the gradient's pixels (H·W, C).
VQK_INLINE void gradient_transform_body(const float *pixels, long channels, long height, long width, const float *zeros,
                                        float *transformed, long position_stride, int v) {
    long m = tile_of(v), tile_rows = (height + m - 1) / m, tile_columns = (width + m - 1) / m;
    for (long r = 0; r < tile_rows; r++) {
        for (long t = 0; t < tile_columns; t++) {
            const float *e[6][6];
            for (long a = 0; a < m; a++) {
                for (long b = 0; b < m; b++) {
                    long y = m * r + a, x = m * t + b;
                    e[a][b] = y < height && x < width ? pixels + (y * width + x) * channels : zeros;
                }
            }
            float *out = transformed + (r * tile_columns + t) * channels;
            const float *const(*tile)[6] = (const float *const(*)[6])e;
            if (v == f23) gradient_tile_23(tile, channels, out, position_stride);
            else if (v == f43) gradient_tile_43(tile, channels, out, position_stride);
            else gradient_tile_42(tile, channels, out, position_stride);
        }
    }
}

/// Aᵀ m A along the columns of `images` consecutive images' tiles, channel by channel, into their
/// (C, H, W) planes plus the bias. With `phases`, the products are the four phases of a stride-2
/// image: output channel (2a + b)·C' + c goes to row 2y + a − 1, column 2x + b − 1 of channel c of a
/// (C', 2·(H − 1), 2·(W − 1)) image (H, W the phase grid), rows and columns outside it dropped. Where
/// each tile goes is worked out once per block of columns and phase, not per channel.
/// Writes the 4×4 outputs of tiles k … k + 15 (y[a·4 + b][k + j]) to output + origin[k + j], rows `width`
/// apart, the first rows[k + j] rows and columns[k + j] columns of each.
typedef void (*scatter16_fn)(float y[16][block], long k, const long *origin, const long *rows, const long *columns,
                             long width, float *output);
/// Writes the four phases' outputs of tiles k … k + 15 of the phase grid (y[φ][a·4 + b][k + j]) as the
/// 8×8 blocks of the image at image + origin[k + j], rows `width` apart, the rows and columns whose bits
/// are set in rows[k + j] and columns[k + j].
typedef void (*phase_scatter16_fn)(float y[4][16][block], long k, const long *origin, const unsigned char *rows,
                                   const unsigned char *columns, long width, float *image);

/// `output_transform_body` for the four phases of a stride-2 image with F(4×4, 2×2), all four phases of
/// a channel at once: tile t of the (H, W) phase grid covers the 8×8 block of rows 8·ty − 1 …
/// 8·ty + 6 and columns 8·tx − 1 … 8·tx + 6 of the (2·(H − 1), 2·(W − 1)) image, phase φ = 2p + q
/// giving its rows 2a + p and columns 2b + q. With `phase_scatter16`, 16 tiles at a time; the rest
/// (and every tile without it) entry by entry. The same values as the phase-by-phase walk, stored
/// in another order.
VQK_INLINE void phase_output_transform_body(const float *products, long position_stride, long channel_stride,
                                            long images, long channels, long height, long width, const float *bias,
                                            float *output, phase_scatter16_fn phase_scatter16) {
    long tile_columns = (width + 3) / 4, tiles = (height + 3) / 4 * tile_columns, columns = images * tiles;
    long planes = channels / 4, out_height = 2 * (height - 1), out_width = 2 * (width - 1);
    long plane_size = out_height * out_width;
    float y[4][16][block];
    long origin[block];
    unsigned char rows[block], valid_columns[block];
    for (long first = 0; first < columns; first += block) {
        long count = columns - first < block ? columns - first : block;
        for (long k = 0; k < count; k++) {  // tile k's block: its corner, and which rows and columns are inside
            long image = (first + k) / tiles, t = (first + k) % tiles;
            long row = 8 * (t / tile_columns) - 1, column = 8 * (t % tile_columns) - 1;
            origin[k] = image * planes * plane_size + row * out_width + column;
            rows[k] = valid_columns[k] = 0;
            for (int i = 0; i < 8; i++) {
                if (row + i >= 0 && row + i < out_height) rows[k] |= (unsigned char)(1u << i);
                if (column + i >= 0 && column + i < out_width) valid_columns[k] |= (unsigned char)(1u << i);
            }
        }
        for (long c = 0; c < planes; c++) {
            for (int phase = 0; phase < 4; phase++) {
                long channel = phase * planes + c;
                output_tiles_42(products + channel * channel_stride + first, position_stride, count,
                                bias ? bias[channel] : 0.0f, y[phase]);
            }
            float *plane = output + c * plane_size;
            long k = 0;
            if (phase_scatter16) {
                for (; k + 16 <= count; k += 16) phase_scatter16(y, k, origin, rows, valid_columns, out_width, plane);
            }
            for (; k < count; k++) {
                for (int i = 0; i < 8; i++) {
                    if (!(rows[k] >> i & 1)) continue;
                    for (int j = 0; j < 8; j++) {
                        if (valid_columns[k] >> j & 1) {
                            plane[origin[k] + i * out_width + j] = y[(i % 2) * 2 + j % 2][(i / 2) * 4 + j / 2][k];
                        }
                    }
                }
            }
        }
    }
}

VQK_INLINE void output_transform_body(const float *products, long position_stride, long channel_stride, long images,
                                      long channels, long height, long width, const float *bias, float *output, int v,
                                      int phases, scatter16_fn scatter16) {
    long m = tile_of(v), tile_columns = (width + m - 1) / m, tiles = (height + m - 1) / m * tile_columns;
    long columns = images * tiles, groups = phases ? 4 : 1, planes = channels / groups;
    long out_height = phases ? 2 * (height - 1) : height, out_width = phases ? 2 * (width - 1) : width;
    long step = phases ? 2 : 1, plane_size = out_height * out_width;
    float y[16][block];
    long origin[block], rows[block], widths[block];
    char whole[block], skips_row[block], skips_column[block];
    for (long first = 0; first < columns; first += block) {
        long count = columns - first < block ? columns - first : block;
        for (long group = 0; group < groups; group++) {
            long phase_row = phases ? group / 2 - 1 : 0, phase_column = phases ? group % 2 - 1 : 0;
            for (long k = 0; k < count; k++) {  // where tile k's first output goes, and how much of it fits
                long image = (first + k) / tiles, t = (first + k) % tiles;
                long row = step * m * (t / tile_columns) + phase_row, column = step * m * (t % tile_columns) + phase_column;
                long skip_row = row < 0, skip_column = column < 0;  // a phase's row or column −1: dropped
                row += step * skip_row;
                column += step * skip_column;
                long row_count = (out_height - row + step - 1) / step, column_count = (out_width - column + step - 1) / step;
                rows[k] = row_count < m - skip_row ? row_count : m - skip_row;
                widths[k] = column_count < m - skip_column ? column_count : m - skip_column;
                origin[k] = image * planes * plane_size + row * out_width + column;
                whole[k] = rows[k] == m && widths[k] == m;
                skips_row[k] = (char)skip_row;
                skips_column[k] = (char)skip_column;
            }
            for (long c = group * planes; c < (group + 1) * planes; c++) {
                float shift = bias ? bias[c] : 0.0f, *plane = output + (c - group * planes) * plane_size;
                const float *m_block = products + c * channel_stride + first;
                if (v == f23) output_tiles_23(m_block, position_stride, count, shift, y);
                else if (v == f43) output_tiles_43(m_block, position_stride, count, shift, y);
                else output_tiles_42(m_block, position_stride, count, shift, y);
                long k = 0;
                if (m == 4 && step == 1 && scatter16) {  // 16 tiles at a time, each one register of 16 outputs
                    for (; k + 16 <= count; k += 16) scatter16(y, k, origin, rows, widths, out_width, plane);
                }
                for (; k < count; k++) {
                    long skip_row = skips_row[k], skip_column = skips_column[k];
                    float *corner = plane + origin[k];
                    if (whole[k] && step == 1) {
                        for (long a = 0; a < m; a++) {
                            for (long b = 0; b < m; b++) corner[a * out_width + b] = y[a * m + b][k];
                        }
                    } else {
                        for (long a = 0; a < rows[k]; a++) {
                            for (long b = 0; b < widths[k]; b++) {
                                corner[step * a * out_width + step * b] = y[(a + skip_row) * m + b + skip_column][k];
                            }
                        }
                    }
                }
            }
        }
    }
}

VQK_INLINE void filter_transform_body(const float *weight, long count, long stride, float *transformed, int v) {
    long taps = v == f42 ? 4 : 9;
    float g[9][block];
    for (long p0 = 0; p0 < count; p0 += block) {
        long n = count - p0 < block ? count - p0 : block;
        // Tap by tap: the compiler gathers each tap of 16 filters (vectorised the other way round, it
        // scattered, and this copy took most of the transform's time).
        for (long tap = 0; tap < taps; tap++) {
            for (long p = 0; p < n; p++) g[tap][p] = weight[(p0 + p) * taps + tap];
        }
        if (v == f23) filter_block_23(g, n, stride, transformed + p0);
        else if (v == f43) filter_block_43(g, n, stride, transformed + p0);
        else filter_block_42(g, n, stride, transformed + p0);
    }
}

/// With `parts` > 1, dU is the sum of `parts` arrays `part_stride` apart (the cores' accumulators),
/// added in order for each block into an L1 buffer just before its transform: the same bits as
/// summing the arrays first, without writing and reading the sum.
/// `vqk_winograd_packed_filters`: per row panel (mr rows) and run of depth steps inside one k block,
/// the taps of mr × steps filters gathered through the layout (rows past the last: zeros, as the
/// packing pads them), transformed as one block, and written where the packed matrices keep them:
/// for one position, the run's mr·steps entries are contiguous.
VQK_INLINE void packed_filters_body(const float *weight, const vqk_filter_layout *layout, long rows, long depth,
                                    long mr, long kc, long first_panel, long end_panel, float *packed,
                                    long packed_stride, int v) {
    long r = v == f42 ? 2 : 3, taps = r * r, panels = (rows + mr - 1) / mr, per_block = block / mr;
    long tap_offset[9], row_offset[block], depth_offset[block];
    for (long i = 0; i < r; i++) {
        for (long j = 0; j < r; j++) tap_offset[i * r + j] = i * layout->tap_row_stride + j * layout->tap_column_stride;
    }
    float g[9][block];
    for (long s = first_panel; s < end_panel; s++) {
        long valid = rows - s * mr < mr ? rows - s * mr : mr;
        for (long lane = 0; lane < valid; lane++) {
            long row = s * mr + lane;
            row_offset[lane] = layout->base + row % layout->row_period * layout->row_stride
                               + layout->row_phase[row / layout->row_period];
        }
        for (long d0 = 0; d0 < depth;) {
            long kb = d0 / kc, block_end = (kb + 1) * kc < depth ? (kb + 1) * kc : depth;
            long steps = block_end - d0 < per_block ? block_end - d0 : per_block;
            long block_depth = kc < depth - kb * kc ? kc : depth - kb * kc;
            for (long step = 0; step < steps; step++) {
                long d = d0 + step;
                depth_offset[step] = d % layout->depth_period * layout->depth_stride + layout->depth_phase[d / layout->depth_period];
            }
            for (long tap = 0; tap < taps; tap++) {
                for (long step = 0; step < steps; step++) {
                    const float *source = weight + depth_offset[step] + tap_offset[tap];
                    float *lanes = &g[tap][step * mr];
                    for (long lane = 0; lane < valid; lane++) lanes[lane] = source[row_offset[lane]];
                    for (long lane = valid; lane < mr; lane++) lanes[lane] = 0.0f;
                }
            }
            float *out = packed + kb * kc * panels * mr + s * mr * block_depth + (d0 - kb * kc) * mr;
            if (v == f23) filter_block_23(g, steps * mr, packed_stride, out);
            else if (v == f43) filter_block_43(g, steps * mr, packed_stride, out);
            else filter_block_42(g, steps * mr, packed_stride, out);
            d0 += steps;
        }
    }
}

VQK_INLINE void filter_gradient_body(const float *transformed, long parts, long part_stride, long count, long stride,
                                     float *weight, int v) {
    long taps = v == f42 ? 4 : 9, side = tile_of(v) + (v == f42 ? 1 : 2), positions = side * side;
    float g[9][block], summed[36][block];
    for (long p0 = 0; p0 < count; p0 += block) {
        long n = count - p0 < block ? count - p0 : block;
        const float *source = transformed + p0;
        long source_stride = stride;
        if (parts > 1) {
            for (long xi = 0; xi < positions; xi++) {
                const float *entry = transformed + xi * stride + p0;
                VQK_VECTORIZE
                for (long p = 0; p < n; p++) summed[xi][p] = entry[p] + entry[part_stride + p];
                for (long part = 2; part < parts; part++) {
                    VQK_VECTORIZE
                    for (long p = 0; p < n; p++) summed[xi][p] += entry[part * part_stride + p];
                }
            }
            source = &summed[0][0];
            source_stride = block;
        }
        if (v == f23) filter_gradient_block_23(source, n, source_stride, g);
        else if (v == f43) filter_gradient_block_43(source, n, source_stride, g);
        else filter_gradient_block_42(source, n, source_stride, g);
        for (long p = 0; p < n; p++) {
            for (long tap = 0; tap < taps; tap++) weight[(p0 + p) * taps + tap] = g[tap][p];
        }
    }
}

// MARK: - One body per instruction set

#define VQK_WINOGRAD_VARIANT(suffix, attributes, transpose, scatter16, phase_scatter16)                           \
    attributes static void input_transform_##suffix(const float *image, long channels, long height, long width,   \
                                                    float *pixels, const float *zeros, float *out, long stride,   \
                                                    int v, const tile_walk *walk) {                               \
        transpose(image, channels, height * width, pixels);                                                       \
        input_transform_body(pixels, channels, height, width, zeros, out, stride, v, walk);                       \
    }                                                                                                             \
    attributes static void gradient_transform_##suffix(const float *gradient, long channels, long height,         \
                                                       long width, float *pixels, const float *zeros, float *out, \
                                                       long stride, int v) {                                      \
        transpose(gradient, channels, height * width, pixels);                                                    \
        gradient_transform_body(pixels, channels, height, width, zeros, out, stride, v);                          \
    }                                                                                                             \
    attributes static void output_transform_##suffix(const float *products, long position_stride,                \
                                                     long channel_stride, long images, long channels, long height, \
                                                     long width, const float *bias, float *output, int v,         \
                                                     int phases) {                                                \
        if (phases && v == f42 && phase_scatter16) {                                                              \
            phase_output_transform_body(products, position_stride, channel_stride, images, channels, height, width, \
                                        bias, output, phase_scatter16);                                           \
        } else {                                                                                                  \
            output_transform_body(products, position_stride, channel_stride, images, channels, height, width,     \
                                  bias, output, v, phases, scatter16);                                            \
        }                                                                                                         \
    }                                                                                                             \
    attributes static void filter_transform_##suffix(const float *weight, long count, long stride, float *out,    \
                                                     int v) {                                                     \
        filter_transform_body(weight, count, stride, out, v);                                                     \
    }                                                                                                             \
    attributes static void packed_filters_##suffix(const float *weight, const vqk_filter_layout *layout,          \
                                                   long rows, long depth, long mr, long kc, long first_panel,      \
                                                   long end_panel, float *packed, long packed_stride, int v) {    \
        packed_filters_body(weight, layout, rows, depth, mr, kc, first_panel, end_panel, packed, packed_stride, v); \
    }                                                                                                             \
    attributes static void filter_gradient_##suffix(const float *transformed, long parts, long part_stride,       \
                                                    long count, long stride, float *weight, int v) {              \
        filter_gradient_body(transformed, parts, part_stride, count, stride, weight, v);                          \
    }

VQK_WINOGRAD_VARIANT(generic, , to_channels_last, NULL, NULL)
#if VQK_X86
VQK_WINOGRAD_VARIANT(avx2, __attribute__((target("avx2,fma"))), to_channels_last, NULL, NULL)
VQK_WINOGRAD_VARIANT(avx512, __attribute__((target("avx512f"))), to_channels_last_avx512, scatter16_avx512,
                     phase_scatter16_avx512)
#endif

#if VQK_X86
#define VQK_DISPATCH(id, name, ...)                                        \
    do {                                                                   \
        if ((id) == VQK_KERNEL_AVX512) name##_avx512(__VA_ARGS__);         \
        else if ((id) == VQK_KERNEL_AVX2) name##_avx2(__VA_ARGS__);        \
        else name##_generic(__VA_ARGS__);                                  \
    } while (0)
#else
#define VQK_DISPATCH(id, name, ...) name##_generic(__VA_ARGS__)
#endif

int vqk_winograd_input_transform(int kernel, int tile, int taps, const float *image, long channels, long height,
                                 long width, long output_height, long output_width, float *pixels, const float *zeros,
                                 float *transformed, long position_stride) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0) return -1;
    tile_walk walk = {(output_height + tile - 1) / tile, (output_width + tile - 1) / tile, tile, 1, 1, channels,
                      {-1}, {-1}};
    VQK_DISPATCH(id, input_transform, image, channels, height, width, pixels, zeros, transformed, position_stride, v,
                 &walk);
    return 0;
}

int vqk_winograd_phase_input_transform(int kernel, const float *image, long channels, long height, long width,
                                       long output_height, long output_width, float *pixels, const float *zeros,
                                       float *transformed, long position_stride) {
    int id = vqk_kernel_resolved(kernel);
    if (id < 0) return -1;
    tile_walk walk = {(output_height + 3) / 4, (output_width + 3) / 4, 8, 2, 4, 4 * channels,
                      {-1, -1, 0, 0}, {-1, 0, -1, 0}};
    VQK_DISPATCH(id, input_transform, image, channels, height, width, pixels, zeros, transformed, position_stride, f42,
                 &walk);
    return 0;
}

int vqk_winograd_gradient_transform(int kernel, int tile, int taps, const float *gradient, long channels, long height,
                                    long width, float *pixels, const float *zeros, float *transformed,
                                    long position_stride) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0) return -1;
    VQK_DISPATCH(id, gradient_transform, gradient, channels, height, width, pixels, zeros, transformed, position_stride,
                 v);
    return 0;
}

int vqk_winograd_output_transform(int kernel, int tile, int taps, int phases, const float *products, long position_stride,
                                  long channel_stride, long images, long channels, long height, long width,
                                  const float *bias, float *output) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0 || (phases && channels % 4 != 0)) return -1;
    VQK_DISPATCH(id, output_transform, products, position_stride, channel_stride, images, channels, height, width, bias,
                 output, v, phases);
    return 0;
}

int vqk_winograd_filter_transform(int kernel, int tile, int taps, const float *weight, long count, long stride,
                                  float *transformed) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0) return -1;
    VQK_DISPATCH(id, filter_transform, weight, count, stride, transformed, v);
    return 0;
}

int vqk_winograd_packed_filters(int kernel, int tile, int taps, const float *weight, const vqk_filter_layout *layout,
                                long rows, long depth, long first_panel, long end_panel, float *packed,
                                long packed_stride) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0 || rows <= 0 || depth <= 0) return -1;
    const vqk_sgemm_kernel *gemm = vqk_sgemm_kernel_for(id);
    if (gemm->mr > block || layout->row_period <= 0 || layout->depth_period <= 0
        || (rows - 1) / layout->row_period >= 4 || (depth - 1) / layout->depth_period >= 4) return -1;
    long kc = vqk_sgemm_block_depth_for(gemm, depth);
    VQK_DISPATCH(id, packed_filters, weight, layout, rows, depth, gemm->mr, kc, first_panel, end_panel, packed,
                 packed_stride, v);
    return 0;
}

int vqk_winograd_filter_gradient(int kernel, int tile, int taps, const float *transformed, long parts, long part_stride,
                                 long count, long stride, float *weight) {
    int id = vqk_kernel_resolved(kernel), v = variant_of(tile, taps);
    if (id < 0 || v < 0 || parts < 1) return -1;
    VQK_DISPATCH(id, filter_gradient, transformed, parts, part_stride, count, stride, weight, v);
    return 0;
}
