// Fast CPU kernels for VQEngine, in C so that each kernel can carry a per-function `target`
// attribute (AVX-512, AVX2+FMA) and be chosen at run time from the CPU's features, without any
// compiler flag in Package.swift. Every kernel here has a naive twin in Swift (VQEngine/Kernels)
// that the tests compare it against.
#ifndef CVQKERNELS_H
#define CVQKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - sgemm

/// The implementations of `vqk_sgemm`. `VQK_KERNEL_DEFAULT` means the one chosen for this CPU:
/// the widest the CPU supports, unless the environment variable `VQK_KERNEL` (read once, at the
/// first call) names another supported one: `VQK_KERNEL=avx512|avx2|generic`.
enum {
    VQK_KERNEL_DEFAULT = -1,
    VQK_KERNEL_GENERIC = 0,  // portable C (clang vector extensions); every CPU
    VQK_KERNEL_AVX2 = 1,     // x86-64 with AVX2 and FMA
    VQK_KERNEL_AVX512 = 2,   // x86-64 with AVX-512F
    VQK_KERNEL_COUNT = 3
};

/// Single-precision matrix product on row-major matrices, one thread:
///   C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C
/// op(A) is A (m×k, row stride lda) or, when transpose_a is non-zero, the transpose of A stored as
/// k×m with row stride lda. Likewise op(B). beta is 0 (C is overwritten, never read) or 1.
/// Only the m×n elements of C are touched (never the padding between n and ldc).
void vqk_sgemm(int transpose_a, int transpose_b, long m, long n, long k,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc);

/// Runs task(context, index) once for every index in [0, count) — in any order, possibly at the same
/// time on several threads — and returns when all have finished. Tasks never wait for each other,
/// so a runner that runs them one after the other on the calling thread is correct too.
typedef void (*vqk_task)(void *context, long index);
typedef void (*vqk_parallel_runner)(long count, vqk_task task, void *context);

/// Runs task(context, index) for every index in [0, count) on `threads` threads (the caller and
/// threads - 1 helpers of a pool started at the first call, which spin briefly between loops so
/// that short loops in quick succession do not each pay for waking a thread). Returns 0 when done;
/// a call from inside a task runs its loop inline and returns 0; returns 1, having run nothing,
/// when the pool is busy with another thread's loop or cannot start: run the loop another way.
int vqk_pool_run(long threads, long count, vqk_task task, void *context);

/// 1 when the calling thread is running a task of the pool's loop (a loop it starts runs inline), else 0.
int vqk_pool_inside_loop(void);

/// The data caches of this CPU as the operating system reports them, in bytes (0 when unknown): L1 data
/// and L2 of one core, L3 as reported (usually shared). Read once.
typedef struct {
    long l1d, l2, l3;
} vqk_cache_sizes;
vqk_cache_sizes vqk_cpu_cache_sizes(void);

/// The cache blocks of the sgemm driver: at most `mc` rows of op(A) per task, `nc` columns of packed
/// op(B) swept per A panel. They decide which parts of a product share a cache, never its bits.
typedef struct {
    long mc, nc;
} vqk_sgemm_blocking;

/// The blocks `kernel` (or, for `VQK_KERNEL_DEFAULT`, the chosen kernel) uses on this CPU, chosen
/// from its L2 size (sgemm_blocking.c); {0, 0} when this CPU lacks the kernel.
vqk_sgemm_blocking vqk_sgemm_kernel_blocking(int kernel);

/// How `vqk_sgemm_configured` runs.
typedef struct {
    /// A `VQK_KERNEL_*` value; `VQK_KERNEL_DEFAULT` for the one chosen for this CPU.
    int kernel;
    /// The number of threads `runner` spreads tasks over; 1 (or less) runs on the calling thread.
    long thread_count;
    /// Runs the packing and multiplication tasks in parallel; may be NULL when thread_count ≤ 1.
    vqk_parallel_runner runner;
    /// The cache blocks; {0, 0} for `vqk_sgemm_kernel_blocking(kernel)`. Otherwise mc must be a
    /// positive multiple of the kernel's rows per tile and nc of its columns per tile (-1 otherwise).
    vqk_sgemm_blocking blocking;
} vqk_sgemm_config;

/// `vqk_sgemm` with a chosen kernel and, optionally, several threads: the packed panels of op(B)
/// are made once and shared by all threads, which then split the rows of C (or its columns when
/// m is small). Returns 0, or -1 (and does nothing) when this CPU lacks the requested kernel or the
/// configured blocking does not fit its register tile.
int vqk_sgemm_configured(const vqk_sgemm_config *config,
                         int transpose_a, int transpose_b, long m, long n, long k,
                         const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc);

/// Floats needed to hold op(A) (m×k) packed for `kernel` by `vqk_sgemm_pack_a`; -1 when this CPU
/// lacks the kernel.
long vqk_sgemm_packed_a_count(int kernel, long m, long k);

