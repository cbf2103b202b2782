// The blocked sgemm driver, shared by every implementation (GotoBLAS/BLIS scheme).
//
//   C[m×n] = op(A)[m×k] · op(B)[k×n]  (+ C when accumulating), all row-major.
//
// The implementation supplies a microkernel that multiplies an mr-row panel of A by an nr-column
// panel of B, both packed contiguously in the order the microkernel reads them, and keeps the
// mr×nr tile of C in registers over the whole depth of a block. Around it:
//
//   for each column block j0 (all of n, unless k·n floats would exceed PACKED_B_BUDGET):
//     phase 1, parallel over groups of B panels:
//       pack op(B)[0:k, j0:…] into panels nr wide, in k blocks of depth kc
//         (k block kb, panel q: kc × nr floats, column fastest)                    → L3
//     phase 2, parallel over tasks (at most mc rows × a range of B panels each):
//       for each k block (depth kc):
//         pack op(A)[task rows, k block] into panels mr tall (row fastest)          → L2
//         for each group of B panels, nc columns (kc × nc floats)                   → L2
//           for each A panel of the task (mr × kc floats)                           → L1
//             for each B panel of the group (kc × nr floats, streamed from L2)
//               microkernel: C tile (mr × nr) = or += A panel · B panel             registers
//                 and a share of the next group (or the next k block's first)      L3 → L2
//
// The packed B is made once and shared by every thread; each task packs its own rows of A into
// its thread's scratch buffer. Tasks never wait for each other, so the caller's runner may run them
// in any order, on any number of threads, or one after the other. The k blocks are evened out
// (k = 300 with kc 256 gives two blocks of 150), and partial tiles at the edges of m and n are the
// microkernel's business (panels are zero-padded to full width).
#include "CVQKernels.h"
#include "sgemm_internal.h"
#include "../scratch.h"

/// Floats of packed B per column block, at most (16 MiB): narrows the column blocks when k is large.
#define PACKED_B_BUDGET (4L << 20)
/// Tasks per thread in each parallel phase: more than one, so that a thread slowed by other work
/// on the machine hands its share to the others.
#define TASKS_PER_THREAD 4
/// The smallest row task, in A panels, of the shrinking tail of tasks (see `row_schedule`).
#ifndef SMALLEST_ROW_TASK
#define SMALLEST_ROW_TASK 2
#endif
/// At most this many tasks in the shrinking tail (the last one takes whatever remains).
#define MAX_TAIL_TASKS 64

static long ceil_div(long x, long y) { return (x + y - 1) / y; }
static long min_long(long x, long y) { return x < y ? x : y; }
static long max_long(long x, long y) { return x > y ? x : y; }

/// How the rows of C are cut into tasks, in A panels (mr rows each): a head of equal tasks of at
/// most mc rows, then a tail of shrinking tasks (guided scheduling: each takes 1/(2·threads) of
/// what remains). Cores rarely run at the same speed on a shared machine, and with equal tasks the
/// last one often starts on the slower core while the other waits; short last tasks bound that wait.
typedef struct {
    long head_tasks, head_panels;
    long tail_tasks;
    long tail_start[MAX_TAIL_TASKS + 1];  // first panel of each tail task; [tail_tasks]: all panels
} row_schedule;

/// One product and how it is cut into blocks and tasks.
typedef struct {
    const vqk_sgemm_kernel *kernel;
    vqk_sgemm_blocking blocking;  // mc and nc
    int transpose_a, transpose_b;
    long m, n, k;
    const float *a, *b;
    long lda, ldb;
    const float *prepacked_a;  // op(A) already in packed_a_layout (vqk_sgemm_pack_a), or NULL
    int direct_b;           // full B panels are read in place, not packed (see `reads_b_in_place`)
    int accumulate;         // C += op(A)·op(B) (beta = 1) rather than C = op(A)·op(B)
    float *c;
    long ldc;
    long kc, k_blocks;      // depth of each k block (the last may be shorter), and their count
    long column_block;      // widest column block (packed at once), a multiple of nr
    // The current column block:
    long j0, block_width, b_panels;  // first column, width, and number of nr-wide B panels
    float *packed_b;        // k × (b_panels · nr) floats
    long pack_tasks, panels_per_pack_task;
    row_schedule rows;
    long row_tasks;                                // rows.head_tasks + rows.tail_tasks
    long column_tasks, panels_per_column_task;
} gemm_plan;

