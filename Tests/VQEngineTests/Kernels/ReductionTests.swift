import Testing
import VQEngine
import _VQTestSupport

/// The fast sums of `Reduction` against their naive twins, which accumulate in `Double`.
@Suite struct ReductionTests {
    /// One million values summed by the fast kernel land within 1e-6 (relative) of the `Double`
    /// sum; a plain `Float` running sum of the same values misses by more than that.
    @Test func sumOfAMillionValuesMatchesDoubleSum() {
        var generator = RandomGenerator(seed: 5)
        let values = Tensor(uniform: [1_000_000], low: 0, high: 1, generator: &generator)
        let (fast, exact) = values.withUnsafeBufferPointer {
            (Reduction.sum($0.baseAddress!, count: $0.count), Reduction.sumNaive($0.baseAddress!, count: $0.count))
        }
        let tolerance = 1e-6 * exact
        #expect(abs(Double(fast) - exact) <= tolerance, "fast \(fast), exact \(exact)")
        let plain = values.scalars.reduce(Float(0), +)
        #expect(abs(Double(plain) - exact) > tolerance, "the tolerance should catch a plain Float sum (\(plain))")
    }

    @Test(arguments: [0, 1, 31, 32, 33, 4095, 4097, 65_537, 200_003])
    func sumMatchesNaiveTwinOnOddCounts(count: Int) {
        var generator = RandomGenerator(seed: UInt64(count))
        let values = Tensor(uniform: [count], low: -1, high: 1, generator: &generator)
        values.withUnsafeBufferPointer { buffer in
            let fast = Reduction.sum(buffer.baseAddress!, count: count)
            let exact = Reduction.sumNaive(buffer.baseAddress!, count: count)
            #expect(abs(Double(fast) - exact) <= 1e-6 * Double(count).squareRoot() + 1e-7, "count \(count)")
        }
    }

    @Test(arguments: [0, 5, 33, 70_001])
    func sumOfSquaresMatchesDoubleSum(count: Int) {
        var generator = RandomGenerator(seed: UInt64(count) + 1)
        let values = Tensor(uniform: [count], low: -2, high: 2, generator: &generator)
        let exact = values.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        let fast = values.withUnsafeBufferPointer { Reduction.sumOfSquares($0.baseAddress!, count: count) }
        #expect(abs(fast - exact) <= 1e-6 * exact, "count \(count)")
    }

    /// Sums along axes: every subset of axes of odd shapes (covering contiguous rows, outer axes,
    /// alternating summed and kept groups, and size-1 dimensions), and large shapes for the
    /// parallel paths.
    @Test(arguments: [[3, 5, 7], [2, 1, 3, 4], [5, 1], [1, 9, 1, 2], [2, 3, 4, 5, 3]])
    func sumAlongEveryAxisSubsetMatchesNaiveTwin(shape: [Int]) {
        var generator = RandomGenerator(seed: UInt64(shape.reduce(11, *)))
        let input = Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
        for mask in 0..<(1 << shape.count) {
            let axes = shape.indices.filter { mask & (1 << $0) != 0 }
            expectSumsAgree(input, axes: axes, tolerance: 1e-5)
        }
    }

    @Test(arguments: [([3, 50_000], [0]), ([3, 50_000], [1]), ([70_000, 2], [0]), ([2, 300, 400], [0, 2]),
                      ([300, 7, 40], [1]), ([2, 5, 7_000], [0, 1]), ([16, 4, 32, 32], [0, 2, 3])])
    func largeSumsAlongAxesMatchNaiveTwin(shape: [Int], axes: [Int]) {
        var generator = RandomGenerator(seed: 17)
        let input = Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
        expectSumsAgree(input, axes: axes, tolerance: 2e-4)
    }

    private func expectSumsAgree(_ input: Tensor, axes: [Int], tolerance: Float,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let keptCount = input.shape.indices.filter { !axes.contains($0) }.map { input.shape[$0] }.reduce(1, *)
        var fast = Tensor(repeating: .nan, shape: [keptCount]), naive = fast
        input.withUnsafeBufferPointer { source in
            fast.withUnsafeMutableBufferPointer {
                Reduction.sum(source.baseAddress!, shape: input.shape, alongAxes: axes, into: $0.baseAddress!)
            }
            naive.withUnsafeMutableBufferPointer {
                Reduction.sumNaive(source.baseAddress!, shape: input.shape, alongAxes: axes, into: $0.baseAddress!)
            }
        }
        expectClose(fast.scalars, naive.scalars, absolute: tolerance, relative: 1e-5, "shape \(input.shape) axes \(axes)",
                    sourceLocation: sourceLocation)
    }
}