/// Packs op(A) (m×k: A, or with transpose_a the transpose of A stored k×m; row stride lda) once,
/// into `packed` (64-byte aligned, `vqk_sgemm_packed_a_count` floats), for any number of
/// `vqk_sgemm_configured_packed_a` calls with the same kernel, m and k: a convolution's weight,
/// multiplied by the columns of every image of the batch. Returns 0, or -1 as `vqk_sgemm_configured`.
int vqk_sgemm_pack_a(int kernel, int transpose_a, long m, long k, const float *a, long lda, float *packed);

/// `vqk_sgemm_configured` with op(A) already packed by `vqk_sgemm_pack_a` (same kernel, m and k).
int vqk_sgemm_configured_packed_a(const vqk_sgemm_config *config, int transpose_b, long m, long n, long k,
                                  const float *packed_a, const float *b, long ldb, float beta, float *c, long ldc);

/// The blocks `vqk_sgemm_kernel_blocking` would choose for `kernel` with an L2 of `l2_bytes` (0:
/// unknown, the kernel's own values); {0, 0} when the kernel does not run here. For tests.
vqk_sgemm_blocking vqk_sgemm_kernel_blocking_for_l2(int kernel, long l2_bytes);

/// Runs `calls` microkernel calls of `kernel`, each `depth` deep, on a zero tile with a prefetch stream
/// over `bytes` set up as the sgemm driver sets up the next group of B panels, and returns how many
/// bytes of it the calls fetched: the driver relies on that being all of them, rounded up to whole
/// lines. -1 when the kernel does not run here. For tests.
long vqk_sgemm_prefetched_bytes(int kernel, long bytes, long calls, long depth);

/// The column tile (nr) of a kernel's microkernel: products whose n is a multiple of it waste no lanes.
long vqk_sgemm_kernel_column_tile(int kernel);

/// The row tile (mr) of a kernel's microkernel: the blocking's mc is a multiple of it.
long vqk_sgemm_kernel_row_tile(int kernel);

/// Whether this CPU (and operating system) can run the kernel `VQK_KERNEL_*`.
int vqk_sgemm_kernel_supported(int kernel);

/// The kernel `VQK_KERNEL_DEFAULT` stands for on this CPU (after the `VQK_KERNEL` override).
int vqk_sgemm_default_kernel(void);

/// The name of a kernel ("avx512", "avx2" or "generic"); "unknown" for other values.
const char *vqk_sgemm_kernel_id_name(int kernel);

/// The name of the implementation `vqk_sgemm` dispatches to on this CPU: "avx512", "avx2" or "generic".
const char *vqk_sgemm_kernel_name(void);

// MARK: - im2col / col2im

/// The sizes of one image and one convolution, for `vqk_im2col` and `vqk_col2im`.
typedef struct {
    long channels, height, width;          // the image (C, H, W)
    long output_height, output_width;      // Ho, Wo
    long kernel_height, kernel_width;
    long stride_height, stride_width, padding_height, padding_width, dilation_height, dilation_width;
} vqk_im2col_geometry;

/// image (C, H, W) → columns (C·kh·kw rows, Ho·Wo columns, row stride column_stride ≥ Ho·Wo): row
/// (c·kh + i)·kw + j, column y·Wo + x holds image[c, y·sh − ph + i·dh, x·sw − pw + j·dw], 0 in the
/// padding. `kernel` is a `VQK_KERNEL_*` value (AVX-512 has its own implementation; the others run
/// the portable one). Returns 0, or -1 (and does nothing) when this CPU lacks the kernel.
int vqk_im2col(int kernel, const vqk_im2col_geometry *geometry, const float *image, float *columns, long column_stride);

/// The adjoint of `vqk_im2col`: image (C, H, W) = the sum, at each pixel, of the column entries
/// im2col copies from it (the image is overwritten). Returns 0, or -1 as `vqk_im2col`.
int vqk_col2im(int kernel, const vqk_im2col_geometry *geometry, const float *columns, long column_stride, float *image);

// MARK: - Winograd F(m×m, r×r)
//
// winograd.c. `kernel` is a `VQK_KERNEL_*` value (each instruction set gives the same bits); `tile` m and
// `taps` r name the variant: F(2×2, 3×3), F(4×4, 3×3) or F(4×4, 2×2) (input tiles of n = m + r − 1).
// Every function returns 0, or -1 (and does nothing) when this CPU lacks the kernel or the variant is
// another. The expanding transforms turn the image channels-last first: `pixels` is scratch of H·W·C
// floats, `zeros` C zeros.