// MARK: - Packing

/// The depth of k block `kb`.
static long block_depth(const gemm_plan *plan, long kb) {
    return min_long(plan->kc, plan->k - kb * plan->kc);
}

/// Packs op(B)[p0 : p0+depth, j : j+valid] into one panel at `dst` (depth × nr).
static void pack_b_panel(const gemm_plan *plan, float *dst, long p0, long depth, long j, long valid) {
    const vqk_sgemm_kernel *kernel = plan->kernel;
    if (plan->transpose_b) {  // B is n×k: a column of op(B) is a contiguous row of B
        kernel->pack_b(dst, plan->b + j * plan->ldb + p0, plan->ldb, 1, valid, depth);
    } else {                  // B is k×n: a row of op(B) holds the panel's lanes side by side
        kernel->pack_b(dst, plan->b + p0 * plan->ldb + j, 1, plan->ldb, valid, depth);
    }
}

/// Packs op(A)[i : i+valid, p0 : p0+depth] into one panel at `dst` (depth × mr).
static void pack_a_panel(const gemm_plan *plan, float *dst, long i, long valid, long p0, long depth) {
    const vqk_sgemm_kernel *kernel = plan->kernel;
    if (plan->transpose_a) {  // A is k×m: a column of op(A) holds the panel's lanes side by side
        kernel->pack_a(dst, plan->a + p0 * plan->lda + i, 1, plan->lda, valid, depth);
    } else {                  // A is m×k: a row of op(A) is contiguous along the depth
        kernel->pack_a(dst, plan->a + i * plan->lda + p0, plan->lda, 1, valid, depth);
    }
}

/// Where block `kb`, panel `q` of the packed B starts.
static float *packed_b_panel(const gemm_plan *plan, long kb, long q) {
    long nr = plan->kernel->nr;
    return plan->packed_b + kb * plan->kc * plan->b_panels * nr + q * block_depth(plan, kb) * nr;
}

/// Whether panel `q` of the current column block is read in place from op(B): with `direct_b`, every
/// panel that is nr columns wide (the last may be narrower, and is packed with its zero padding).
static int panel_in_place(const gemm_plan *plan, long q) {
    return plan->direct_b && (q + 1) * plan->kernel->nr <= plan->block_width;
}

/// Block `kb`, panel `q` of B as the microkernel reads it, and its row stride in `*stride`.
static const float *b_panel(const gemm_plan *plan, long kb, long q, long *stride) {
    if (panel_in_place(plan, q)) {
        *stride = plan->ldb;
        return plan->b + kb * plan->kc * plan->ldb + plan->j0 + q * plan->kernel->nr;
    }
    *stride = plan->kernel->nr;
    return packed_b_panel(plan, kb, q);
}

/// Depth steps packed at a time across all panels when a panel's lanes are contiguous in memory
/// (B as stored, A stored transposed): each source row is then read front to back, which the
/// hardware prefetcher follows, rather than in short pieces a whole panel apart.
#define PACK_DEPTH_CHUNK 16

/// Phase 1 task: packs B panels [task·panels_per_pack_task, …) of the current column block, all k blocks.
static void pack_b_task(void *context, long task) {
    const gemm_plan *plan = context;
    long nr = plan->kernel->nr;
    long first = task * plan->panels_per_pack_task;
    long end = min_long(plan->b_panels, first + plan->panels_per_pack_task);
    for (long kb = 0; kb < plan->k_blocks; kb++) {
        long depth = block_depth(plan, kb);
        long chunk = plan->transpose_b ? depth : PACK_DEPTH_CHUNK;
        for (long p = 0; p < depth; p += chunk) {
            for (long q = first; q < end; q++) {
                if (panel_in_place(plan, q)) continue;
                pack_b_panel(plan, packed_b_panel(plan, kb, q) + p * nr, kb * plan->kc + p,
                             min_long(chunk, depth - p), plan->j0 + q * nr, min_long(nr, plan->block_width - q * nr));
            }
        }
    }
}

/// Packs the task's rows i0..<i0+rows of op(A), k block `kb`, into panels mr tall at `packed_a`.
static void pack_a_block(const gemm_plan *plan, float *packed_a, long i0, long rows, long kb) {
    long mr = plan->kernel->mr, depth = block_depth(plan, kb);
    long chunk = plan->transpose_a ? PACK_DEPTH_CHUNK : depth;
    for (long p = 0; p < depth; p += chunk) {
        for (long s = 0; s * mr < rows; s++) {
            pack_a_panel(plan, packed_a + s * mr * depth + p * mr, i0 + s * mr, min_long(mr, rows - s * mr),
                         kb * plan->kc + p, min_long(chunk, depth - p));
        }
    }
}

