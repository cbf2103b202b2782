import Testing
import VQEngine
import _VQTestSupport

@Suite struct NearestRowTests {
    /// Codes (0, 0), (1, 0), (0, 2). Distances by hand:
    /// (0.9, 0.1) → 0.82, 0.02, 4.42; (0, 0) → 0, 1, 4; (0.1, 1.5) → 2.26, 3.06, 0.26;
    /// (0.5, 0) → 0.25, 0.25, 4.25 (a tie: the lower index wins).
    @Test func nearestRowsByHand() {
        let codebook = Tensor(shape: [3, 2], scalars: [0, 0, 1, 0, 0, 2])
        let queries = Tensor(shape: [4, 2], scalars: [0.9, 0.1, 0, 0, 0.1, 1.5, 0.5, 0])
        let (indices, distances) = queries.nearestRows(in: codebook)
        #expect(indices == [1, 0, 2, 0])
        #expect(distances.shape == [4])
        expectClose(distances.scalars, [0.02, 0, 0.26, 0.25], absolute: 1e-6)
        #expect(distances[flat: 1] == 0)
    }

    /// Queries (N, H, W, D) — a latent grid in NHWC — give one index per position and distances (N, H, W),
    /// the same as searching the (N·H·W, D) rows.
    @Test func leadingAxesAreRows() {
        var generator = RandomGenerator(seed: 60)
        let codebook = Tensor(uniform: [9, 4], low: -1, high: 1, generator: &generator)
        let grid = Tensor(uniform: [2, 3, 5, 4], low: -1, high: 1, generator: &generator)
        let (indices, distances) = grid.nearestRows(in: codebook)
        let (flatIndices, flatDistances) = grid.reshaped(to: [-1, 4]).nearestRows(in: codebook)
        #expect(distances.shape == [2, 3, 5])
        #expect(indices == flatIndices)
        #expect(distances.scalars == flatDistances.scalars)
    }

    /// The distances are those of the gathered codes: Σ (x − codebook[index])².
    @Test func distancesAgreeWithGatheredCodes() {
        var generator = RandomGenerator(seed: 61)
        let codebook = Tensor(uniform: [33, 7], low: -2, high: 2, generator: &generator)
        let queries = Tensor(uniform: [20, 7], low: -2, high: 2, generator: &generator)
        let (indices, distances) = queries.nearestRows(in: codebook)
        let chosen = codebook.gathered(rows: indices)
        for row in 0..<20 {
            var sum: Float = 0
            for column in 0..<7 {
                let difference = queries[flat: row * 7 + column] - chosen[flat: row * 7 + column]
                sum += difference * difference
            }
            expectClose([distances[flat: row]], [sum], "row \(row)")
        }
    }

    /// Nothing is recorded, even for watched inputs: the search is not differentiable.
    @Test func searchIsNotRecorded() {
        let tape = Tape()
        let codebook = tape.watch(Tensor(shape: [2, 1], scalars: [0, 1]))
        let queries = tape.watch(Tensor(shape: [3, 1], scalars: [0.2, 0.9, 3]))
        let recordedBefore = tape.count
        let (indices, distances) = queries.nearestRows(in: codebook)
        #expect(indices == [0, 1, 1])
        #expect(!distances.isTracked)
        #expect(tape.count == recordedBefore)
    }

    @Test func noQueriesGiveEmptyResults() {
        let (indices, distances) = Tensor(zeros: [0, 3]).nearestRows(in: Tensor(zeros: [4, 3]))
        #expect(indices.isEmpty)
        #expect(distances.shape == [0])
    }

    @Test func shapeErrorsNameOperationAndShapes() {
        #expect(throws: ShapeError("nearestRows", [[5, 3], [4, 2]], "query width 3 and code width 2 differ")) {
            _ = try Tensor.nearestRowsShapes([5, 3], [4, 2])
        }
        #expect(throws: ShapeError("nearestRows", [[5, 3], [4, 3, 1]], "the codebook must have rank 2 (K, D), not 3")) {
            _ = try Tensor.nearestRowsShapes([5, 3], [4, 3, 1])
        }
        #expect(throws: ShapeError("nearestRows", [[5, 3], [0, 3]], "the codebook has no rows")) {
            _ = try Tensor.nearestRowsShapes([5, 3], [0, 3])
        }
        #expect(throws: ShapeError("nearestRows", [[], [4, 3]], "the queries need at least one axis (…, D)")) {
            _ = try Tensor.nearestRowsShapes([], [4, 3])
        }
        let message = ShapeError("nearestRows", [[5, 3], [4, 2]], "query width 3 and code width 2 differ").description
        #expect(message == "nearestRows: query width 3 and code width 2 differ (shapes [5, 3] and [4, 2])")
    }
}
