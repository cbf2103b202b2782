import Testing
import VQEngine
import _VQTestSupport

/// The fast `NearestRowSearch.search` (blocked Gemm expansion, vectorised argmin, exact re-scoring)
/// against its naive twin. Both score the winner with the same exact Σ (x − e)², so indices and
/// distances must be identical, not just close.
@Suite struct NearestRowSearchTests {
    private struct Result: Equatable {
        var indices: [Int32]
        var distances: [Float]
    }

    private func fastAndNaive(queries: Tensor, codebook: Tensor) -> (fast: Result, naive: Result) {
        let queryCount = queries.shape[0], codeCount = codebook.shape[0], dimension = codebook.shape[1]
        func run(_ search: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Float>) -> Void) -> Result {
            var result = Result(indices: Array(repeating: -1, count: queryCount), distances: Array(repeating: .nan, count: queryCount))
            queries.withUnsafeBufferPointer { queries in
                codebook.withUnsafeBufferPointer { codebook in
                    result.indices.withUnsafeMutableBufferPointer { indices in
                        result.distances.withUnsafeMutableBufferPointer { distances in
                            search(queries.baseAddress!, codebook.baseAddress!, indices.baseAddress!, distances.baseAddress!)
                        }
                    }
                }
            }
            return result
        }
        let fast = run {
            NearestRowSearch.search(queries: $0, queryCount: queryCount, codebook: $1, codeCount: codeCount, dimension: dimension,
                                    indices: $2, distances: $3)
        }
        let naive = run {
            NearestRowSearch.searchNaive(queries: $0, queryCount: queryCount, codebook: $1, codeCount: codeCount, dimension: dimension,
                                         indices: $2, distances: $3)
        }
        return (fast, naive)
    }

    private func expectFastMatchesNaive(queries: Tensor, codebook: Tensor, _ comment: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) {
        let (fast, naive) = fastAndNaive(queries: queries, codebook: codebook)
        #expect(fast.indices == naive.indices, "\(comment): indices", sourceLocation: sourceLocation)
        #expect(fast.distances == naive.distances, "\(comment): distances", sourceLocation: sourceLocation)
    }

    /// Odd N, D, K: one query, one dimension, one code, sizes around the 8-wide vector scan and the
    /// 256-row block, several blocks spread over threads, and a codebook large enough to shrink the blocks.
    @Test(arguments: [
        (1, 1, 1), (1, 3, 513), (7, 1, 5), (5, 3, 1), (9, 64, 7), (33, 3, 8), (257, 3, 17), (300, 64, 513),
        (513, 64, 1), (1000, 5, 31), (150, 16, 2000),
    ])
    func randomDataMatchesNaive(size: (Int, Int, Int)) {
        let (queryCount, dimension, codeCount) = size
        var generator = RandomGenerator(seed: UInt64(queryCount * 1_000_000 + dimension * 1000 + codeCount))
        let queries = Tensor(uniform: [queryCount, dimension], low: -1, high: 1, generator: &generator)
        let codebook = Tensor(uniform: [codeCount, dimension], low: -1, high: 1, generator: &generator)
        expectFastMatchesNaive(queries: queries, codebook: codebook, "N \(queryCount) D \(dimension) K \(codeCount)")
    }

    /// Queries that are codes: distance exactly 0 at that code, although the expansion rarely gives 0.
    @Test(arguments: [3, 64])
    func queriesEqualToCodesHaveDistanceZero(dimension: Int) {
        var generator = RandomGenerator(seed: 50)
        let codebook = Tensor(normal: [513, dimension], standardDeviation: 3, generator: &generator)
        let chosen = [0, 512, 7, 100, 8, 255, 256]
        let queries = codebook.gathered(rows: chosen)
        let (fast, naive) = fastAndNaive(queries: queries, codebook: codebook)
        #expect(fast.indices == chosen.map(Int32.init))
        #expect(fast.distances == Array(repeating: 0, count: chosen.count))
        #expect(fast == naive)
    }

    /// A codebook holding every code twice (rows k and k + 20, and a third copy of code 3 at row 40):
    /// the first copy always wins, as with `torch.argmin`.
    @Test(arguments: [1, 3, 64])
    func duplicateCodesTieToLowestIndex(dimension: Int) {
        var generator = RandomGenerator(seed: 51)
        let distinct = Tensor(uniform: [20, dimension], low: -1, high: 1, generator: &generator)
        let codebook = Tensor.concatenated([distinct, distinct, distinct.sliced(alongAxis: 0, 3..<4)], alongAxis: 0)
        let random = Tensor(uniform: [200, dimension], low: -1, high: 1, generator: &generator)
        let queries = Tensor.concatenated([random, distinct.gathered(rows: [3, 19, 0] as [Int32])], alongAxis: 0)
        let (fast, naive) = fastAndNaive(queries: queries, codebook: codebook)
        #expect(fast == naive)
        #expect(fast.indices.allSatisfy { $0 < 20 }, "a later copy of a code won a tie")
        #expect(Array(fast.indices.suffix(3)) == [3, 19, 0])
    }

    /// Small integers in few dimensions: many queries are equally far from several distinct codes.
    @Test func exactTiesBetweenDistinctCodesGoToLowestIndex() {
        var generator = RandomGenerator(seed: 52)
        func integers(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(generator.nextUniform() * 3).rounded(.down) })
        }
        let codebook = integers([27, 3]), queries = integers([100, 3])
        expectFastMatchesNaive(queries: queries, codebook: codebook, "integer grid")
        // By hand: (0.5, 0) is 0.25 from both (0, 0) and (1, 0); the first listed wins.
        let (fast, _) = fastAndNaive(queries: Tensor(shape: [1, 2], scalars: [0.5, 0]),
                                     codebook: Tensor(shape: [3, 2], scalars: [5, 5, 1, 0, 0, 0]))
        #expect(fast == Result(indices: [1], distances: [0.25]))
    }

    /// Two clusters of codes at ±10⁴ on every axis, each code within about 1 of its cluster's centre,
    /// and queries near the positive cluster. Shifting by the codebook's mean (≈ 0) does not help here:
    /// ‖x‖² + ‖e‖² − 2x·e loses every digit of the distances in Float (its error is ~10⁻⁷·10⁸·D while
    /// the distances are ~D), so only the exact re-scoring picks the right code.
    @Test(arguments: [1, 3, 64])
    func largeMagnitudesWhereTheExpansionIsImprecise(dimension: Int) {
        var generator = RandomGenerator(seed: 53)
        func near(_ centre: Float, count: Int) -> Tensor {
            let noise = Tensor(uniform: [count, dimension], low: -1, high: 1, generator: &generator)
            return Tensor(shape: [count, dimension], scalars: noise.scalars.map { $0 + centre })
        }
        let codebook = Tensor.concatenated([near(10_000, count: 97), near(-10_000, count: 96)], alongAxis: 0)
        let queries = near(10_000, count: 61)
        expectFastMatchesNaive(queries: queries, codebook: codebook, "clusters at ±1e4, D \(dimension)")
        let (fast, _) = fastAndNaive(queries: codebook.gathered(rows: [42, 150] as [Int32]), codebook: codebook)
        #expect(fast == Result(indices: [42, 150], distances: [0, 0]))
        // The near cluster last: its final code (192, past the 12 whole vectors of 16 the candidate scan
        // compares at once) is among the candidates too.
        let reversed = Tensor.concatenated([codebook.sliced(alongAxis: 0, 97..<193), codebook.sliced(alongAxis: 0, 0..<97)],
                                           alongAxis: 0)
        expectFastMatchesNaive(queries: queries, codebook: reversed, "clusters at ∓1e4, D \(dimension)")
        let (last, _) = fastAndNaive(queries: reversed.gathered(rows: [192, 100] as [Int32]), codebook: reversed)
        #expect(last == Result(indices: [192, 100], distances: [0, 0]))
    }

    /// One cluster of codes far from the origin, close together (a collapsed codebook): the shift by
    /// the codebook's mean brings the expansion back to small norms.
    @Test(arguments: [3, 64])
    func codesClusteredFarFromTheOrigin(dimension: Int) {
        var generator = RandomGenerator(seed: 55)
        let codebook = Tensor(uniform: [129, dimension], low: 999, high: 1001, generator: &generator)
        let queries = Tensor(uniform: [40, dimension], low: 998, high: 1002, generator: &generator)
        expectFastMatchesNaive(queries: queries, codebook: codebook, "cluster at 1e3, D \(dimension)")
    }

    /// Values at opposite ends of the Float range of squares: large and tiny codes mixed.
    @Test func mixedScalesMatchNaive() {
        var generator = RandomGenerator(seed: 54)
        let small = Tensor(uniform: [50, 8], low: -1e-3, high: 1e-3, generator: &generator)
        let large = Tensor(uniform: [50, 8], low: -1e5, high: 1e5, generator: &generator)
        let codebook = Tensor.concatenated([small, large], alongAxis: 0)
        let queries = Tensor.concatenated([small.sliced(alongAxis: 0, 0..<10), large.sliced(alongAxis: 0, 0..<10),
                                           Tensor(uniform: [30, 8], low: -1e4, high: 1e4, generator: &generator)], alongAxis: 0)
        expectFastMatchesNaive(queries: queries, codebook: codebook, "mixed scales")
    }

    /// The naive twin by hand: codes (0, 0), (1, 0), (0, 2).
    @Test func naiveTwinByHand() {
        let codebook = Tensor(shape: [3, 2], scalars: [0, 0, 1, 0, 0, 2])
        let queries = Tensor(shape: [3, 2], scalars: [1, 1, 0, 3, -1, 0])
        let (fast, naive) = fastAndNaive(queries: queries, codebook: codebook)
        // (1, 1): 2, 1, 2 → code 1 at 1. (0, 3): 9, 10, 1 → code 2 at 1. (−1, 0): 1, 4, 5 → code 0 at 1.
        #expect(naive == Result(indices: [1, 2, 0], distances: [1, 1, 1]))
        #expect(fast == naive)
    }

    @Test func zeroWidthRowsAreAllAtDistanceZero() {
        let (fast, naive) = fastAndNaive(queries: Tensor(zeros: [3, 0]), codebook: Tensor(zeros: [4, 0]))
        #expect(fast == Result(indices: [0, 0, 0], distances: [0, 0, 0]))
        #expect(fast == naive)
    }
}
