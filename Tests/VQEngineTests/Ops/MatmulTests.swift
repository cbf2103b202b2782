import Testing
import VQEngine
import _VQTestSupport

@Suite struct MatmulTests {
    /// Values worked by hand: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]].
    @Test func smallProductByHand() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(a.matmul(b).scalars == [19, 22, 43, 50])
    }

    @Test func batchedProductMatchesPerBatchProducts() {
        var generator = RandomGenerator(seed: 1)
        let a = Tensor(uniform: [3, 4, 5], low: -1, high: 1, generator: &generator)
        let b = Tensor(uniform: [3, 5, 2], low: -1, high: 1, generator: &generator)
        let product = a.matmul(b)
        #expect(product.shape == [3, 4, 2])
        for batch in 0..<3 {
            let aSlice = Tensor(shape: [4, 5], scalars: Array(a.scalars[batch * 20..<(batch + 1) * 20]))
            let bSlice = Tensor(shape: [5, 2], scalars: Array(b.scalars[batch * 10..<(batch + 1) * 10]))
            expectClose(Array(product.scalars[batch * 8..<(batch + 1) * 8]), aSlice.matmul(bSlice).scalars)
        }
    }

    @Test(arguments: [[3, 4, 5], [1, 2, 3], [2, 1, 4, 3]])
    func gradientsMatchFiniteDifferences(lhsShape: [Int]) {
        var generator = RandomGenerator(seed: 2)
        let a = Tensor(uniform: lhsShape, low: -1, high: 1, generator: &generator)
        let batched = Tensor(uniform: Array(lhsShape.dropLast(2)) + [lhsShape.last!, 2], low: -1, high: 1, generator: &generator)
        let shared = Tensor(uniform: [lhsShape.last!, 2], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([a, batched], "batched") { $0[0].matmul($0[1]) }
        expectGradientsMatchFiniteDifferences([a, shared], "shared right operand") { $0[0].matmul($0[1]) }
    }

    @Test func shapeMismatchNamesOperationAndShapes() {
        #expect(throws: ShapeError("matmul", [[2, 3], [4, 5]], "inner dimensions 3 and 4 differ")) {
            _ = try Tensor.matmulShapes([2, 3], [4, 5])
        }
        let message = ShapeError("matmul", [[2, 3], [4, 5]], "inner dimensions 3 and 4 differ").description
        #expect(message == "matmul: inner dimensions 3 and 4 differ (shapes [2, 3] and [4, 5])")
    }
}