// MARK: - Multiplying

/// The packed B panels [first, end) of k block `kb`, as a stream to be fetched over `calls`
/// microkernel calls. Empty past the last k block, and when any of the panels is read in place
/// (those are not contiguous; the small products that read B in place have little to hide).
static vqk_prefetch_stream upcoming_panels(const gemm_plan *plan, long kb, long first, long end, long calls,
                                           long depth) {
    if (kb >= plan->k_blocks || first >= end || panel_in_place(plan, first) || panel_in_place(plan, end - 1)) {
        return (vqk_prefetch_stream){NULL, NULL, 0, 0};
    }
    long bytes = (end - first) * block_depth(plan, kb) * plan->kernel->nr * (long)sizeof(float);
    return vqk_prefetch_stream_over(packed_b_panel(plan, kb, first), bytes, calls, depth);
}

/// C[i0 : i0+rows, panels first..<end of the column block] for k block `kb`, with A's rows packed
/// in `packed_a` (panels mr tall, depth of the block). The B panels are taken in groups of nc
/// columns that stay in L2; within a group, each A panel stays in L1 while the B panels stream by.
///
/// A group first comes from L3 (the packed B is shared by all tasks), and left to the hardware the
/// first A panel waited on it: its calls took twice as long as the others (AVX-512, n = 2048, 4.5%
/// of the product). So while one group is multiplied, the microkernel calls fetch the next one
/// (or the first of the next k block) into L2, an equal share each, spread through their depth loops.
static void multiply_block(const gemm_plan *plan, const float *packed_a, long i0, long rows,
                           long first, long end, long kb) {
    const vqk_sgemm_kernel *kernel = plan->kernel;
    long mr = kernel->mr, nr = kernel->nr, depth = block_depth(plan, kb);
    // Groups of at most nc columns, evened out (40 panels with nc = 21 panels: two groups of 20).
    long groups = ceil_div(end - first, max_long(1, plan->blocking.nc / nr));
    long panels_per_group = ceil_div(end - first, groups);
    long a_panels = ceil_div(rows, mr);
    int accumulate = plan->accumulate || kb > 0;
    for (long group = first; group < end; group += panels_per_group) {
        long group_end = min_long(end, group + panels_per_group);
        long calls = a_panels * (group_end - group);
        vqk_prefetch_stream ahead = group_end < end
            ? upcoming_panels(plan, kb, group_end, min_long(end, group_end + panels_per_group), calls, depth)
            : upcoming_panels(plan, kb + 1, first, min_long(end, first + panels_per_group), calls, depth);
        for (long s = 0; s < a_panels; s++) {
            const float *a_panel = packed_a + s * mr * depth;
            float *c_row = plan->c + (i0 + s * mr) * plan->ldc + plan->j0;
            long tile_rows = min_long(mr, rows - s * mr);
            for (long q = group; q < group_end; q++) {
                long b_stride;
                const float *b = b_panel(plan, kb, q, &b_stride);
                kernel->microkernel(depth, a_panel, b, b_stride, c_row + q * nr, plan->ldc,
                                    accumulate, tile_rows, min_long(nr, plan->block_width - q * nr), &ahead);
            }
        }
    }
}

/// The A panels [*first, *end) of row task `task`.
static void row_task_panels(const row_schedule *schedule, long task, long *first, long *end) {
    if (task < schedule->head_tasks) {
        *first = task * schedule->head_panels;
        *end = *first + schedule->head_panels;
    } else {
        *first = schedule->tail_start[task - schedule->head_tasks];
        *end = schedule->tail_start[task - schedule->head_tasks + 1];
    }
}

/// Where k block `kb`, A panel `panel` starts in a pre-packed op(A): the layout of
/// `vqk_sgemm_pack_a` is the blocks one after another, each holding every panel (mr × depth).
static const float *prepacked_a_block(const gemm_plan *plan, long kb, long panel) {
    long mr = plan->kernel->mr;
    long panels = ceil_div(plan->m, mr);
    return plan->prepacked_a + kb * plan->kc * panels * mr + panel * mr * block_depth(plan, kb);
}

