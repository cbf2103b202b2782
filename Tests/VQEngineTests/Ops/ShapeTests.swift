import Testing
import VQEngine
import _VQTestSupport

@Suite struct ShapeTests {
    private func counting(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }

    private func address(of tensor: Tensor) -> UnsafePointer<Float>? { tensor.withUnsafeBufferPointer { $0.baseAddress } }

    // MARK: Reshape, flatten, squeeze

    @Test func reshapeInfersMinusOneAndSharesStorage() {
        let x = counting([2, 3, 4])
        let y = x.reshaped(to: [4, -1])
        #expect(y.shape == [4, 6])
        #expect(y.scalars == x.scalars)
        #expect(address(of: y) == address(of: x))
    }

    @Test func reshapeKeepsValueSemantics() {
        let x = counting([2, 3])
        var y = x.reshaped(to: [6])
        y[flat: 0] = 100
        #expect(x[flat: 0] == 0)
        #expect(y[flat: 0] == 100)
    }

    @Test func reshapeResolvesShapes() throws {
        #expect(try Tensor.reshapeShapes([2, 3, 4], [-1]) == [24])
        #expect(try Tensor.reshapeShapes([2, 3, 4], [2, -1, 3]) == [2, 4, 3])
        #expect(try Tensor.reshapeShapes([0, 3], [3, 0]) == [3, 0])
        #expect(try Tensor.reshapeShapes([], [1, 1]) == [1, 1])
    }

