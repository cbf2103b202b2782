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

/// Single-precision matrix product on row-major matrices, one thread:
///   C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C
/// op(A) is A (m×k, row stride lda) or, when transpose_a is non-zero, the transpose of A stored as
/// k×m with row stride lda. Likewise op(B). beta is 0 (C is overwritten, never read) or 1.
void vqk_sgemm(int transpose_a, int transpose_b, long m, long n, long k,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc);

/// The name of the implementation `vqk_sgemm` dispatches to on this CPU: "avx512", "avx2" or "generic".
const char *vqk_sgemm_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif
