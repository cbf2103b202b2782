// The transforms of Winograd's minimal filtering F(2×2, 3×3) (VQEngine/Kernels/Winograd.swift says
// how they make a 3×3 convolution; WinogradNaive.swift computes each one from its matrices):
//
//   input tile d (4×4) → V = Bᵀ d B        Bᵀ = [1  0 −1  0]   G = [1    0    0  ]   Aᵀ = [1  1  1  0]
//   filter g (3×3)     → U = G g Gᵀ             [0  1  1  0]       [1/2  1/2  1/2]        [0  1 −1 −1]
//   product m (4×4)    → y = Aᵀ m A (2×2)       [0 −1  1  0]       [1/2 −1/2  1/2]
//   gradient e (2×2)   → A e Aᵀ (4×4)           [0  1  0 −1]       [0    0    1  ]
//   dU (4×4)           → Gᵀ dU G (3×3)
//
// Bᵀ and Aᵀ hold only ±1 and 0, so the tile transforms are fixed sequences of additions: they give
// the same bits at any vector width, which is why each is compiled for every instruction set
// (AVX-512, AVX2, portable) from one body and picked at run time like the sgemm. G's halves are
// exact, so the filter transforms are the same on every CPU too.
//
// The expanding transforms (input, gradient) run down the channels: the image is first turned to
// (H, W, C), so a tile's 16 pixels are 16 rows of C contiguous floats and every operation is a vector
// over channels. They write position ξ = 4i + j of tile t of channel c to
// transformed[ξ·position_stride + t·C + c]: per position a (tiles, C) matrix, the products' operand.
// The output transform reads the products (F, tiles) per position and runs along an image's tiles.
#include "CVQKernels.h"
#include "../sgemm/sgemm_internal.h"

#include <string.h>

#if defined(__clang__)
#define VQK_VECTORIZE _Pragma("clang loop vectorize(assume_safety)")
#else
#define VQK_VECTORIZE
#endif
#define VQK_INLINE static inline __attribute__((always_inline))

/// The most tiles of one image the output transform keeps on its stack (Winograd.swift's budget
/// allows at most 4096 at 16 channels).
enum { max_tiles = 4096 };

/// image (C, H, W) → pixels (H·W, C): pixel by pixel, its channels read `area` apart.
VQK_INLINE void to_channels_last(const float *image, long channels, long area, float *pixels) {
    for (long p = 0; p < area; p++) {
        for (long c = 0; c < channels; c++) pixels[p * channels + c] = image[c * area + p];
    }
}

#if VQK_X86
#include <immintrin.h>

/// `to_channels_last` with one 16-channel gather per instruction (the compiler's vectorisation of the
/// loop above uses 64-bit offsets: two gathers of 8 and a merge).
__attribute__((target("avx512f"))) static void to_channels_last_avx512(const float *image, long channels, long area,
                                                                       float *pixels) {
    __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32((int)area));
    long whole = channels / 16 * 16;
    for (long p = 0; p < area; p++) {
        float *destination = pixels + p * channels;
        long c = 0;
        for (; c < whole; c += 16) _mm512_storeu_ps(destination + c, _mm512_i32gather_ps(offsets, image + c * area + p, 4));
        for (; c < channels; c++) destination[c] = image[c * area + p];
    }
}
#endif

/// Bᵀ d B of one tile down the channels; d[i][j] points at C floats (the pixel, or zeros).
VQK_INLINE void input_tile(const float *const d[4][4], long channels, float *out, long position_stride) {
    VQK_VECTORIZE
    for (long c = 0; c < channels; c++) {
        float t[4][4];
        for (int j = 0; j < 4; j++) {  // Bᵀ d, down each column of the tile
            t[0][j] = d[0][j][c] - d[2][j][c];
            t[1][j] = d[1][j][c] + d[2][j][c];
            t[2][j] = d[2][j][c] - d[1][j][c];
            t[3][j] = d[1][j][c] - d[3][j][c];
        }
        for (int i = 0; i < 4; i++) {  // (Bᵀ d) B, along each row
            out[(4 * i + 0) * position_stride + c] = t[i][0] - t[i][2];
            out[(4 * i + 1) * position_stride + c] = t[i][1] + t[i][2];
            out[(4 * i + 2) * position_stride + c] = t[i][2] - t[i][1];
            out[(4 * i + 3) * position_stride + c] = t[i][1] - t[i][3];
        }
    }
}

