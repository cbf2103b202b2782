import Testing
import VQEngine
import _VQTestSupport

@Suite struct BroadcastingTests {
    /// NumPy/PyTorch rules, worked by hand: align on the right, sizes equal or 1, missing leading
    /// dimensions count as 1.
    @Test(arguments: [
        ([2, 3, 4], [3, 1], [2, 3, 4]), ([4], [2, 3, 4], [2, 3, 4]), ([], [2, 3], [2, 3]), ([], [], []),
        ([1], [2, 3], [2, 3]), ([2, 1, 4], [3, 1], [2, 3, 4]), ([2, 3, 5, 5], [3, 1, 1], [2, 3, 5, 5]),
        ([0, 3], [1, 3], [0, 3]), ([5, 1], [1, 1, 6], [1, 5, 6]),
    ])
    func broadcastShapeFollowsNumPyRules(lhs: [Int], rhs: [Int], expected: [Int]) throws {
        #expect(try Tensor.broadcastShape(lhs, rhs) == expected)
        #expect(try Tensor.broadcastShape(rhs, lhs) == expected)
    }

    @Test func incompatibleShapesNameOperationAndShapes() {
        let expected = ShapeError("add", [[2, 3, 4], [3, 3]], "sizes 4 and 3 of dimension -1 cannot be broadcast together")
        #expect(throws: expected) { _ = try Tensor.broadcastShape([2, 3, 4], [3, 3], operation: "add") }
        #expect(expected.description == "add: sizes 4 and 3 of dimension -1 cannot be broadcast together (shapes [2, 3, 4] and [3, 3])")
        #expect(throws: ShapeError("broadcast", [[2, 3], [4, 3, 3]], "sizes 2 and 3 of dimension -2 cannot be broadcast together")) {
            _ = try Tensor.broadcastShape([2, 3], [4, 3, 3])
        }
    }

    /// [[1, 2, 3], [4, 5, 6]] summed by hand to each shape it could have been broadcast from.
    @Test(arguments: [
        ([2, 3], [1, 2, 3, 4, 5, 6] as [Float]), ([3], [5, 7, 9]), ([1, 3], [5, 7, 9]), ([2, 1], [6, 15]),
        ([1, 1], [21]), ([1], [21]), ([], [21]),
    ])
    func sumToShapeUndoesBroadcasting(target: [Int], expected: [Float]) {
        let input = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let result = input.sumToShape(target)
        #expect(result.shape == target)
        #expect(result.scalars == expected)
    }

    @Test func sumToShapeOverLeadingAndInnerAxes() {
        // (2, 3, 2) of 0…11 summed to (3, 1): row r collects 2r, 2r+1, 6+2r, 7+2r = 8r + 14.
        let input = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        #expect(input.sumToShape([3, 1]).scalars == [14, 22, 30])
    }

    @Test(arguments: [([2, 3, 4], [3, 1]), ([2, 3, 4], []), ([2, 3, 4], [2, 1, 4]), ([2, 3], [2, 3])])
    func sumToShapeGradientMatchesFiniteDifferences(shape: [Int], target: [Int]) {
        var generator = RandomGenerator(seed: 3)
        let input = Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([input]) { $0[0].sumToShape(target) }
    }

    @Test func sumToShapeRejectsShapesThatDoNotBroadcast() throws {
        for target in [[4], [2, 2], [1, 2, 3]] {
            #expect(throws: ShapeError("sumToShape", [[2, 3], target], "the second shape does not broadcast to the first")) {
                _ = try Tensor.sumToShapeShapes([2, 3], target)
            }
        }
        #expect(try Tensor.sumToShapeShapes([2, 3, 4], [3, 1]) == [0, 2])
    }
}
