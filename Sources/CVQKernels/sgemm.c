// Placeholder single-threaded sgemm; the blocked SIMD kernels with run-time dispatch replace it.
#include "CVQKernels.h"

void vqk_sgemm(int transpose_a, int transpose_b, long m, long n, long k,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0;
            for (long p = 0; p < k; p++) {
                float av = transpose_a ? a[p * lda + i] : a[i * lda + p];
                float bv = transpose_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += av * bv;
            }
            c[i * ldc + j] = (beta == 0 ? 0 : beta * c[i * ldc + j]) + sum;
        }
    }
}

const char *vqk_sgemm_kernel_name(void) { return "generic"; }
