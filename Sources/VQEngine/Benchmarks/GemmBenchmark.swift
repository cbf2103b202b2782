/// The matrix-product benchmark: C = A·B with all three matrices size×size, fp32, random, on all
/// cores, through `Gemm.multiply` (the path every op uses).
public enum GemmBenchmark {
    /// What one benchmark run measured.
    public struct Result: Sendable {
        /// The side of the square matrices.
        public let size: Int
        /// The implementation that ran ("avx512", "avx2" or "generic").
        public let kernel: String
        /// The number of worker threads `Gemm.multiply` spreads the product over.
        public let threads: Int
        /// The cache blocks the product ran with.
        public let blocking: Gemm.Blocking
        /// The timed runs.
        public let measurement: Benchmark.Measurement

        /// Billions of floating-point operations per second at the median time: 2·size³ / seconds / 10⁹.
        public var gflops: Double { 2 * Double(size) * Double(size) * Double(size) / measurement.median / 1e9 }
    }

    /// Measures C = A·B for size×size matrices: a warm-up, then repeated products for about
    /// `targetSeconds`, median time. `kernel` nil means `Gemm.Kernel.default`; `threadCount` nil
    /// means what `Gemm.multiply` chooses (all cores above `Gemm.parallelThreshold`); `blocking` nil
    /// means the blocks chosen for this CPU.
    public static func run(size: Int, targetSeconds: Double = 1.5, kernel: Gemm.Kernel? = nil, threadCount: Int? = nil,
                           blocking: Gemm.Blocking? = nil, seed: UInt64 = 42) -> Result {
        precondition(size > 0, "GemmBenchmark.run: size must be positive, not \(size)")
        var generator = RandomGenerator(seed: seed)
        let a = Tensor(uniform: [size, size], low: -1, high: 1, generator: &generator)
        let b = Tensor(uniform: [size, size], low: -1, high: 1, generator: &generator)
        var c = Tensor(zeros: [size, size])
        let measurement = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    Benchmark.measure(targetSeconds: targetSeconds) {
                        Gemm.multiply(m: size, n: size, k: size, a: a.baseAddress!, lda: size, b: b.baseAddress!, ldb: size,
                                      c: c.baseAddress!, ldc: size, kernel: kernel, threadCount: threadCount, blocking: blocking)
                    }
                }
            }
        }
        let threads = threadCount ?? (size * size * size < Gemm.parallelThreshold ? 1 : Parallel.workerCount)
        return Result(size: size, kernel: (kernel ?? .default).description, threads: threads,
                      blocking: blocking ?? .chosen(for: kernel), measurement: measurement)
    }
}
