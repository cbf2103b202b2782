import Testing
import VQEngine
import _VQTestSupport

/// The fast `Gemm.multiply` against its naive twin `Gemm.multiplyNaive` (Double accumulation).
@Suite struct GemmTests {
    /// Odd sizes (not multiples of any SIMD width or block size), batch-like 1-row and 1-column cases,
    /// every transpose combination, padded leading dimensions, and beta 0 and 1.
    @Test(arguments: [
        (1, 1, 1), (1, 17, 3), (13, 1, 5), (3, 5, 7), (31, 33, 29), (16, 48, 64),
        (65, 97, 130), (129, 47, 257), (250, 300, 70), (8, 1024, 3),
    ])
    func matchesNaiveTwin(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: UInt64(m * 1_000_000 + n * 1000 + k))
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta: Float in [0, 1] {
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 1
                    let a = Tensor(uniform: [(transposeA ? k : m) * lda], low: -1, high: 1, generator: &generator)
                    let b = Tensor(uniform: [(transposeB ? n : k) * ldb], low: -1, high: 1, generator: &generator)
                    let c0 = Tensor(uniform: [m * ldc], low: -1, high: 1, generator: &generator)
                    var fast = c0, naive = c0
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            fast.withUnsafeMutableBufferPointer { c in
                                Gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                              a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                                              c: c.baseAddress!, ldc: ldc)
                            }
                            naive.withUnsafeMutableBufferPointer { c in
                                Gemm.multiplyNaive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                   a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                                                   c: c.baseAddress!, ldc: ldc)
                            }
                        }
                    }
                    // Float32 sums of k products of values in [-1, 1]: error grows like √k·ulp.
                    expectClose(fast.scalars, naive.scalars, absolute: 1e-5 * Float(k).squareRoot() * 4, relative: 1e-5,
                                "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB) beta \(beta)")
                    // The padding columns of C (between n and ldc) are never written.
                    for row in 0..<m { #expect(fast[flat: row * ldc + n] == c0[flat: row * ldc + n]) }
                }
            }
        }
    }

    @Test func kernelNameIsKnown() {
        #expect(["avx512", "avx2", "generic"].contains(Gemm.kernelName))
    }
}
