import Testing
import VQEngine
import _VQTestSupport

/// The fast `Permute.copy` (merged axes, tiled transpose, strided fallback) against its naive twin.
@Suite struct PermuteTests {
    private static func permutations(of rank: Int) -> [[Int]] {
        guard rank > 0 else { return [[]] }
        return permutations(of: rank - 1).flatMap { smaller in
            (0...smaller.count).map { position in
                var axes = smaller
                axes.insert(rank - 1, at: position)
                return axes
            }
        }
    }

    private func expectFastMatchesNaive(shape: [Int], axes: [Int], seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let input = Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
        let outputShape = axes.map { shape[$0] }
        var fast = Tensor(repeating: .nan, shape: outputShape), naive = Tensor(repeating: .nan, shape: outputShape)
        input.withUnsafeBufferPointer { source in
            fast.withUnsafeMutableBufferPointer { Permute.copy(from: source.baseAddress!, shape: shape, axes: axes, to: $0.baseAddress!) }
            naive.withUnsafeMutableBufferPointer { Permute.copyNaive(from: source.baseAddress!, shape: shape, axes: axes, to: $0.baseAddress!) }
        }
        // A permutation moves values without arithmetic: the results must be identical.
        #expect(fast.scalars == naive.scalars, "shape \(shape) axes \(axes)")
    }

    /// NCHW ↔ NHWC on odd sizes, including channel counts below and above a tile, single pixels,
    /// size-1 batches and sizes that cross tile boundaries and spread over several threads.
    @Test(arguments: [
        [1, 1, 1, 1], [1, 3, 5, 7], [2, 3, 33, 17], [3, 37, 1, 41], [2, 65, 9, 7], [1, 1, 31, 33],
        [5, 2, 1, 1], [2, 129, 17, 19], [4, 33, 32, 32],
    ])
    func channelLayoutChangesMatchNaive(shape: [Int]) {
        expectFastMatchesNaive(shape: shape, axes: [0, 2, 3, 1], seed: 1)  // NCHW → NHWC
        expectFastMatchesNaive(shape: shape, axes: [0, 3, 1, 2], seed: 2)  // NHWC → NCHW
    }

    /// Matrix transposes, batched and single, with sides not multiples of the tile.
    @Test(arguments: [[1, 1], [1, 17], [17, 1], [31, 33], [33, 31], [64, 64], [257, 3], [3, 300, 5], [7, 1, 45]])
    func transposesMatchNaive(shape: [Int]) {
        let rank = shape.count
        var axes = Array(0..<rank)
        axes.swapAt(rank - 2, rank - 1)
        expectFastMatchesNaive(shape: shape, axes: axes, seed: 3)
    }

    /// Every permutation of ranks 0 to 4 on odd shapes, with and without size-1 axes, which covers the
    /// strided fallback and the merging of neighbouring axes.
    @Test(arguments: [[], [5], [3, 5], [3, 1, 5], [2, 3, 5], [2, 3, 5, 7], [3, 1, 4, 1], [1, 5, 1, 3], [7, 2, 9, 3]])
    func everyPermutationMatchesNaive(shape: [Int]) {
        for axes in PermuteTests.permutations(of: shape.count) {
            expectFastMatchesNaive(shape: shape, axes: axes, seed: 4)
        }
    }

    /// Permutations that are no transpose, large enough for the strided loop to run on several threads.
    @Test(arguments: [[3, 1, 0, 2], [2, 0, 3, 1], [3, 2, 1, 0]])
    func largeStridedPermutationsMatchNaive(axes: [Int]) {
        expectFastMatchesNaive(shape: [33, 17, 19, 13], axes: axes, seed: 6)
    }

    @Test func emptyShapesWriteNothing() {
        expectFastMatchesNaive(shape: [2, 0, 3], axes: [2, 0, 1], seed: 5)
    }

    /// The naive twin itself, by hand: (2, 3) transposed.
    @Test func naiveTwinByHand() {
        let input: [Float] = [1, 2, 3, 4, 5, 6]
        var output = [Float](repeating: 0, count: 6)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { Permute.copyNaive(from: source.baseAddress!, shape: [2, 3], axes: [1, 0], to: $0.baseAddress!) }
        }
        #expect(output == [1, 4, 2, 5, 3, 6])
    }
}