/// Phase 2 task: one block of rows times one group of B panels, over the whole depth.
static void multiply_task(void *context, long task) {
    const gemm_plan *plan = context;
    long mr = plan->kernel->mr;
    long first_panel, end_panel;
    row_task_panels(&plan->rows, task / plan->column_tasks, &first_panel, &end_panel);
    long i0 = first_panel * mr;
    long rows = min_long(end_panel * mr, plan->m) - i0;
    long first = (task % plan->column_tasks) * plan->panels_per_column_task;
    long end = min_long(plan->b_panels, first + plan->panels_per_column_task);
    if (rows <= 0 || first >= end) return;
    if (plan->prepacked_a != NULL) {
        for (long kb = 0; kb < plan->k_blocks; kb++) {
            multiply_block(plan, prepacked_a_block(plan, kb, first_panel), i0, rows, first, end, kb);
        }
        return;
    }
    vqk_buffer packed_a = vqk_scratch_take(VQK_SCRATCH_PACKED_A, (size_t)(ceil_div(rows, mr) * mr * plan->kc));
    for (long kb = 0; kb < plan->k_blocks; kb++) {
        pack_a_block(plan, packed_a.data, i0, rows, kb);
        multiply_block(plan, packed_a.data, i0, rows, first, end, kb);
    }
    vqk_scratch_give_back(VQK_SCRATCH_PACKED_A, packed_a);
}

// MARK: - Planning

/// Whether full B panels are read in place rather than packed: when op(A) has at most
/// DIRECT_B_PANELS panels of rows, each packed B element would serve only that many microkernel
/// calls and the packing costs a good part of the product, and when B's rows are shorter than
/// DIRECT_B_LDB floats (longer strides alias in the L1 sets and the TLB). Only B as stored, rows of
/// op(B) contiguous, can be read in place. Measured on one core (AVX-512, GFLOP/s, packed → in place):
/// m 32, n 147, k 1152 (a convolution with 32 filters on 3 images of 7×7) 83 → 92; m 48, n 784,
/// k 1152 88 → 100; m 12, n 500, k 300 71 → 115; m 32, n 1024, k 1024 71 → 75; but m 32, n 4096
/// 65 → 42, hence the stride limit.
#ifndef DIRECT_B_PANELS
#define DIRECT_B_PANELS 4
#endif
#define DIRECT_B_LDB 1024
static int reads_b_in_place(const vqk_sgemm_kernel *kernel, int transpose_b, long m, long ldb) {
    return !transpose_b && m <= DIRECT_B_PANELS * kernel->mr && ldb < DIRECT_B_LDB;
}

/// Chooses kc, the k blocks and the widest column block. Blocks are evened out: k = 300 with a
/// kernel kc of 256 gives two blocks of 150 rather than 256 and 44.
static void plan_depth(gemm_plan *plan) {
    const vqk_sgemm_kernel *kernel = plan->kernel;
    plan->k_blocks = ceil_div(plan->k, kernel->kc);
    plan->kc = vqk_sgemm_block_depth_for(kernel, plan->k);
    plan->column_block = max_long(kernel->nr, PACKED_B_BUDGET / plan->k / kernel->nr * kernel->nr);
}

/// Cuts `panels` A panels into row tasks of at most `largest` panels for `threads` threads: equal
/// tasks on one thread, a head of equal tasks and a shrinking tail on several (see `row_schedule`).
static void plan_rows(row_schedule *schedule, long panels, long largest, long threads) {
    long smallest = min_long(largest, SMALLEST_ROW_TASK);
    long guided_span = threads > 1 ? 2 * threads * largest : 0;  // the tail covers about this many
    schedule->head_panels = largest;
    schedule->head_tasks = panels > guided_span ? ceil_div(panels - guided_span, largest) : 0;
    long start = min_long(panels, schedule->head_tasks * largest), count = 0;
    while (start < panels) {
        long remaining = panels - start;
        long size = max_long(smallest, min_long(largest, ceil_div(remaining, 2 * threads)));
        if (count == MAX_TAIL_TASKS - 1) size = remaining;
        schedule->tail_start[count++] = start;
        start += min_long(size, remaining);
    }
    schedule->tail_tasks = count;
    schedule->tail_start[count] = panels;
}

