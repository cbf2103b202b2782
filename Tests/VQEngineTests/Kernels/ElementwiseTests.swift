import Testing
import VQEngine
import _VQTestSupport

/// The fast broadcasting kernel `Elementwise.apply` against its naive twin `Elementwise.applyNaive`.
/// Both compute each element with one IEEE operation, so they must agree exactly.
@Suite struct ElementwiseTests {
    /// Odd sizes, every broadcasting pattern (leading, inner, middle, both sides, scalars, size-1
    /// tensors, empty), and sizes above `Elementwise.parallelThreshold` for the parallel paths.
    static let shapePairs: [([Int], [Int])] = [
        ([3, 5, 7], [3, 5, 7]), ([3, 5, 7], [5, 1]), ([7], [3, 5, 7]), ([3, 1, 7], [1, 5, 1]),
        ([], [3, 5]), ([3, 5], []), ([], []), ([1], [2, 3]), ([2, 1, 3, 1], [5, 1, 4]), ([1, 1], [1, 1]),
        ([2, 3, 1, 5], [3, 4, 1]), ([2, 3, 5, 5], [3, 1, 1]), ([0, 3], [1, 3]), ([4, 0], [1]),
        ([301, 257], [301, 257]), ([301, 257], [257]), ([301, 257], [301, 1]), ([1], [301, 257]),
        ([3, 1, 129, 171], [1, 5, 1, 171]), ([70_001], [1]),
    ]

    @Test(arguments: shapePairs)
    func fastKernelMatchesNaiveTwin(shapes: ([Int], [Int])) throws {
        let (lhsShape, rhsShape) = shapes
        let outputShape = try Tensor.broadcastShape(lhsShape, rhsShape)
        var generator = RandomGenerator(seed: UInt64(lhsShape.reduce(7, *) + 31 * rhsShape.reduce(3, *)))
        let lhs = Tensor(uniform: lhsShape, low: -1, high: 1, generator: &generator)
        let rhs = Tensor(uniform: rhsShape, low: 0.5, high: 1.5, generator: &generator)
        for operation in ArithmeticOperator.allCases {
            var fast = Tensor(repeating: .nan, shape: outputShape), naive = fast
            lhs.withUnsafeBufferPointer { left in
                rhs.withUnsafeBufferPointer { right in
                    fast.withUnsafeMutableBufferPointer { output in
                        Elementwise.apply(operation, lhs: left.baseAddress!, lhsShape: lhsShape, rhs: right.baseAddress!,
                                          rhsShape: rhsShape, output: output.baseAddress!, outputShape: outputShape)
                    }
                    naive.withUnsafeMutableBufferPointer { output in
                        Elementwise.applyNaive(operation, lhs: left.baseAddress!, lhsShape: lhsShape, rhs: right.baseAddress!,
                                               rhsShape: rhsShape, output: output.baseAddress!, outputShape: outputShape)
                    }
                }
            }
            // Compare by first difference: a failing `==` on 77 000 elements would print them all.
            let (fastValues, naiveValues) = (fast.scalars, naive.scalars)
            let firstDifference = fastValues.indices.first { fastValues[$0] != naiveValues[$0] }
            #expect(firstDifference == nil, "\(operation) \(lhsShape) and \(rhsShape): fast \(firstDifference.map { fastValues[$0] } ?? 0), naive \(firstDifference.map { naiveValues[$0] } ?? 0)")
        }
    }

    /// `broadcastCopy` repeats a (3, 1) column along a new leading axis and the last axis.
    @Test func broadcastCopyRepeatsAlongBroadcastDimensions() {
        let column = Tensor(shape: [3, 1], scalars: [1, 2, 3])
        var output = Tensor(zeros: [2, 3, 2])
        column.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                Elementwise.broadcastCopy(source.baseAddress!, inputShape: [3, 1], into: result.baseAddress!, outputShape: [2, 3, 2])
            }
        }
        #expect(output.scalars == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
    }
}
