import CVQKernels
import Testing
import VQEngine
import _VQTestSupport

/// The fast `Gemm.multiply` against its naive twin `Gemm.multiplyNaive` (Double accumulation), for the
/// default path and for every implementation (AVX-512, AVX2+FMA, generic) on one and on all threads.
@Suite struct GemmTests {
    /// (m, n, k). Odd sizes (not multiples of any SIMD width or block size), batch-like 1-row and
    /// 1-column cases, every transpose combination, padded leading dimensions, and beta 0 and 1.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 17, 3), (13, 1, 5), (3, 5, 7), (31, 33, 29), (16, 48, 64),
        (65, 97, 130), (129, 47, 257), (250, 300, 70), (8, 1024, 3),
    ]

    /// Shapes that cross the blocking of every implementation (kc 384, mc ≤ 192, nc 512): k = 1; one
    /// row or one column with a long other side; k deeper than kc (several k blocks); m beyond mc
    /// (several row tasks, equal ones and a shrinking tail when threaded); n beyond nc (several L2
    /// groups of B panels); and k so deep that the packed-B budget (4 Mi floats) splits n into
    /// several column blocks.
    static let blockingShapes: [(Int, Int, Int)] = [
        (7, 9, 1), (1, 300, 40), (300, 1, 40), (5, 37, 1000), (450, 20, 30), (3, 4200, 2), (1, 700, 6100),
    ]

    @Test(arguments: shapes)
    func matchesNaiveTwin(shape: (Int, Int, Int)) {
        checkAgainstNaiveTwin(shape: shape, kernel: nil, threadCount: nil)
    }

    @Test(.enabled(if: Gemm.Kernel.avx512.isSupported, "skipped: this CPU has no AVX-512F"),
          arguments: shapes + blockingShapes)
    func avx512MatchesNaiveTwin(shape: (Int, Int, Int)) {
        checkAgainstNaiveTwin(shape: shape, kernel: .avx512, threadCount: 1)
        checkAgainstNaiveTwin(shape: shape, kernel: .avx512, threadCount: 3)
    }

    @Test(.enabled(if: Gemm.Kernel.avx2.isSupported, "skipped: this CPU has no AVX2+FMA"),
          arguments: shapes + blockingShapes)
    func avx2MatchesNaiveTwin(shape: (Int, Int, Int)) {
        checkAgainstNaiveTwin(shape: shape, kernel: .avx2, threadCount: 1)
        checkAgainstNaiveTwin(shape: shape, kernel: .avx2, threadCount: 3)
    }

    @Test(arguments: shapes + blockingShapes)
    func genericMatchesNaiveTwin(shape: (Int, Int, Int)) {
        checkAgainstNaiveTwin(shape: shape, kernel: .generic, threadCount: 1)
        checkAgainstNaiveTwin(shape: shape, kernel: .generic, threadCount: 3)
    }

    /// Every kernel gives the same bits as the generic one on one thread, whatever the thread count
    /// (sgemm_internal.h, `VQK_SGEMM_KC`: one fused multiply-add chain per k block): the image codec's
    /// files decode on any CPU because of it. Plain and pre-packed A, every transpose, beta 0 and 1.
    @Test(arguments: shapes + blockingShapes)
    func kernelsAgreeBitForBit(shape: (Int, Int, Int)) {
        for operands in GemmOperands.all(shape: shape, seed: UInt64(shape.0 * 31 + shape.1 * 7 + shape.2)) {
            let reference = operands.product(kernel: .generic, threadCount: 1)
            for kernel in Gemm.Kernel.allCases where kernel.isSupported {
                for (threads, packed) in [(1, false), (3, false), (2, true)] {
                    let values = operands.product(kernel: kernel, threadCount: threads, packedA: packed)
                    let differing = zip(values, reference).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "\(kernel) threads \(threads) packed \(packed) \(operands)")
                }
            }
        }
    }

    /// The cache blocks (mc, nc) only regroup the same per-element work, so the smallest blocks (one
    /// register tile: many tasks and B groups), the largest (32 tiles) and those chosen for this CPU
    /// all give the same bits, on one and two threads.
    @Test(arguments: shapes + blockingShapes)
    func blockingNeverChangesBits(shape: (Int, Int, Int)) {
        for operands in GemmOperands.all(shape: shape, seed: UInt64(shape.0 * 13 + shape.1 * 5 + shape.2)) {
            for kernel in Gemm.Kernel.allCases where kernel.isSupported {
                let reference = operands.product(kernel: kernel, threadCount: 1)
                let (rows, columns) = (Gemm.rowTile(kernel: kernel), Gemm.columnTile(kernel: kernel))
                let chosen = Gemm.Blocking.chosen(for: kernel)
                #expect(chosen.rows % rows == 0 && chosen.columns % columns == 0 && chosen.rows > 0 && chosen.columns > 0)
                for blocking in [Gemm.Blocking(rows: rows, columns: columns), Gemm.Blocking(rows: 32 * rows, columns: 32 * columns), chosen] {
                    for threads in [1, 2] {
                        let values = operands.product(kernel: kernel, threadCount: threads, blocking: blocking)
                        let differing = zip(values, reference).filter { $0.bitPattern != $1.bitPattern }.count
                        #expect(differing == 0, "\(kernel) \(blocking) threads \(threads) \(operands)")
                    }
                }
            }
        }
    }

    /// k = 0: the product is empty, so C becomes 0 (beta 0) or stays (beta 1).
    @Test func emptyInnerDimension() {
        let a: [Float] = [], b: [Float] = []
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            for beta: Float in [0, 1] {
                var c: [Float] = [1, 2, 3, 4, 5, 6]  // 2×2 with ldc 3
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        Gemm.multiply(m: 2, n: 2, k: 0, a: a.baseAddress ?? UnsafePointer(bitPattern: 64)!, lda: 1,
                                      b: b.baseAddress ?? UnsafePointer(bitPattern: 64)!, ldb: 2, beta: beta,
                                      c: &c, ldc: 3, kernel: kernel)
                    }
                }
                #expect(c == (beta == 0 ? [0, 0, 3, 0, 0, 6] : [1, 2, 3, 4, 5, 6]), "\(kernel) beta \(beta)")
            }
        }
    }

    /// A pre-packed A (a convolution's weight, packed once) gives the same product as packing inside
    /// `multiply`, for every supported kernel, both layouts of A, beta 0 and 1, one and two threads,
    /// shapes crossing the k blocks (k > kc) and the row tasks.
    @Test(arguments: [(1, 1, 1), (13, 33, 29), (129, 98, 1152), (64, 49, 1000), (300, 20, 30)])
    func packedAMatchesNaiveTwin(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: UInt64(m * 7 + n * 131 + k))
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            for transposeA in [false, true] {
                for (beta, threads) in [(Float(0), 1), (Float(1), 2)] {
                    let lda = (transposeA ? m : k) + 1, ldc = n + 3
                    let a = Tensor(uniform: [(transposeA ? k : m) * lda], low: -1, high: 1, generator: &generator)
                    let b = Tensor(uniform: [k * n], low: -1, high: 1, generator: &generator)
                    let c0 = Tensor(uniform: [m * ldc], low: -1, high: 1, generator: &generator)
                    var fast = c0, naive = c0
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            let packed = Gemm.PackedMatrix(transposeA: transposeA, rows: m, depth: k, a: a.baseAddress!,
                                                           lda: lda, kernel: kernel)
                            defer { packed.deallocate() }
                            fast.withUnsafeMutableBufferPointer { c in
                                Gemm.multiply(packedA: packed, n: n, b: b.baseAddress!, ldb: n, beta: beta,
                                              c: c.baseAddress!, ldc: ldc, threadCount: threads)
                            }
                            naive.withUnsafeMutableBufferPointer { c in
                                Gemm.multiplyNaive(transposeA: transposeA, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
                                                   b: b.baseAddress!, ldb: n, beta: beta, c: c.baseAddress!, ldc: ldc)
                            }
                        }
                    }
                    expectClose(fast.scalars, naive.scalars, absolute: 1e-5 * Float(k).squareRoot() * 4, relative: 1e-5,
                                "packed A, kernel \(kernel) m \(m) n \(n) k \(k) transposeA \(transposeA) beta \(beta)")
                }
            }
        }
    }

    /// The blocks follow the L2 size (sgemm_blocking.c): a quarter of L2 for a group of B panels (kc ×
    /// nc floats, kc 384), an eighth for a task's rows of A (mc × kc), rounded down to the AVX-512 tile
    /// (12 × 32) and kept between 4 and 32 tiles. 2 MiB: 2^21 / 8 / 1536 = 170.7 rows → 14 tiles of 12,
    /// 2^21 / 4 / 1536 = 341.3 columns → 10 tiles of 32. An unknown L2 (0) keeps the kernel's own 192, 512.
    @Test(.enabled(if: Gemm.Kernel.avx512.isSupported, "skipped: this CPU has no AVX-512F"),
          arguments: [(2 << 20, 168, 320), (1 << 20, 84, 160), (32 << 20, 384, 1024), (256 << 10, 48, 128), (0, 192, 512)])
    func blockingFollowsTheL2Size(l2: Int, rows: Int, columns: Int) {
        let blocking = vqk_sgemm_kernel_blocking_for_l2(Gemm.Kernel.avx512.rawValue, l2)
        #expect((blocking.mc, blocking.nc) == (rows, columns), "L2 \(l2) bytes")
    }

    /// While a group of B panels is multiplied, its microkernel calls fetch all of the next group into
    /// L2, an equal share each (sgemm_driver.c, `multiply_block`): run through each kernel's real
    /// microkernel, the calls fetch every line, and none past the end. Shapes: a group as at n = 2048
    /// (10 panels of 342 × 32 floats over 14 × 10 calls), calls shallower than one prefetch chunk (8
    /// steps), a depth that leaves a remainder, more calls than lines, one call, and nothing to fetch.
    @Test(arguments: [(10 * 342 * 32 * 4, 140, 342), (4096, 3, 5), (100_000, 7, 29), (640, 50, 64),
                      (3 * 64 + 1, 1, 1), (0, 4, 100)])
    func microkernelCallsFetchTheWholeNextGroup(bytes: Int, calls: Int, depth: Int) {
        let lines = (bytes + 63) / 64
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            #expect(vqk_sgemm_prefetched_bytes(kernel.rawValue, bytes, calls, depth) == 64 * lines, "\(kernel)")
        }
    }

    @Test func columnTileIsTheMicrokernelWidth() {
        // sgemm_avx512.c defines MR 12 and NR 32 (its register tile).
        if Gemm.Kernel.avx512.isSupported { #expect(Gemm.columnTile(kernel: .avx512) == 32) }
        #expect(Gemm.columnTile() >= 1)
    }

    @Test func kernelNameIsKnown() {
        #expect(["avx512", "avx2", "generic"].contains(Gemm.kernelName))
        #expect(Gemm.Kernel.default.description == Gemm.kernelName)
        #expect(Gemm.Kernel.default.isSupported)
        #expect(Gemm.Kernel.generic.isSupported)
    }

    /// Runs every transpose combination and both betas of one shape through `Gemm.multiply` with the
    /// given kernel and thread count, and compares with the naive twin. Also checks that the padding
    /// columns of C (between n and ldc) are left alone.
    private func checkAgainstNaiveTwin(shape: (Int, Int, Int), kernel: Gemm.Kernel?, threadCount: Int?) {
        let k = shape.2
        for operands in GemmOperands.all(shape: shape, seed: UInt64(shape.0 * 1_000_000 + shape.1 * 1000 + k)) {
            let fast = operands.product(kernel: kernel, threadCount: threadCount), naive = operands.naiveProduct()
            let context = "kernel \(kernel.map(String.init(describing:)) ?? "default") threads \(threadCount.map(String.init) ?? "auto") \(operands)"
            // Float32 sums of k products of values in [-1, 1]: error grows like √k·ulp.
            expectClose(fast, naive, absolute: 1e-5 * Float(k).squareRoot() * 4, relative: 1e-5, context)
            // The padding columns of C (between n and ldc) are never written.
            for row in 0..<operands.m where fast[row * operands.ldc + operands.n] != operands.c[flat: row * operands.ldc + operands.n] {
                Issue.record("\(context): padding of row \(row) written")
                break
            }
        }
    }
}

