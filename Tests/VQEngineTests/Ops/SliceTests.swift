import Testing
import VQEngine
import _VQTestSupport

@Suite struct SliceTests {
    private func counting(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }

    /// (3, 4) holding 0…11: columns 1..<3 are [1, 2], [5, 6], [9, 10]; rows 1..<3 are 4…11.
    @Test func slicesByHand() {
        let x = counting([3, 4])
        let columns = x.sliced(alongAxis: 1, 1..<3)
        #expect(columns.shape == [3, 2])
        #expect(columns.scalars == [1, 2, 5, 6, 9, 10])
        #expect(x.sliced(alongAxis: 0, 1..<3).scalars == Array(4...11).map(Float.init))
        #expect(x.sliced(alongAxis: -1, 3..<4).scalars == [3, 7, 11])
        #expect(x.sliced(lowerBounds: [1, 2], upperBounds: [3, 4]).scalars == [6, 7, 10, 11])
    }

    /// A box in the middle of every axis against the element-by-element definition.
    @Test func boxMatchesDefinition() {
        let x = counting([4, 5, 6])
        let box = x.sliced(lowerBounds: [1, 2, 1], upperBounds: [3, 5, 6])
        #expect(box.shape == [2, 3, 5])
        var expected: [Float] = []
        for i in 1..<3 { for j in 2..<5 { for k in 1..<6 { expected.append(Float((i * 5 + j) * 6 + k)) } } }
        #expect(box.scalars == expected)
    }

    @Test func emptyAndWholeSlices() {
        let x = counting([2, 3])
        #expect(x.sliced(alongAxis: 1, 2..<2).shape == [2, 0])
        #expect(x.sliced(alongAxis: 0, 0..<2).scalars == x.scalars)
        #expect(Tensor(7).sliced(lowerBounds: [], upperBounds: []).scalars == [7])
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 20)
        let x = Tensor(uniform: [3, 4, 5], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "along axis 1") { $0[0].sliced(alongAxis: 1, 1..<3) }
        expectGradientsMatchFiniteDifferences([x], "box") { $0[0].sliced(lowerBounds: [1, 0, 2], upperBounds: [3, 3, 5]) }
        expectGradientsMatchFiniteDifferences([x], "whole last axis") { $0[0].sliced(alongAxis: 0, 2..<3) }
    }

    /// The gradient is the output's gradient in place, zeros elsewhere (values by hand).
    @Test func gradientPadsWithZeros() {
        let tape = Tape()
        let x = tape.watch(counting([2, 3]))
        let y = x.sliced(alongAxis: 1, 1..<2)
        let gradient = tape.gradients(of: y, seed: Tensor(shape: [2, 1], scalars: [5, 7]), withRespectTo: [x])[0]
        #expect(gradient.scalars == [0, 5, 0, 0, 7, 0])
    }

    @Test func shapeErrorsNameOperationAndShapes() {
        #expect(throws: ShapeError("slice", [[2, 5, 3]], "range 2..<7 is outside 0..<5 along axis 1")) {
            _ = try Tensor.sliceShapes([2, 5, 3], alongAxis: 1, 2..<7)
        }
        #expect(throws: ShapeError("slice", [[2, 5]], "axis 2 is out of range for rank 2")) {
            _ = try Tensor.sliceShapes([2, 5], alongAxis: 2, 0..<1)
        }
        #expect(throws: ShapeError("slice", [[2, 5], [0, 6], [1, 4]], "bounds 6..<4 are not within 0..<5 along axis 1")) {
            _ = try Tensor.sliceShapes([2, 5], lowerBounds: [0, 6], upperBounds: [1, 4])
        }
        #expect(throws: ShapeError("slice", [[2, 5], [0], [1]], "1 lower and 1 upper bounds for rank 2")) {
            _ = try Tensor.sliceShapes([2, 5], lowerBounds: [0], upperBounds: [1])
        }
        let message = ShapeError("slice", [[2, 5, 3]], "range 2..<7 is outside 0..<5 along axis 1").description
        #expect(message == "slice: range 2..<7 is outside 0..<5 along axis 1 (shapes [2, 5, 3])")
    }
}
