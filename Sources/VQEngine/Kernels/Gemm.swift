import CVQKernels

/// Matrix products on raw row-major buffers: the one fast kernel most ops (matmul, convolutions,
/// nearest-row search) reduce to.
///
/// `multiply` is the fast path: the SIMD kernel of `CVQKernels` chosen for this CPU, run on all
/// cores. `multiplyNaive` is its reference twin, kept for the tests.
public enum Gemm {
    /// C[m×n] = op(A)[m×k] · op(B)[k×n] + beta·C, row-major, on all cores.
    ///
    /// op(A) is A stored m×k with row stride `lda`, or when `transposeA` the transpose of A stored
    /// k×m with row stride `lda`; likewise op(B). `beta` is 0 (C is only written) or 1 (accumulate).
    public static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "Gemm.multiply: beta must be 0 or 1, not \(beta)")
        guard m > 0, n > 0 else { return }
        // Split the rows of C across the cores; each thread packs its own panels of B.
        let minimumRows = max(1, 65_536 / max(n * k, 1))
        Parallel.forRanges(m, granularity: 16, minimumPerChunk: minimumRows) { rows in
            let aStart = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
            vqk_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, rows.count, n, k,
                      aStart, lda, b, ldb, beta, c + rows.lowerBound * ldc, ldc)
        }
    }

    /// The reference twin of `multiply`: three loops, accumulating in `Double`.
    public static func multiplyNaive(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                c[i * ldc + j] = Float(sum) + (beta == 0 ? 0 : c[i * ldc + j])
            }
        }
    }

    /// The SIMD implementation chosen for this CPU ("avx512", "avx2" or "generic").
    public static var kernelName: String { String(cString: vqk_sgemm_kernel_name()) }
}
