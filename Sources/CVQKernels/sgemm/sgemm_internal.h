// What the sgemm driver (sgemm_driver.c) needs to know about one implementation: its register tile,
// its cache blocks, its packing routines and its microkernel. Each implementation (sgemm_avx512.c,
// sgemm_avx2.c, sgemm_generic.c) fills one `vqk_sgemm_kernel`; sgemm_dispatch.c picks one.
#ifndef VQK_SGEMM_INTERNAL_H
#define VQK_SGEMM_INTERNAL_H

#include <stddef.h>

#include "CVQKernels.h"

#include <limits.h>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define VQK_X86 1
#else
#define VQK_X86 0
#endif

#define VQK_ALWAYS_INLINE inline __attribute__((always_inline))

/// Packs one panel: `depth` steps of `width` lanes, lane fastest, zero-filling the lanes at and past
/// `valid`:  dst[p·width + r] = src[r·lane_stride + p·depth_stride]  (r < valid ≤ width, p < depth).
/// For A the lanes are rows of C and the depth is k; for B the lanes are columns of C. Exactly one
/// of the strides is 1 in practice (1 for lanes: a copy of rows; 1 for depth: a transposition).
/// `dst` is 64-byte aligned.
typedef void (*vqk_pack_panel_fn)(float *dst, const float *src, long lane_stride, long depth_stride,
                                  long valid, long depth);

/// Memory to be brought into L2 a few cache lines at a time, by the microkernel calls before its use
/// (see `vqk_microkernel_fn`). An empty stream has next == end and no lines.
typedef struct vqk_prefetch_stream {
    const char *next, *end;  // the next line to fetch, and the end of the memory
    long lines;              // lines to fetch per microkernel call
    long lines_per_chunk;    // of which, every VQK_PREFETCH_STEPS depth steps
} vqk_prefetch_stream;

/// The register-blocked inner product of one A panel (depth × mr) and one B panel (depth rows of nr,
/// row stride b_stride):
///   C[rows×cols] (=|+=) Σ_p a_panel[p·mr + i] · b_panel[p·b_stride + j]   (i < rows ≤ mr, j < cols ≤ nr)
/// with `+=` when `accumulate` is non-zero. Only the rows×cols elements at c (row stride ldc) are
/// touched. The A panel is 64-byte aligned and zero beyond its valid lanes; the B panel is either
/// packed (b_stride = nr, aligned, zero beyond its valid lanes) or, for a full panel, op(B) read in
/// place (b_stride = ldb, any alignment).
///
/// `ahead` is memory the caller will need soon (the next group of packed B panels): the microkernel
/// brings `ahead->lines` of its cache lines into L2 during the call, spread over the depth loop, and
/// advances `ahead->next` past them. It changes no result.
typedef void (*vqk_microkernel_fn)(long depth, const float *a_panel, const float *b_panel, long b_stride,
                                   float *c, long ldc, int accumulate, long rows, long cols,
                                   struct vqk_prefetch_stream *ahead);

/// Depth steps of the microkernel loop between two prefetches of the stream.
#define VQK_PREFETCH_STEPS 8

/// A stream over `bytes` at `start`, fetched in equal shares by `calls` microkernel calls `depth` deep.
static inline vqk_prefetch_stream vqk_prefetch_stream_over(const void *start, long bytes, long calls, long depth) {
    long lines = (bytes + 63) / 64, chunks = depth / VQK_PREFETCH_STEPS;
    long per_call = calls > 0 ? (lines + calls - 1) / calls : lines;
    long per_chunk = chunks > 0 ? (per_call + chunks - 1) / chunks : per_call;
    return (vqk_prefetch_stream){(const char *)start, (const char *)start + 64 * lines, per_call, per_chunk};
}

/// Where this call's share of `ahead` ends: `ahead->lines` lines on, or the end of the memory.
static VQK_ALWAYS_INLINE const char *vqk_prefetch_call_end(const vqk_prefetch_stream *ahead) {
    return 64 * ahead->lines < ahead->end - ahead->next ? ahead->next + 64 * ahead->lines : ahead->end;
}

