import Testing
import VQEngine
import _VQTestSupport

@Suite struct ArithmeticTests {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])

    /// Values worked by hand.
    @Test func sameShapeOperatorsByHand() {
        let b = Tensor(shape: [2, 3], scalars: [2, 2, 2, 4, 4, 4])
        #expect((a + b).scalars == [3, 4, 5, 8, 9, 10])
        #expect((a - b).scalars == [-1, 0, 1, 0, 1, 2])
        #expect((a * b).scalars == [2, 4, 6, 16, 20, 24])
        #expect((a / b).scalars == [0.5, 1, 1.5, 1, 1.25, 1.5])
        #expect((-a).scalars == [-1, -2, -3, -4, -5, -6])
    }

    /// Broadcasting worked by hand: a row vector, a column, a rank-0 tensor, a (1,) tensor.
    @Test func broadcastingOperatorsByHand() {
        let row = Tensor(shape: [3], scalars: [10, 20, 30]), column = Tensor(shape: [2, 1], scalars: [2, 4])
        #expect((a + row).scalars == [11, 22, 33, 14, 25, 36])
        #expect((row - a).scalars == [9, 18, 27, 6, 15, 24])
        #expect((a * column).scalars == [2, 4, 6, 16, 20, 24])
        #expect((a / column).scalars == [0.5, 1, 1.5, 1, 1.25, 1.5])
        #expect((column + row).shape == [2, 3])
        #expect((column + row).scalars == [12, 22, 32, 14, 24, 34])
        #expect((a + Tensor(100)).scalars == [101, 102, 103, 104, 105, 106])
        #expect((Tensor(shape: [1], scalars: [2]) * a).scalars == [2, 4, 6, 8, 10, 12])
        #expect((Tensor(3) - Tensor(1)).shape == [])
    }

    /// A per-channel bias (C, 1, 1) added to an NCHW tensor: each channel plane gets its own bias.
    @Test func perChannelBiasOnNCHW() {
        var generator = RandomGenerator(seed: 4)
        let images = Tensor(uniform: [2, 3, 2, 5], low: -1, high: 1, generator: &generator)
        let bias = Tensor(shape: [3, 1, 1], scalars: [10, 20, 30])
        let result = images + bias
        #expect(result.shape == [2, 3, 2, 5])
        let expected = images.scalars.enumerated().map { index, value in value + Float(10 * ((index / 10) % 3 + 1)) }
        #expect(result.scalars == expected)
    }

    @Test func scalarOperatorsByHand() {
        #expect((a + 1).scalars == [2, 3, 4, 5, 6, 7])
        #expect((1 + a).scalars == [2, 3, 4, 5, 6, 7])
        #expect((a - 1).scalars == [0, 1, 2, 3, 4, 5])
        #expect((1 - a).scalars == [0, -1, -2, -3, -4, -5])
        #expect((a * 2).scalars == [2, 4, 6, 8, 10, 12])
        #expect((2 * a).scalars == [2, 4, 6, 8, 10, 12])
        #expect((a / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect((6 / a).scalars == [6, 3, 2, 1.5, 1.2, 1])
    }

    /// Large operands take the parallel paths (flat, one long broadcast line, strided lines); each
    /// element must equal its own product computed one at a time.
    @Test(arguments: [([301, 257], [301, 257]), ([301, 257], [257]), ([301, 257], [301, 1]), ([1], [301, 257])])
    func largeOperandsMatchElementByElement(lhsShape: [Int], rhsShape: [Int]) throws {
        var generator = RandomGenerator(seed: 8)
        let lhs = Tensor(uniform: lhsShape, low: -1, high: 1, generator: &generator)
        let rhs = Tensor(uniform: rhsShape, low: -1, high: 1, generator: &generator)
        let result = lhs * rhs
        let shape = try Tensor.broadcastShape(lhsShape, rhsShape)
        #expect(result.shape == shape)
        let columns = shape[1]
        for index in stride(from: 0, to: result.count, by: 97) {
            let (row, column) = index.quotientAndRemainder(dividingBy: columns)
            let left = lhs.count == 1 ? lhs[flat: 0] : lhs[flat: index]
            let right = rhsShape == [257] ? rhs[flat: column] : rhsShape == [301, 1] ? rhs[flat: row] : rhs[flat: index]
            #expect(result[flat: index] == left * right, "index \(index)")
        }
    }

    static let broadcastPairs: [([Int], [Int])] = [
        ([2, 3, 4], [3, 1]), ([4], [2, 3, 4]), ([], [2, 3]), ([2, 3], []), ([1], [2, 3]), ([2, 3], [2, 3]),
        ([2, 3, 2, 2], [3, 1, 1]),
    ]

    @Test(arguments: broadcastPairs)
    func gradientsMatchFiniteDifferences(shapes: ([Int], [Int])) {
        var generator = RandomGenerator(seed: 6)
        let lhs = Tensor(uniform: shapes.0, low: -1, high: 1, generator: &generator)
        // Divisors stay away from zero: magnitudes in [0.5, 1.5], both signs.
        let rhs = Tensor(uniform: shapes.1, low: 0.5, high: 1.5, generator: &generator)
            * Tensor(shape: shapes.1, scalars: (0..<shapes.1.reduce(1, *)).map { $0 % 2 == 0 ? 1 : -1 })
        expectGradientsMatchFiniteDifferences([lhs, rhs], "add \(shapes)") { $0[0] + $0[1] }
        expectGradientsMatchFiniteDifferences([lhs, rhs], "subtract \(shapes)") { $0[0] - $0[1] }
        expectGradientsMatchFiniteDifferences([lhs, rhs], "multiply \(shapes)") { $0[0] * $0[1] }
        expectGradientsMatchFiniteDifferences([lhs, rhs], epsilon: 1e-3, "divide \(shapes)") { $0[0] / $0[1] }
        expectGradientsMatchFiniteDifferences([rhs, lhs], "multiply swapped \(shapes)") { $0[0] * $0[1] }
    }

    @Test func scalarOperatorGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 7)
        let x = Tensor(uniform: [3, 4], low: 0.5, high: 2, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "x + 3") { $0[0] + 3 }
        expectGradientsMatchFiniteDifferences([x], "3 + x") { 3 + $0[0] }
        expectGradientsMatchFiniteDifferences([x], "x - 3") { $0[0] - 3 }
        expectGradientsMatchFiniteDifferences([x], "3 - x") { 3 - $0[0] }
        expectGradientsMatchFiniteDifferences([x], "x * 3") { $0[0] * 3 }
        expectGradientsMatchFiniteDifferences([x], "3 * x") { 3 * $0[0] }
        expectGradientsMatchFiniteDifferences([x], "x / 3") { $0[0] / 3 }
        expectGradientsMatchFiniteDifferences([x], epsilon: 1e-3, "3 / x") { 3 / $0[0] }
        expectGradientsMatchFiniteDifferences([x], "-x") { -$0[0] }
    }

    /// The same tensor on both sides: the two gradient contributions add up (d(x·x) = 2x).
    @Test func sameTensorOnBothSidesAccumulates() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [3], scalars: [1, -2, 3]))
        let gradient = tape.gradients(of: (x * x).sum(), withRespectTo: [x])[0]
        #expect(gradient.scalars == [2, -4, 6])
    }

    @Test func untrackedOperandGetsNoWorkButTrackedOneGetsItsGradient() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let y = Tensor(shape: [2], scalars: [10, 20])
        let gradient = tape.gradients(of: (x * y).sum(), withRespectTo: [x])[0]
        #expect(gradient.scalars == [10, 20, 10, 20])
    }

    @Test func shapeMismatchNamesOperatorAndShapes() {
        let expected = ShapeError("multiply", [[2, 3], [4]], "sizes 3 and 4 of dimension -1 cannot be broadcast together")
        #expect(throws: expected) { _ = try Tensor.arithmeticShapes(.multiply, [2, 3], [4]) }
        #expect(expected.description == "multiply: sizes 3 and 4 of dimension -1 cannot be broadcast together (shapes [2, 3] and [4])")
        for (operation, name) in zip(ArithmeticOperator.allCases, ["add", "subtract", "multiply", "divide"]) {
            #expect(throws: ShapeError(name, [[5], [2, 3]], "sizes 5 and 3 of dimension -1 cannot be broadcast together")) {
                _ = try Tensor.arithmeticShapes(operation, [5], [2, 3])
            }
        }
    }
}
