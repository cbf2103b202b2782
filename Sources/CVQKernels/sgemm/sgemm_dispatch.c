// The public sgemm entry points: which implementation runs on this CPU, and the `VQK_KERNEL`
// environment override (`VQK_KERNEL=avx512|avx2|generic`, read once) used to measure each path.
#include "CVQKernels.h"
#include "sgemm_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const vqk_sgemm_kernel *kernel_for_id(int id) {
    switch (id) {
    case VQK_KERNEL_AVX512: return vqk_sgemm_kernel_avx512();
    case VQK_KERNEL_AVX2: return vqk_sgemm_kernel_avx2();
    case VQK_KERNEL_GENERIC: return vqk_sgemm_kernel_generic();
    default: return NULL;
    }
}

const vqk_sgemm_kernel *vqk_sgemm_kernel_for(int id) { return kernel_for_id(id); }

/// Whether the CPU and the operating system (which must save the wider registers) support `id`.
static int cpu_supports(int id) {
#if VQK_X86 && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    switch (id) {
    case VQK_KERNEL_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case VQK_KERNEL_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case VQK_KERNEL_GENERIC: return 1;
    default: return 0;
    }
#else
    return id == VQK_KERNEL_GENERIC;
#endif
}

int vqk_sgemm_kernel_supported(int kernel) {
    return kernel_for_id(kernel) != NULL && cpu_supports(kernel);
}

int vqk_kernel_resolved(int kernel) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    return vqk_sgemm_kernel_supported(id) ? id : -1;
}

const char *vqk_sgemm_kernel_id_name(int kernel) {
    const vqk_sgemm_kernel *implementation = kernel_for_id(kernel);
    if (implementation != NULL) return implementation->name;
    // Names of kernels this architecture cannot have, for messages.
    switch (kernel) {
    case VQK_KERNEL_AVX512: return "avx512";
    case VQK_KERNEL_AVX2: return "avx2";
    default: return "unknown";
    }
}

/// The widest supported kernel, or the one `VQK_KERNEL` names if it is supported.
static int choose_default_kernel(void) {
    const char *requested = getenv("VQK_KERNEL");
    if (requested != NULL) {
        for (int id = 0; id < VQK_KERNEL_COUNT; id++) {
            if (strcmp(requested, vqk_sgemm_kernel_id_name(id)) == 0 && vqk_sgemm_kernel_supported(id)) return id;
        }
    }
    for (int id = VQK_KERNEL_COUNT - 1; id > VQK_KERNEL_GENERIC; id--) {
        if (vqk_sgemm_kernel_supported(id)) return id;
    }
    return VQK_KERNEL_GENERIC;
}

int vqk_sgemm_default_kernel(void) {
    static atomic_int chosen = -1;  // -1: not chosen yet (choosing twice is harmless)
    int id = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (id < 0) {
        id = choose_default_kernel();
        atomic_store_explicit(&chosen, id, memory_order_relaxed);
    }
    return id;
}

const char *vqk_sgemm_kernel_name(void) { return vqk_sgemm_kernel_id_name(vqk_sgemm_default_kernel()); }

vqk_sgemm_blocking vqk_sgemm_kernel_blocking(int kernel) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (!vqk_sgemm_kernel_supported(id)) return (vqk_sgemm_blocking){0, 0};
    return vqk_sgemm_blocking_for(kernel_for_id(id), vqk_cpu_cache_sizes().l2);
}

vqk_sgemm_blocking vqk_sgemm_kernel_blocking_for_l2(int kernel, long l2_bytes) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (!vqk_sgemm_kernel_supported(id)) return (vqk_sgemm_blocking){0, 0};
    return vqk_sgemm_blocking_for(kernel_for_id(id), l2_bytes);
}