/// V of every tile of pixels (H·W, C).
VQK_INLINE void input_transform_body(const float *pixels, long channels, long height, long width, const float *zeros,
                                     float *transformed, long position_stride) {
    long tile_rows = (height + 1) / 2, tile_columns = (width + 1) / 2;
    for (long r = 0; r < tile_rows; r++) {
        for (long t = 0; t < tile_columns; t++) {
            const float *d[4][4];
            for (long i = 0; i < 4; i++) {
                for (long j = 0; j < 4; j++) {
                    long y = 2 * r - 1 + i, x = 2 * t - 1 + j;
                    d[i][j] = y >= 0 && y < height && x >= 0 && x < width ? pixels + (y * width + x) * channels : zeros;
                }
            }
            input_tile((const float *const(*)[4])d, channels, transformed + (r * tile_columns + t) * channels, position_stride);
        }
    }
}

/// A e Aᵀ of one tile down the channels; e[a][b] points at C floats (the pixel, or zeros).
VQK_INLINE void gradient_tile(const float *const e[2][2], long channels, float *out, long position_stride) {
    VQK_VECTORIZE
    for (long c = 0; c < channels; c++) {
        float r[4][2];
        for (int b = 0; b < 2; b++) {  // A e, down each column: e0, e0 + e1, e0 − e1, −e1
            float e0 = e[0][b][c], e1 = e[1][b][c];
            r[0][b] = e0;
            r[1][b] = e0 + e1;
            r[2][b] = e0 - e1;
            r[3][b] = -e1;
        }
        for (int i = 0; i < 4; i++) {  // (A e) Aᵀ, along each row
            out[(4 * i + 0) * position_stride + c] = r[i][0];
            out[(4 * i + 1) * position_stride + c] = r[i][0] + r[i][1];
            out[(4 * i + 2) * position_stride + c] = r[i][0] - r[i][1];
            out[(4 * i + 3) * position_stride + c] = -r[i][1];
        }
    }
}

/// A e Aᵀ of every tile of the gradient's pixels (H·W, C).
VQK_INLINE void gradient_transform_body(const float *pixels, long channels, long height, long width, const float *zeros,
                                        float *transformed, long position_stride) {
    long tile_rows = (height + 1) / 2, tile_columns = (width + 1) / 2;
    for (long r = 0; r < tile_rows; r++) {
        for (long t = 0; t < tile_columns; t++) {
            const float *e[2][2];
            for (long a = 0; a < 2; a++) {
                for (long b = 0; b < 2; b++) {
                    long y = 2 * r + a, x = 2 * t + b;
                    e[a][b] = y < height && x < width ? pixels + (y * width + x) * channels : zeros;
                }
            }
            gradient_tile((const float *const(*)[2])e, channels, transformed + (r * tile_columns + t) * channels,
                          position_stride);
        }
    }
}

