import Testing
import VQEngine

/// `Gemm.withPinnedKernel`, on which the codec's cross-machine decoding rests: products take the pinned
/// kernel's exact bits whatever the CPU's choice and the thread count, pins nest and are counted, and
/// the CPU's choice returns after the last one.
@Suite(.serialized) struct GemmPinTests {
    /// C = A·B for a 96×130 by 130×70 product of seeded values, on `kernel` (nil: the default) and
    /// `threadCount` threads.
    static func product(kernel: Gemm.Kernel? = nil, threadCount: Int? = nil) -> [Float] {
        var generator = RandomGenerator(seed: 4)
        let (m, n, k) = (96, 70, 130)
        let a = (0..<(m * k)).map { _ in Float(generator.nextUniformDouble() - 0.5) }
        let b = (0..<(k * n)).map { _ in Float(generator.nextUniformDouble() - 0.5) }
        var c = [Float](repeating: 0, count: m * n)
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, kernel: kernel, threadCount: threadCount)
        return c
    }

    @Test func pinnedProductsHaveThePinnedKernelsBitsOnAnyThreadCount() {
        let generic = GemmPinTests.product(kernel: .generic, threadCount: 1)
        #expect(GemmPinTests.product(kernel: .generic, threadCount: 2) == generic)
        #expect(GemmPinTests.product(kernel: .generic, threadCount: 3) == generic)
        Gemm.withPinnedKernel(.generic) {
            #expect(Gemm.Kernel.default == .generic)
            #expect(GemmPinTests.product() == generic)
            #expect(GemmPinTests.product(threadCount: 2) == generic)
        }
        #expect(GemmPinTests.product() == GemmPinTests.product(kernel: Gemm.Kernel.default))
    }

    /// Where the CPU has a wider kernel, its sums round differently: what the pin is for (and the proof
    /// the pin took effect above).
    @Test(.enabled(if: Gemm.Kernel.avx512.isSupported || Gemm.Kernel.avx2.isSupported, "skipped: only the generic kernel here"))
    func widerKernelsRoundDifferently() {
        let wide: Gemm.Kernel = Gemm.Kernel.avx512.isSupported ? .avx512 : .avx2
        #expect(GemmPinTests.product(kernel: wide, threadCount: 1) != GemmPinTests.product(kernel: .generic, threadCount: 1))
    }

    @Test func pinsNestAndTheLastOneOutUnpins() {
        let chosen = Gemm.Kernel.default
        Gemm.withPinnedKernel(.generic) {
            Gemm.withPinnedKernel(.generic) { #expect(Gemm.Kernel.default == .generic) }
            #expect(Gemm.Kernel.default == .generic)
        }
        #expect(Gemm.Kernel.default == chosen)
    }
}