long vqk_sgemm_prefetched_bytes(int kernel, long bytes, long calls, long depth) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (!vqk_sgemm_kernel_supported(id) || bytes < 0 || calls < 0 || depth < 0) return -1;
    const vqk_sgemm_kernel *implementation = kernel_for_id(id);
    float *a = calloc((size_t)(implementation->mr * depth + 1), sizeof(float));
    float *b = calloc((size_t)(implementation->nr * depth + 1), sizeof(float));
    float *c = calloc((size_t)(implementation->mr * implementation->nr), sizeof(float));
    char *memory = malloc((size_t)bytes + 64);
    if (a == NULL || b == NULL || c == NULL || memory == NULL) abort();
    vqk_prefetch_stream ahead = vqk_prefetch_stream_over(memory, bytes, calls, depth);
    for (long call = 0; call < calls; call++) {
        implementation->microkernel(depth, a, b, implementation->nr, c, implementation->nr, 1, implementation->mr,
                                    implementation->nr, &ahead);
    }
    long fetched = ahead.next - memory;
    free(a), free(b), free(c), free(memory);
    return fetched;
}

/// The blocks a product with `config` uses on `implementation`: the configured ones, or those chosen
/// for this CPU; {0, 0} when the configured ones are not multiples of the register tile.
static vqk_sgemm_blocking resolved_blocking(const vqk_sgemm_config *config, const vqk_sgemm_kernel *implementation) {
    vqk_sgemm_blocking blocking = config->blocking;
    if (blocking.mc == 0 && blocking.nc == 0) return vqk_sgemm_blocking_for(implementation, vqk_cpu_cache_sizes().l2);
    if (blocking.mc <= 0 || blocking.nc <= 0 || blocking.mc % implementation->mr != 0 || blocking.nc % implementation->nr != 0) {
        return (vqk_sgemm_blocking){0, 0};
    }
    return blocking;
}

int vqk_sgemm_configured(const vqk_sgemm_config *config,
                         int transpose_a, int transpose_b, long m, long n, long k,
                         const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc) {
    int id = config->kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : config->kernel;
    if (!vqk_sgemm_kernel_supported(id)) return -1;
    vqk_sgemm_blocking blocking = resolved_blocking(config, kernel_for_id(id));
    if (blocking.mc == 0) return -1;
    vqk_sgemm_blocked(kernel_for_id(id), blocking, config->thread_count, config->runner, transpose_a, transpose_b,
                      m, n, k, a, lda, NULL, b, ldb, beta != 0, c, ldc);
    return 0;
}

long vqk_sgemm_packed_a_count(int kernel, long m, long k) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (!vqk_sgemm_kernel_supported(id)) return -1;
    return vqk_sgemm_packed_a_count_for(kernel_for_id(id), m, k);
}

int vqk_sgemm_pack_a(int kernel, int transpose_a, long m, long k, const float *a, long lda, float *packed) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    if (!vqk_sgemm_kernel_supported(id)) return -1;
    vqk_sgemm_pack_a_with(kernel_for_id(id), transpose_a, m, k, a, lda, packed);
    return 0;
}

int vqk_sgemm_configured_packed_a(const vqk_sgemm_config *config, int transpose_b, long m, long n, long k,
                                  const float *packed_a, const float *b, long ldb, float beta, float *c, long ldc) {
    int id = config->kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : config->kernel;
    if (!vqk_sgemm_kernel_supported(id)) return -1;
    vqk_sgemm_blocking blocking = resolved_blocking(config, kernel_for_id(id));
    if (blocking.mc == 0) return -1;
    vqk_sgemm_blocked(kernel_for_id(id), blocking, config->thread_count, config->runner, 0, transpose_b,
                      m, n, k, NULL, 0, packed_a, b, ldb, beta != 0, c, ldc);
    return 0;
}

long vqk_sgemm_kernel_column_tile(int kernel) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    const vqk_sgemm_kernel *implementation = kernel_for_id(id);
    return implementation == NULL ? 1 : implementation->nr;
}

long vqk_sgemm_kernel_row_tile(int kernel) {
    int id = kernel == VQK_KERNEL_DEFAULT ? vqk_sgemm_default_kernel() : kernel;
    const vqk_sgemm_kernel *implementation = kernel_for_id(id);
    return implementation == NULL ? 1 : implementation->mr;
}

void vqk_sgemm(int transpose_a, int transpose_b, long m, long n, long k,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc) {
    vqk_sgemm_config config = {.kernel = VQK_KERNEL_DEFAULT, .thread_count = 1, .runner = NULL};
    vqk_sgemm_configured(&config, transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