    @Test func reshapeShapeErrorsNameOperationAndShapes() {
        #expect(throws: ShapeError("reshape", [[2, 3, 4], [5, 4]], "the new shape holds 20 elements, not 24")) {
            _ = try Tensor.reshapeShapes([2, 3, 4], [5, 4])
        }
        #expect(throws: ShapeError("reshape", [[2, 3, 4], [-1, -1]], "only one dimension may be -1")) {
            _ = try Tensor.reshapeShapes([2, 3, 4], [-1, -1])
        }
        #expect(throws: ShapeError("reshape", [[2, 3, 4], [5, -1]], "cannot infer the -1 dimension for 24 elements")) {
            _ = try Tensor.reshapeShapes([2, 3, 4], [5, -1])
        }
        #expect(throws: ShapeError("reshape", [[0, 4], [0, -1]], "cannot infer the -1 dimension for 0 elements")) {
            _ = try Tensor.reshapeShapes([0, 4], [0, -1])
        }
        #expect(throws: ShapeError("reshape", [[6], [-2, -3]], "negative dimension")) {
            _ = try Tensor.reshapeShapes([6], [-2, -3])
        }
        let message = ShapeError("reshape", [[2, 3, 4], [5, 4]], "the new shape holds 20 elements, not 24").description
        #expect(message == "reshape: the new shape holds 20 elements, not 24 (shapes [2, 3, 4] and [5, 4])")
    }

    @Test func flattenSqueezeUnsqueezeShapes() throws {
        let x = counting([2, 3, 4, 5])
        #expect(x.flattened().shape == [120])
        #expect(x.flattened(startAxis: 1).shape == [2, 60])
        #expect(x.flattened(startAxis: 1, endAxis: 2).shape == [2, 12, 5])
        #expect(x.flattened(startAxis: -2).shape == [2, 3, 20])
        #expect(Tensor(3).flattened().shape == [1])
        #expect(x.flattened(startAxis: 1).scalars == x.scalars)
        let column = counting([3, 1])
        #expect(column.squeezed(axis: 1).shape == [3])
        #expect(column.squeezed(axis: -1).shape == [3])
        #expect(column.unsqueezed(axis: 0).shape == [1, 3, 1])
        #expect(column.unsqueezed(axis: 2).shape == [3, 1, 1])
        #expect(column.unsqueezed(axis: -1).shape == [3, 1, 1])
        #expect(try Tensor.unsqueezeShapes([3], axis: -2) == [1, 3])
    }

    @Test func flattenSqueezeUnsqueezeShapeErrors() {
        #expect(throws: ShapeError("flatten", [[2, 3, 4]], "start axis 2 comes after end axis 1")) {
            _ = try Tensor.flattenShapes([2, 3, 4], startAxis: 2, endAxis: 1)
        }
        #expect(throws: ShapeError("flatten", [[2, 3]], "axis 2 is out of range for rank 2")) {
            _ = try Tensor.flattenShapes([2, 3], startAxis: 2, endAxis: -1)
        }
        #expect(throws: ShapeError("squeeze", [[3, 2]], "axis 1 has size 2, not 1")) {
            _ = try Tensor.squeezeShapes([3, 2], axis: 1)
        }
        #expect(throws: ShapeError("unsqueeze", [[3, 2]], "axis 4 is out of range for rank 3")) {
            _ = try Tensor.unsqueezeShapes([3, 2], axis: 4)
        }
    }

    @Test func reshapeFamilyGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 10)
        let x = Tensor(uniform: [2, 3, 4], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "reshape") { $0[0].reshaped(to: [4, -1]) }
        expectGradientsMatchFiniteDifferences([x], "flatten") { $0[0].flattened(startAxis: 1) }
        expectGradientsMatchFiniteDifferences([x], "unsqueeze then squeeze") {
            $0[0].unsqueezed(axis: 1).permuted([0, 2, 1, 3]).squeezed(axis: 2)
        }
    }

    // MARK: Permute, transpose

    /// A (2, 3) matrix and its transpose, by hand.
    @Test func transposeByHand() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let expected: [Float] = [1, 4, 2, 5, 3, 6]
        #expect(x.transposed().shape == [3, 2])
        #expect(x.transposed().scalars == expected)
        #expect(x.permuted([1, 0]).scalars == expected)
        #expect(x.transposed(0, -1).scalars == expected)
    }

    /// NCHW (1, 2, 2, 2) → NHWC puts the two channels of each pixel side by side, and back.
    @Test func nchwToNhwcByHand() {
        let nchw = Tensor(shape: [1, 2, 2, 2], scalars: [0, 1, 2, 3, 10, 11, 12, 13])
        let nhwc = nchw.permuted([0, 2, 3, 1])
        #expect(nhwc.shape == [1, 2, 2, 2])
        #expect(nhwc.scalars == [0, 10, 1, 11, 2, 12, 3, 13])
        #expect(nhwc.permuted([0, 3, 1, 2]).scalars == nchw.scalars)
    }

    /// Every permutation of a rank-3 tensor against the element-by-element definition.
    @Test func permuteMatchesDefinition() {
        let shape = [2, 3, 4]
        let x = counting(shape)
        for axes in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let y = x.permuted(axes)
            #expect(y.shape == axes.map { shape[$0] })
            for i in 0..<2 {
                for j in 0..<3 {
                    for k in 0..<4 {
                        let source = [i, j, k], target = axes.map { source[$0] }
                        let flat = (target[0] * y.shape[1] + target[1]) * y.shape[2] + target[2]
                        #expect(y[flat: flat] == x[flat: (i * 3 + j) * 4 + k], "axes \(axes) at \(source)")
                    }
                }
            }
        }
    }

    @Test func permuteAcceptsNegativeAxes() {
        let x = counting([2, 3, 4])
        #expect(x.permuted([0, -1, -2]).scalars == x.permuted([0, 2, 1]).scalars)
    }

    @Test(arguments: [
        ([2, 3, 4], [2, 0, 1]), ([3, 4], [1, 0]), ([2, 3, 2, 3], [0, 2, 3, 1]), ([2, 3, 2, 3], [0, 3, 1, 2]),
        ([2, 1, 3, 2], [3, 1, 0, 2]),
    ])
    func permuteGradientsMatchFiniteDifferences(shape: [Int], axes: [Int]) {
        var generator = RandomGenerator(seed: 11)
        let x = Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "permute \(axes)") { $0[0].permuted(axes) }
    }

    @Test func transposeGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 12)
        let x = Tensor(uniform: [3, 5], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "transposed()") { $0[0].transposed() }
        let y = Tensor(uniform: [2, 3, 4], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([y], "transposed(0, 2)") { $0[0].transposed(0, 2) }
    }

    @Test func permuteShapeErrorsNameOperationAndShapes() {
        #expect(throws: ShapeError("permute", [[2, 3, 4], [0, 1]], "2 axes given for a tensor of rank 3")) {
            _ = try Tensor.permuteShapes([2, 3, 4], axes: [0, 1])
        }
        #expect(throws: ShapeError("permute", [[2, 3, 4], [0, 1, 1]], "axes [0, 1, 1] repeat an axis")) {
            _ = try Tensor.permuteShapes([2, 3, 4], axes: [0, 1, 1])
        }
        #expect(throws: ShapeError("permute", [[2, 3, 4], [0, 1, 3]], "axis 3 is out of range for rank 3")) {
            _ = try Tensor.permuteShapes([2, 3, 4], axes: [0, 1, 3])
        }
        #expect(throws: ShapeError("transpose", [[2, 3, 4]], "transposed() needs rank 2, not 3")) {
            _ = try Tensor.transposeShapes([2, 3, 4])
        }
        let message = ShapeError("permute", [[2, 3, 4], [0, 1, 1]], "axes [0, 1, 1] repeat an axis").description
        #expect(message == "permute: axes [0, 1, 1] repeat an axis (shapes [2, 3, 4] and [0, 1, 1])")
    }
}
