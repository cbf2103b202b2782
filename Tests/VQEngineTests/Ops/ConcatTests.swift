import Testing
import VQEngine
import _VQTestSupport

@Suite struct ConcatTests {
    /// [[1, 2], [3, 4]] with [[5, 6]] along axis 0, and with [[7], [8]] along axis 1.
    @Test func concatenatesByHand() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let rows = Tensor.concatenated([a, Tensor(shape: [1, 2], scalars: [5, 6])], alongAxis: 0)
        #expect(rows.shape == [3, 2])
        #expect(rows.scalars == [1, 2, 3, 4, 5, 6])
        let columns = Tensor.concatenated([a, Tensor(shape: [2, 1], scalars: [7, 8])], alongAxis: -1)
        #expect(columns.shape == [2, 3])
        #expect(columns.scalars == [1, 2, 7, 3, 4, 8])
    }

    /// Concatenating slices along the middle axis gives the original back, including an empty slice.
    @Test func undoesSlicing() {
        var generator = RandomGenerator(seed: 30)
        let x = Tensor(uniform: [3, 7, 5], low: -1, high: 1, generator: &generator)
        let parts = [x.sliced(alongAxis: 1, 0..<2), x.sliced(alongAxis: 1, 2..<2), x.sliced(alongAxis: 1, 2..<7)]
        let joined = Tensor.concatenated(parts, alongAxis: 1)
        #expect(joined.shape == x.shape)
        #expect(joined.scalars == x.scalars)
        #expect(Tensor.concatenated([x], alongAxis: 2).scalars == x.scalars)
    }

    @Test(arguments: [0, 1, 2])
    func gradientsMatchFiniteDifferences(axis: Int) {
        var generator = RandomGenerator(seed: 31)
        let shapes: [[Int]] = [1, 3, 2].map { size in
            var shape = [2, 3, 4]
            shape[axis] = size
            return shape
        }
        let inputs = shapes.map { Tensor(uniform: $0, low: -1, high: 1, generator: &generator) }
        expectGradientsMatchFiniteDifferences(inputs, "axis \(axis)") { Tensor.concatenated($0, alongAxis: axis) }
    }

    /// The same tensor twice: both uses receive their part of the gradient, and the tape adds them.
    @Test func repeatedInputAccumulatesGradient() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [2], scalars: [1, 2]))
        let y = Tensor.concatenated([x, x], alongAxis: 0)
        let gradient = tape.gradients(of: y, seed: Tensor(shape: [4], scalars: [1, 10, 100, 1000]), withRespectTo: [x])[0]
        #expect(gradient.scalars == [101, 1010])
    }

    @Test func shapeErrorsNameOperationAndShapes() {
        #expect(throws: ShapeError("concatenate", [[2, 3], [2, 4, 1]], "ranks differ (2 and 3)")) {
            _ = try Tensor.concatenateShapes([[2, 3], [2, 4, 1]], alongAxis: 0)
        }
        #expect(throws: ShapeError("concatenate", [[2, 3], [4, 5]],
                                   "sizes along axis 1 differ (3 and 5); only axis 0 may differ")) {
            _ = try Tensor.concatenateShapes([[2, 3], [4, 5]], alongAxis: 0)
        }
        #expect(throws: ShapeError("concatenate", [], "no tensors given")) {
            _ = try Tensor.concatenateShapes([], alongAxis: 0)
        }
        #expect(throws: ShapeError("concatenate", [[2, 3], [2, 3]], "axis 2 is out of range for rank 2")) {
            _ = try Tensor.concatenateShapes([[2, 3], [2, 3]], alongAxis: 2)
        }
        let message = ShapeError("concatenate", [[2, 3], [2, 4, 1]], "ranks differ (2 and 3)").description
        #expect(message == "concatenate: ranks differ (2 and 3) (shapes [2, 3] and [2, 4, 1])")
    }
}
