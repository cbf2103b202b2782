import Testing
import VQEngine
import _VQTestSupport

/// conv1d and convTranspose1d are the 2-D ops on images of height 1; these tests hold them to that,
/// to finite differences, and to their own shape errors.
@Suite struct Conv1dTests {
    /// (A, B, L) with a height of 1 inserted: (A, B, 1, L).
    static func withHeightOne(_ tensor: Tensor) -> Tensor {
        Tensor(shape: [tensor.shape[0], tensor.shape[1], 1, tensor.shape[2]], scalars: tensor.scalars)
    }

    @Test(arguments: [
        (input: [1, 3, 7], filters: 4, kernel: 3, stride: 1, padding: 1, dilation: 1, groups: 1),
        (input: [3, 6, 20], filters: 9, kernel: 4, stride: 3, padding: 2, dilation: 2, groups: 3),
        (input: [2, 5, 9], filters: 7, kernel: 1, stride: 1, padding: 0, dilation: 1, groups: 1),
    ])
    func conv1dIsConv2dWithHeightOne(shapes: (input: [Int], filters: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                                              groups: Int)) {
        var generator = RandomGenerator(seed: 31)
        let input = convolutionTestTensor(shapes.input, &generator)
        let weight = convolutionTestTensor([shapes.filters, shapes.input[1] / shapes.groups, shapes.kernel], &generator)
        let bias = convolutionTestTensor([shapes.filters], &generator)
        let output = input.conv1d(weight: weight, bias: bias, stride: shapes.stride, padding: shapes.padding,
                                  dilation: shapes.dilation, groups: shapes.groups)
        let expected = Conv1dTests.withHeightOne(input).conv2d(
            weight: Conv1dTests.withHeightOne(weight), bias: bias, stride: HeightWidth(1, shapes.stride),
            padding: HeightWidth(0, shapes.padding), dilation: HeightWidth(1, shapes.dilation), groups: shapes.groups)
        #expect(output.shape == [shapes.input[0], shapes.filters, expected.shape[3]])
        #expect(output.scalars == expected.scalars)
    }

    @Test(arguments: [
        (input: [1, 3, 7], filters: 4, kernel: 4, stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 1),
        (input: [2, 6, 5], filters: 4, kernel: 3, stride: 3, padding: 0, outputPadding: 2, dilation: 2, groups: 2),
        (input: [2, 5, 9], filters: 7, kernel: 1, stride: 1, padding: 0, outputPadding: 0, dilation: 1, groups: 1),
    ])
    func convTranspose1dIsConvTranspose2dWithHeightOne(
        shapes: (input: [Int], filters: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int, dilation: Int, groups: Int)
    ) {
        var generator = RandomGenerator(seed: 32)
        let input = convolutionTestTensor(shapes.input, &generator)
        let weight = convolutionTestTensor([shapes.input[1], shapes.filters / shapes.groups, shapes.kernel], &generator)
        let bias = convolutionTestTensor([shapes.filters], &generator)
        let output = input.convTranspose1d(weight: weight, bias: bias, stride: shapes.stride, padding: shapes.padding,
                                           outputPadding: shapes.outputPadding, dilation: shapes.dilation, groups: shapes.groups)
        let expected = Conv1dTests.withHeightOne(input).convTranspose2d(
            weight: Conv1dTests.withHeightOne(weight), bias: bias, stride: HeightWidth(1, shapes.stride),
            padding: HeightWidth(0, shapes.padding), outputPadding: HeightWidth(0, shapes.outputPadding),
            dilation: HeightWidth(1, shapes.dilation), groups: shapes.groups)
        let length = (shapes.input[2] - 1) * shapes.stride - 2 * shapes.padding + shapes.dilation * (shapes.kernel - 1)
            + shapes.outputPadding + 1
        #expect(output.shape == [shapes.input[0], shapes.filters, length])
        #expect(output.scalars == expected.scalars)
    }

    @Test func conv1dGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 33)
        let input = convolutionTestTensor([2, 4, 9], &generator), weight = convolutionTestTensor([6, 2, 3], &generator)
        let bias = convolutionTestTensor([6], &generator)
        expectGradientsMatchFiniteDifferences([input, weight, bias], "conv1d") {
            $0[0].conv1d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2, groups: 2)
        }
        expectGradientsMatchFiniteDifferences([input, Tensor(shape: [3, 4, 1], scalars: Array(weight.scalars[0..<12]))],
                                              "pointwise conv1d") { $0[0].conv1d(weight: $0[1]) }
    }

    @Test func convTranspose1dGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 34)
        let input = convolutionTestTensor([2, 4, 5], &generator), weight = convolutionTestTensor([4, 3, 4], &generator)
        let bias = convolutionTestTensor([6], &generator)
        expectGradientsMatchFiniteDifferences([input, weight, bias], "convTranspose1d") {
            $0[0].convTranspose1d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1, groups: 2)
        }
    }

    @Test func shapeErrorsNameTheOneDimensionalOperation() {
        #expect(throws: ShapeError("conv1d", [[2, 3, 8], [4, 2, 3]], "the input has 3 channels but the weight expects 2 × 1 groups")) {
            _ = try Tensor.conv1dShapes(input: [2, 3, 8], weight: [4, 2, 3])
        }
        #expect(throws: ShapeError("conv1d", [[2, 3, 4], [4, 3, 7]],
                                   "the kernel spans 7 along the length (with dilation) but the padded input has only 6")) {
            _ = try Tensor.conv1dShapes(input: [2, 3, 4], weight: [4, 3, 7], padding: 1)
        }
        #expect(throws: ShapeError("conv1d", [[2, 3, 8, 1], [4, 3, 3]], "the input must be (N, C, L)")) {
            _ = try Tensor.conv1dShapes(input: [2, 3, 8, 1], weight: [4, 3, 3])
        }
        #expect(throws: ShapeError("conv1d", [[2, 3, 8], [4, 3, 3]], "the stride 0 must be positive")) {
            _ = try Tensor.conv1dShapes(input: [2, 3, 8], weight: [4, 3, 3], stride: 0)
        }
        #expect(throws: ShapeError("convTranspose1d", [[2, 3, 8], [3, 2, 3]],
                                   "the output padding 2 along the length must be smaller than the stride 2 or the dilation 1")) {
            _ = try Tensor.convTranspose1dShapes(input: [2, 3, 8], weight: [3, 2, 3], stride: 2, outputPadding: 2)
        }
    }
}
