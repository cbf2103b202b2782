import Testing
import VQEngine
import _VQTestSupport

@Suite struct GatherTests {
    /// Table rows [0, 1], [10, 11], [20, 21]: indices [2, 0, 2] give rows 2, 0, 2.
    private let table = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])

    @Test func gathersRowsByHand() {
        let rows = table.gathered(rows: [2, 0, 2] as [Int32])
        #expect(rows.shape == [3, 2])
        #expect(rows.scalars == [20, 21, 0, 1, 20, 21])
        #expect(table.gathered(rows: [1] as [Int]).scalars == [10, 11])
        #expect(table.gathered(rows: [] as [Int32]).shape == [0, 2])
    }

    /// Indices of a (2, 1, 2) latent grid give (2, 1, 2, D) rows, in the grid's row-major order.
    @Test func indexShapeLeadsTheOutputShape() {
        let rows = table.gathered(rows: [1, 2, 0, 1] as [Int32], indexShape: [2, 1, 2])
        #expect(rows.shape == [2, 1, 2, 2])
        #expect(rows.scalars == [10, 11, 20, 21, 0, 1, 10, 11])
    }

    /// Enough rows to be copied on several threads: every output row is its table row.
    @Test func largeGatherCopiesEveryRow() {
        var generator = RandomGenerator(seed: 41)
        let table = Tensor(uniform: [513, 64], low: -1, high: 1, generator: &generator)
        let indices = (0..<5000).map { _ in Int32(generator.nextIndex(below: 513)) }
        let rows = table.gathered(rows: indices)
        #expect(rows.shape == [5000, 64])
        let tableScalars = table.scalars, rowScalars = rows.scalars
        let mismatched = indices.indices.filter { position in
            let index = Int(indices[position])
            return rowScalars[position * 64..<(position + 1) * 64] != tableScalars[index * 64..<(index + 1) * 64]
        }
        #expect(mismatched.isEmpty, "rows at positions \(mismatched.prefix(5)) differ")
    }

    /// Repeated indices add up in the table's gradient; rows never used get zeros (values by hand).
    @Test func gradientScatterAddsRepeatedIndices() {
        let tape = Tape()
        let watched = tape.watch(table)
        let rows = watched.gathered(rows: [2, 0, 2] as [Int32])
        let seed = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let gradient = tape.gradients(of: rows, seed: seed, withRespectTo: [watched])[0]
        #expect(gradient.shape == [3, 2])
        #expect(gradient.scalars == [3, 4, 0, 0, 1 + 5, 2 + 6])
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 40)
        let table = Tensor(uniform: [5, 3], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([table], "distinct") { $0[0].gathered(rows: [4, 1, 0] as [Int32]) }
        expectGradientsMatchFiniteDifferences([table], "repeated") { $0[0].gathered(rows: [3, 3, 1, 3, 0, 1] as [Int32]) }
        expectGradientsMatchFiniteDifferences([table], "grid") {
            $0[0].gathered(rows: [0, 2, 2, 4, 1, 2] as [Int], indexShape: [1, 2, 3])
        }
    }

    @Test func badIndicesNameOperationIndexAndRowCount() {
        #expect(throws: ShapeError("gather", [[3, 2], [3]], "index 3 at position 1 is out of range for a table of K = 3 rows")) {
            _ = try Tensor.gatherShapes([3, 2], indices: [0, 3, 1] as [Int32])
        }
        #expect(throws: ShapeError("gather", [[3, 2], [2]], "index -1 at position 0 is out of range for a table of K = 3 rows")) {
            _ = try Tensor.gatherShapes([3, 2], indices: [-1, 0] as [Int32])
        }
        // Int indices beyond Int32 are reported as given, not truncated.
        #expect(throws: ShapeError("gather", [[3, 2], [1]], "index 8589934592 at position 0 is out of range for a table of K = 3 rows")) {
            _ = try Tensor.gatherShapes([3, 2], indices: [1 << 33] as [Int])
        }
        let message = ShapeError("gather", [[3, 2], [3]], "index 3 at position 1 is out of range for a table of K = 3 rows").description
        #expect(message == "gather: index 3 at position 1 is out of range for a table of K = 3 rows (shapes [3, 2] and [3])")
    }

    @Test func shapeErrorsNameOperationAndShapes() throws {
        #expect(throws: ShapeError("gather", [[3, 2, 1], [2]], "the table must have rank 2 (K, D), not 3")) {
            _ = try Tensor.gatherShapes([3, 2, 1], indices: [0, 1] as [Int32])
        }
        #expect(throws: ShapeError("gather", [[3, 2], [2, 2]], "the index shape does not hold the 3 indices given")) {
            _ = try Tensor.gatherShapes([3, 2], indices: [0, 1, 2] as [Int32], indexShape: [2, 2])
        }
        #expect(try Tensor.gatherShapes([3, 2], indices: [0, 1, 2, 0] as [Int32], indexShape: [2, 2]) == [2, 2, 2])
    }
}