/// Cuts the column block starting at j0 into tasks for `threads` threads.
static void plan_column_block(gemm_plan *plan, long j0, long width, long threads) {
    const vqk_sgemm_kernel *kernel = plan->kernel;
    long mr = kernel->mr, nr = kernel->nr;
    plan->j0 = j0;
    plan->block_width = width;
    plan->b_panels = ceil_div(width, nr);
    long target = threads > 1 ? threads * TASKS_PER_THREAD : 1;

    plan->pack_tasks = min_long(plan->b_panels, target);
    plan->panels_per_pack_task = ceil_div(plan->b_panels, plan->pack_tasks);
    plan->pack_tasks = ceil_div(plan->b_panels, plan->panels_per_pack_task);

    // Rows first (each task packs only its own rows of A).
    plan_rows(&plan->rows, ceil_div(plan->m, mr), plan->blocking.mc / mr, threads);
    plan->row_tasks = plan->rows.head_tasks + plan->rows.tail_tasks;
    // Too few rows to go round: also split the columns, at least two B panels per task (each
    // column task packs the same rows of A again, which is cheap only when the rows are few).
    plan->column_tasks = 1;
    if (plan->row_tasks < target) {
        plan->column_tasks = max_long(1, min_long(plan->b_panels / 2, ceil_div(target, plan->row_tasks)));
    }
    plan->panels_per_column_task = ceil_div(plan->b_panels, plan->column_tasks);
    plan->column_tasks = ceil_div(plan->b_panels, plan->panels_per_column_task);
}

// MARK: - Running

/// Runs `count` tasks through the runner, or one after the other on this thread.
static void run_tasks(vqk_parallel_runner runner, long threads, long count, vqk_task task, void *context) {
    if (runner != NULL && threads > 1 && count > 1) {
        runner(count, task, context);
    } else {
        for (long index = 0; index < count; index++) task(context, index);
    }
}

/// C = 0 over m×n (the k = 0 product without accumulation).
static void clear_c(float *c, long m, long n, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) c[i * ldc + j] = 0;
    }
}

void vqk_sgemm_blocked(const vqk_sgemm_kernel *kernel, vqk_sgemm_blocking blocking,
                       long thread_count, vqk_parallel_runner runner,
                       int transpose_a, int transpose_b, long m, long n, long k,
                       const float *a, long lda, const float *prepacked_a, const float *b, long ldb,
                       int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate) clear_c(c, m, n, ldc);
        return;
    }
    gemm_plan plan = {
        .kernel = kernel, .blocking = blocking, .transpose_a = transpose_a, .transpose_b = transpose_b,
        .m = m, .n = n, .k = k, .a = a, .b = b, .lda = lda, .ldb = ldb, .prepacked_a = prepacked_a,
        .accumulate = accumulate, .c = c, .ldc = ldc,
    };
    plan_depth(&plan);
    plan.direct_b = reads_b_in_place(kernel, transpose_b, m, ldb);
    long column_blocks = ceil_div(n, plan.column_block);
    long width = min_long(n, ceil_div(ceil_div(n, column_blocks), kernel->nr) * kernel->nr);
    vqk_buffer packed_b = vqk_scratch_take(VQK_SCRATCH_PACKED_B, (size_t)(k * ceil_div(width, kernel->nr) * kernel->nr));
    plan.packed_b = packed_b.data;
    for (long j0 = 0; j0 < n; j0 += width) {
        plan_column_block(&plan, j0, min_long(width, n - j0), thread_count);
        run_tasks(runner, thread_count, plan.pack_tasks, pack_b_task, &plan);
        run_tasks(runner, thread_count, plan.row_tasks * plan.column_tasks, multiply_task, &plan);
    }
    vqk_scratch_give_back(VQK_SCRATCH_PACKED_B, packed_b);
}

// MARK: - Pre-packed A

long vqk_sgemm_packed_a_count_for(const vqk_sgemm_kernel *kernel, long m, long k) {
    return ceil_div(m, kernel->mr) * kernel->mr * k;
}

void vqk_sgemm_pack_a_with(const vqk_sgemm_kernel *kernel, int transpose_a, long m, long k,
                           const float *a, long lda, float *packed) {
    if (m <= 0 || k <= 0) return;
    gemm_plan plan = {.kernel = kernel, .transpose_a = transpose_a, .m = m, .k = k, .a = a, .lda = lda};
    plan_depth(&plan);
    long panels = ceil_div(m, kernel->mr);
    for (long kb = 0; kb < plan.k_blocks; kb++) {
        pack_a_block(&plan, packed + kb * plan.kc * panels * kernel->mr, 0, m, kb);
    }
}