/// Fetches up to `count` lines into L2 from `*next` (never at or past `end`), and advances `*next`.
static VQK_ALWAYS_INLINE void vqk_prefetch_to_l2(const char **next, const char *end, long count) {
    for (long i = 0; i < count && *next < end; i++, *next += 64) __builtin_prefetch(*next, 0, 2);
}

/// The microkernels' depth loop, one body for every instruction set (the step differs, the walk does
/// not): `STEP` (a statement multiplying one depth step at `a` and `b`) `depth` times, with a += mr and
/// b += b_stride after each, and this call's share of `ahead` fetched a few lines every
/// VQK_PREFETCH_STEPS steps; what the chunks leave (a call shallower than one chunk) at the end.
#define VQK_DEPTH_LOOP(depth, a, b, mr, b_stride, ahead, STEP)                                        \
    do {                                                                                              \
        const char *vqk_next = (ahead)->next, *vqk_stop = vqk_prefetch_call_end(ahead);               \
        long vqk_lines = (ahead)->lines_per_chunk, vqk_p = 0;                                         \
        for (; vqk_p + VQK_PREFETCH_STEPS <= (depth); vqk_p += VQK_PREFETCH_STEPS) {                  \
            vqk_prefetch_to_l2(&vqk_next, vqk_stop, vqk_lines);                                       \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int vqk_step = 0; vqk_step < VQK_PREFETCH_STEPS; vqk_step++) {                       \
                STEP;                                                                                 \
                (a) += (mr);                                                                          \
                (b) += (b_stride);                                                                    \
            }                                                                                         \
        }                                                                                             \
        for (; vqk_p < (depth); vqk_p++) {                                                            \
            STEP;                                                                                     \
            (a) += (mr);                                                                              \
            (b) += (b_stride);                                                                        \
        }                                                                                             \
        vqk_prefetch_to_l2(&vqk_next, vqk_stop, LONG_MAX);                                            \
        (ahead)->next = vqk_next;                                                                     \
    } while (0)

/// The depth of a k block, the same for every implementation. Each element of C is computed the same
/// way by all of them: per k block, a chain of fused multiply-adds in depth order starting from zero
/// (one rounding per step), then stored, or added to C when accumulating; threads split rows and
/// columns, never the depth. So every kernel, on any CPU and thread count, gives the same bits: the
/// image codec's cross-machine decoding rests on it (GemmTests `kernelsAgreeBitForBit`). A kernel
/// with another kc, another order or a separate multiply and add would break that.
#define VQK_SGEMM_KC 384

/// One sgemm implementation and its blocking parameters.
typedef struct {
    int id;              // VQK_KERNEL_*
    const char *name;
    long mr, nr;         // the register tile: mr rows × nr columns of C per microkernel call
    long mc;             // rows of A per task, at most (a multiple of mr), when the L2 size is
                         // unknown (otherwise see vqk_sgemm_blocking_for): mc × kc floats stay in L2
    long kc;             // depth of one k block (VQK_SGEMM_KC): an A panel (mr × kc) stays in L1
    long nc;             // columns of packed B swept per A panel (a multiple of nr), when the L2 size
                         // is unknown: kc × nc floats stay in L2 while the A panels of a task take
                         // turns in L1
    vqk_pack_panel_fn pack_a;       // width mr
    vqk_pack_panel_fn pack_b;       // width nr
    vqk_microkernel_fn microkernel;
} vqk_sgemm_kernel;

/// The implementations compiled into this library; NULL for those this architecture cannot have.
const vqk_sgemm_kernel *vqk_sgemm_kernel_avx512(void);
const vqk_sgemm_kernel *vqk_sgemm_kernel_avx2(void);
const vqk_sgemm_kernel *vqk_sgemm_kernel_generic(void);

/// mc and nc for `kernel` on a CPU whose L2 holds `l2_bytes` (sgemm_blocking.c); the kernel's own
/// values when l2_bytes is 0 (unknown).
vqk_sgemm_blocking vqk_sgemm_blocking_for(const vqk_sgemm_kernel *kernel, long l2_bytes);