/// Aᵀ m A along the image's tiles, channel by channel, into (C, H, W) plus the bias.
VQK_INLINE void output_transform_body(const float *products, long position_stride, long channel_stride, long channels,
                                      long height, long width, const float *bias, float *output) {
    long tile_columns = (width + 1) / 2, tiles = (height + 1) / 2 * tile_columns;
    float y[4][max_tiles];
    for (long c = 0; c < channels; c++) {
        const float *m = products + c * channel_stride;
        float shift = bias ? bias[c] : 0.0f;
        VQK_VECTORIZE
        for (long t = 0; t < tiles; t++) {
            float s[2][4];
            for (int j = 0; j < 4; j++) {  // Aᵀ m, down each column of the tile
                float m0 = m[j * position_stride + t], m1 = m[(4 + j) * position_stride + t];
                float m2 = m[(8 + j) * position_stride + t], m3 = m[(12 + j) * position_stride + t];
                s[0][j] = m0 + m1 + m2;
                s[1][j] = m1 - m2 - m3;
            }
            for (int a = 0; a < 2; a++) {  // (Aᵀ m) A, along each row
                y[2 * a][t] = s[a][0] + s[a][1] + s[a][2] + shift;
                y[2 * a + 1][t] = s[a][1] - s[a][2] - s[a][3] + shift;
            }
        }
        float *plane = output + c * height * width;
        for (long t = 0; t < tiles; t++) {
            long row = 2 * (t / tile_columns), column = 2 * (t % tile_columns);
            for (long a = 0; a < 2 && row + a < height; a++) {
                plane[(row + a) * width + column] = y[2 * a][t];
                if (column + 1 < width) plane[(row + a) * width + column + 1] = y[2 * a + 1][t];
            }
        }
    }
}

/// G g Gᵀ of `count` consecutive 3×3 filters, in blocks so the taps are read once and the 16 rows of
/// the result written contiguously.
VQK_INLINE void filter_transform_body(const float *weight, long count, long stride, float *transformed) {
    enum { block = 64 };
    float g[9][block];
    for (long p0 = 0; p0 < count; p0 += block) {
        long n = count - p0 < block ? count - p0 : block;
        for (long q = 0; q < n; q++) {
            for (int tap = 0; tap < 9; tap++) g[tap][q] = weight[(p0 + q) * 9 + tap];
        }
        float *out = transformed + p0;
        VQK_VECTORIZE
        for (long q = 0; q < n; q++) {
            float rows[3][4];
            for (int i = 0; i < 3; i++) {  // g Gᵀ, row by row
                float a = g[3 * i][q], b = g[3 * i + 1][q], c = g[3 * i + 2][q];
                rows[i][0] = a;
                rows[i][1] = (a + b + c) * 0.5f;
                rows[i][2] = (a - b + c) * 0.5f;
                rows[i][3] = c;
            }
            for (int j = 0; j < 4; j++) {  // G (g Gᵀ), down each column
                out[j * stride + q] = rows[0][j];
                out[(4 + j) * stride + q] = (rows[0][j] + rows[1][j] + rows[2][j]) * 0.5f;
                out[(8 + j) * stride + q] = (rows[0][j] - rows[1][j] + rows[2][j]) * 0.5f;
                out[(12 + j) * stride + q] = rows[2][j];
            }
        }
    }
}

/// Gᵀ dU G of `count` transformed filter gradients (entry ξ of filter p at transformed[ξ·stride + p]).
VQK_INLINE void filter_gradient_body(const float *transformed, long count, long stride, float *weight) {
    enum { block = 64 };
    float g[9][block];
    for (long p0 = 0; p0 < count; p0 += block) {
        long n = count - p0 < block ? count - p0 : block;
        const float *du = transformed + p0;
        VQK_VECTORIZE
        for (long q = 0; q < n; q++) {
            float rows[4][3];
            for (int i = 0; i < 4; i++) {  // dU G, row by row
                float v0 = du[4 * i * stride + q], v1 = du[(4 * i + 1) * stride + q];
                float v2 = du[(4 * i + 2) * stride + q], v3 = du[(4 * i + 3) * stride + q];
                float half = (v1 + v2) * 0.5f;
                rows[i][0] = v0 + half;
                rows[i][1] = (v1 - v2) * 0.5f;
                rows[i][2] = half + v3;
            }
            for (int j = 0; j < 3; j++) {  // Gᵀ (dU G), down each column
                float half = (rows[1][j] + rows[2][j]) * 0.5f;
                g[j][q] = rows[0][j] + half;
                g[3 + j][q] = (rows[1][j] - rows[2][j]) * 0.5f;
                g[6 + j][q] = half + rows[3][j];
            }
        }
        for (long q = 0; q < n; q++) {
            for (int tap = 0; tap < 9; tap++) weight[(p0 + q) * 9 + tap] = g[tap][q];
        }
    }
}