/// image (C, H, W) → the input transform V = Bᵀ d B of each m×m tile of an output grid of
/// output_height × output_width, d the tile's n×n patch at rows and columns m·r − 1 … (padding 1, zero
/// outside): entry ξ = n·i + j of tile t = r·⌈Wo/m⌉ + t' of channel c at
/// transformed[ξ·position_stride + t·C + c].
int vqk_winograd_input_transform(int kernel, int tile, int taps, const float *image, long channels, long height,
                                 long width, long output_height, long output_width, float *pixels, const float *zeros,
                                 float *transformed, long position_stride);

/// The four phases of a 4×4 stride-2 padding-1 convolution's input, for F(4×4, 2×2): phase (a, b) is
/// the image's rows 2u + a − 1 and columns 2v + b − 1, its tiles read like `vqk_winograd_input_transform`'s
/// with no padding, over an output grid of output_height × output_width; entry ξ of tile t, phase
/// (a, b), channel c at transformed[ξ·position_stride + t·4C + (2a + b)·C + c].
int vqk_winograd_phase_input_transform(int kernel, const float *image, long channels, long height, long width,
                                       long output_height, long output_width, float *pixels, const float *zeros,
                                       float *transformed, long position_stride);

/// output gradient (C, H, W) → each m×m tile's A e Aᵀ (n×n), e its gradient (zero past the edges), laid
/// out as the input transform's; the adjoint of the output transform's tile transform.
int vqk_winograd_gradient_transform(int kernel, int tile, int taps, const float *gradient, long channels, long height,
                                    long width, float *pixels, const float *zeros, float *transformed,
                                    long position_stride);

/// products m of `images` consecutive images, entry ξ of column k (image k / tiles, its tile k % tiles)
/// of channel c at products[ξ·position_stride + c·channel_stride + k] → output (images, C, H, W): each
/// tile's Aᵀ m A (m×m) plus bias[c] (bias may be NULL), cropped at the edges. With `phases`, C = 4·C',
/// H × W is the grid of four phases and channel (2a + b)·C' + c goes to row 2y + a − 1, column 2x + b − 1 of
/// channel c of output (images, C', 2·(H − 1), 2·(W − 1)), what falls outside dropped.
int vqk_winograd_output_transform(int kernel, int tile, int taps, int phases, const float *products, long position_stride,
                                  long channel_stride, long images, long channels, long height, long width,
                                  const float *bias, float *output);

/// `count` consecutive r×r filters g → U = G g Gᵀ, entry ξ of filter p at transformed[ξ·stride + p].
int vqk_winograd_filter_transform(int kernel, int tile, int taps, const float *weight, long count, long stride,
                                  float *transformed);

/// Where tap (i, j) of filter (row r, depth d) of a pass's filters lies in a convolution's weight:
/// base + (r % row_period)·row_stride + row_phase[r / row_period] + (d % depth_period)·depth_stride
/// + depth_phase[d / depth_period] + i·tap_row_stride + j·tap_column_stride. It reads the weight
/// (F, C, k, k) directly as the forward filters, the flipped and transposed ones of the input
/// gradient, or the four phases' 2×2 filters of a stride-2 4×4 convolution (up to 4 phases).
typedef struct {
    long base;
    long row_period, row_stride, row_phase[4];
    long depth_period, depth_stride, depth_phase[4];
    long tap_row_stride, tap_column_stride;
} vqk_filter_layout;

/// U_ξ = G g Gᵀ of the rows × depth r×r filters g that `layout` reads from `weight`, written straight
/// into the n² matrices U_ξ (rows × depth) packed for the sgemm (`vqk_sgemm_pack_a`'s layout for
/// `kernel`), U_ξ at packed + ξ·packed_stride. Only the row panels [first_panel, end_panel) (each
/// `vqk_sgemm_kernel_row_tile` rows), so that the cores can share them. The same bits as
/// `vqk_winograd_filter_transform` followed by `vqk_sgemm_pack_a`.
int vqk_winograd_packed_filters(int kernel, int tile, int taps, const float *weight, const vqk_filter_layout *layout,
                                long rows, long depth, long first_panel, long end_panel, float *packed,
                                long packed_stride);

/// The adjoint of `vqk_winograd_filter_transform`: dU (entry ξ of filter p at transformed[ξ·stride + p])
/// → Gᵀ dU G, `count` consecutive r×r filters. dU is the sum of `parts` (1 or more) such arrays,
/// `part_stride` floats apart, added in order.
int vqk_winograd_filter_gradient(int kernel, int tile, int taps, const float *transformed, long parts, long part_stride,
                                 long count, long stride, float *weight);

// MARK: - allocator

/// Sets glibc's malloc to serve every block below 1 GiB from its heap and never to trim the heap, so
/// freed buffers are reused without page faults. Returns 1 when glibc took both settings, 0 otherwise
/// (another C library: nothing is changed).
int vqk_keep_freed_memory(void);

#ifdef __cplusplus
}
#endif

#endif