/// Runs the blocked product with `kernel` and `blocking` (see sgemm_driver.c), its tasks through
/// `runner` when thread_count > 1; other arguments as `vqk_sgemm`, with `accumulate` for beta = 1.
void vqk_sgemm_blocked(const vqk_sgemm_kernel *kernel, vqk_sgemm_blocking blocking,
                       long thread_count, vqk_parallel_runner runner,
                       int transpose_a, int transpose_b, long m, long n, long k,
                       const float *a, long lda, const float *prepacked_a, const float *b, long ldb,
                       int accumulate, float *c, long ldc);

/// The implementation a `VQK_KERNEL_*` value names (`VQK_KERNEL_DEFAULT`: the one chosen for this CPU),
/// or -1 when it is unknown or this CPU lacks it: how the kernels beside the sgemm (im2col, Winograd's
/// transforms) pick theirs.
int vqk_kernel_resolved(int kernel);

/// The implementation `id` (a resolved `VQK_KERNEL_*`, see `vqk_kernel_resolved`), or NULL.
const vqk_sgemm_kernel *vqk_sgemm_kernel_for(int id);

/// The depth of each k block of an op(A) k deep: k cut into the fewest equal blocks of at most
/// `kernel->kc` (the last may be shorter). The layout of `vqk_sgemm_pack_a_with` is the blocks one
/// after another, each holding every panel (mr × its depth), lanes within a depth step contiguous.
static VQK_ALWAYS_INLINE long vqk_sgemm_block_depth_for(const vqk_sgemm_kernel *kernel, long k) {
    long blocks = (k + kernel->kc - 1) / kernel->kc;
    return blocks > 0 ? (k + blocks - 1) / blocks : kernel->kc;
}

/// Floats `vqk_sgemm_pack_a_with` writes for an m×k op(A) with `kernel`.
long vqk_sgemm_packed_a_count_for(const vqk_sgemm_kernel *kernel, long m, long k);

/// Packs all of op(A) (m×k) the way the driver's tasks would, every k block after the other.
void vqk_sgemm_pack_a_with(const vqk_sgemm_kernel *kernel, int transpose_a, long m, long k,
                           const float *a, long lda, float *packed);

/// Writes (or adds, when `accumulate`) the rows×cols corner of a tile with row stride `tile_stride`
/// to C: the edge path of microkernels that only compute full tiles.
static VQK_ALWAYS_INLINE void vqk_store_tile_corner(const float *tile, long tile_stride, float *c, long ldc,
                                                     int accumulate, long rows, long cols) {
    for (long i = 0; i < rows; i++) {
        for (long j = 0; j < cols; j++) {
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * tile_stride + j] : tile[i * tile_stride + j];
        }
    }
}

/// The generic packing loop, inlined into each implementation so that it is compiled (and
/// vectorised) for that implementation's target. See `vqk_pack_panel_fn`.
static VQK_ALWAYS_INLINE void vqk_pack_panel_portable(float *restrict dst, const float *restrict src,
                                                       long lane_stride, long depth_stride, long valid,
                                                       long depth, const long width) {
    if (lane_stride == 1) {  // each depth step is a contiguous run of lanes: copy rows
        for (long p = 0; p < depth; p++) {
            const float *from = src + p * depth_stride;
            float *to = dst + p * width;
            for (long r = 0; r < valid; r++) to[r] = from[r];
            for (long r = valid; r < width; r++) to[r] = 0;
        }
    } else {  // each lane is a contiguous run along depth: transpose, a few lanes at a time
        for (long r = 0; r < valid; r++) {
            const float *from = src + r * lane_stride;
            for (long p = 0; p < depth; p++) dst[p * width + r] = from[p * depth_stride];
        }
        for (long r = valid; r < width; r++) {
            for (long p = 0; p < depth; p++) dst[p * width + r] = 0;
        }
    }
}

#endif