// MARK: - One body per instruction set

#define VQK_WINOGRAD_VARIANT(suffix, attributes, transpose)                                                       \
    attributes static void input_transform_##suffix(const float *image, long channels, long height, long width,   \
                                                    float *pixels, const float *zeros, float *out, long stride) { \
        transpose(image, channels, height * width, pixels);                                                       \
        input_transform_body(pixels, channels, height, width, zeros, out, stride);                                \
    }                                                                                                             \
    attributes static void gradient_transform_##suffix(const float *gradient, long channels, long height,         \
                                                       long width, float *pixels, const float *zeros, float *out, \
                                                       long stride) {                                             \
        transpose(gradient, channels, height * width, pixels);                                                    \
        gradient_transform_body(pixels, channels, height, width, zeros, out, stride);                             \
    }                                                                                                             \
    attributes static void output_transform_##suffix(const float *products, long position_stride,                \
                                                     long channel_stride, long channels, long height, long width, \
                                                     const float *bias, float *output) {                          \
        output_transform_body(products, position_stride, channel_stride, channels, height, width, bias, output);  \
    }                                                                                                             \
    attributes static void filter_transform_##suffix(const float *weight, long count, long stride, float *out) {  \
        filter_transform_body(weight, count, stride, out);                                                        \
    }                                                                                                             \
    attributes static void filter_gradient_##suffix(const float *transformed, long count, long stride,            \
                                                    float *weight) {                                              \
        filter_gradient_body(transformed, count, stride, weight);                                                 \
    }

VQK_WINOGRAD_VARIANT(generic, , to_channels_last)
#if VQK_X86
VQK_WINOGRAD_VARIANT(avx2, __attribute__((target("avx2,fma"))), to_channels_last)
VQK_WINOGRAD_VARIANT(avx512, __attribute__((target("avx512f"))), to_channels_last_avx512)
#endif

/// The instruction set to run for `kernel` (a `VQK_KERNEL_*`), or -1 when this CPU lacks it.
static int implementation(int kernel) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (id < 0 || id >= VQK_KERNEL_COUNT || !vqk_sgemm_kernel_supported(id)) return -1;
    return id;
}

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

int vqk_winograd_input_transform(int kernel, const float *image, long channels, long height, long width,
                                 float *pixels, const float *zeros, float *transformed, long position_stride) {
    int id = implementation(kernel);
    if (id < 0) return -1;
    VQK_DISPATCH(id, input_transform, image, channels, height, width, pixels, zeros, transformed, position_stride);
    return 0;
}

int vqk_winograd_gradient_transform(int kernel, const float *gradient, long channels, long height, long width,
                                    float *pixels, const float *zeros, float *transformed, long position_stride) {
    int id = implementation(kernel);
    if (id < 0) return -1;
    VQK_DISPATCH(id, gradient_transform, gradient, channels, height, width, pixels, zeros, transformed, position_stride);
    return 0;
}

int vqk_winograd_output_transform(int kernel, const float *products, long position_stride, long channel_stride,
                                  long channels, long height, long width, const float *bias, float *output) {
    int id = implementation(kernel);
    if (id < 0 || (height + 1) / 2 * ((width + 1) / 2) > max_tiles) return -1;
    VQK_DISPATCH(id, output_transform, products, position_stride, channel_stride, channels, height, width, bias, output);
    return 0;
}

int vqk_winograd_filter_transform(int kernel, const float *weight, long count, long stride, float *transformed) {
    int id = implementation(kernel);
    if (id < 0) return -1;
    VQK_DISPATCH(id, filter_transform, weight, count, stride, transformed);
    return 0;
}

int vqk_winograd_filter_gradient(int kernel, const float *transformed, long count, long stride, float *weight) {
    int id = implementation(kernel);
    if (id < 0) return -1;
    VQK_DISPATCH(id, filter_gradient, transformed, count, stride, weight);
    return 0;
}