/// One product's operands for the tests: random A, B and C in [-1, 1] with padded leading dimensions
/// (lda + 3, ldb + 2, ldc + 1), for one transpose combination and beta.
struct GemmOperands: CustomStringConvertible {
    let m: Int, n: Int, k: Int
    let transposeA: Bool, transposeB: Bool, beta: Float
    let a: Tensor, lda: Int, b: Tensor, ldb: Int, c: Tensor, ldc: Int

    /// Every transpose combination and both betas of `shape` (m, n, k), drawn from `seed`.
    static func all(shape: (Int, Int, Int), seed: UInt64) -> [GemmOperands] {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: seed)
        var result: [GemmOperands] = []
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta: Float in [0, 1] {
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 1
                    let a = Tensor(uniform: [(transposeA ? k : m) * lda], low: -1, high: 1, generator: &generator)
                    let b = Tensor(uniform: [(transposeB ? n : k) * ldb], low: -1, high: 1, generator: &generator)
                    let c = Tensor(uniform: [m * ldc], low: -1, high: 1, generator: &generator)
                    result.append(GemmOperands(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, beta: beta,
                                               a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc))
                }
            }
        }
        return result
    }

    var description: String { "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB) beta \(beta)" }

    /// C after `Gemm.multiply` (with A packed first when `packedA`), all ldc·m values.
    func product(kernel: Gemm.Kernel?, threadCount: Int?, packedA: Bool = false, blocking: Gemm.Blocking? = nil) -> [Float] {
        var result = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    if packedA {
                        let packed = Gemm.PackedMatrix(transposeA: transposeA, rows: m, depth: k, a: a.baseAddress!, lda: lda,
                                                       kernel: kernel ?? .default)
                        defer { packed.deallocate() }
                        Gemm.multiply(packedA: packed, transposeB: transposeB, n: n, b: b.baseAddress!, ldb: ldb, beta: beta,
                                      c: c.baseAddress!, ldc: ldc, threadCount: threadCount)
                    } else {
                        Gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!,
                                      lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc,
                                      kernel: kernel, threadCount: threadCount, blocking: blocking)
                    }
                }
            }
        }
        return result.scalars
    }

    /// C after the naive twin `Gemm.multiplyNaive`.
    func naiveProduct() -> [Float] {
        var result = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    Gemm.multiplyNaive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!,
                                       lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
                }
            }
        }
        return result.scalars
    }
}
