import Testing
import VQEngine
import _VQTestSupport

@Suite struct ConvTranspose2dTests {
    /// Worked by hand: with a 2×2 kernel of ones and stride 2, each input pixel fills its own 2×2 block.
    @Test func upsamplingByHand() {
        let input = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let output = input.convTranspose2d(weight: Tensor(repeating: 1, shape: [1, 1, 2, 2]), stride: 2)
        #expect(output.shape == [1, 1, 4, 4])
        #expect(output.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // Stride 1, 2×2 kernel [[1, 2], [3, 4]] on one pixel of value 2 with bias 1: the kernel doubled, plus 1.
        let pixel = Tensor(shape: [1, 1, 1, 1], scalars: [2])
        let spread = pixel.convTranspose2d(weight: Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]),
                                           bias: Tensor(shape: [1], scalars: [1]))
        #expect(spread.scalars == [3, 5, 7, 9])
    }

    /// Output sizes from PyTorch's formula (H − 1)·s − 2p + d·(k − 1) + outputPadding + 1.
    @Test func outputSizeFollowsPyTorch() {
        let input = Tensor(zeros: [2, 4, 8, 8])
        #expect(input.convTranspose2d(weight: Tensor(zeros: [4, 3, 4, 4]), stride: 2, padding: 1).shape == [2, 3, 16, 16])
        #expect(input.convTranspose2d(weight: Tensor(zeros: [4, 3, 3, 3]), stride: 2, padding: 1, outputPadding: 1).shape
            == [2, 3, 16, 16])
        #expect(input.convTranspose2d(weight: Tensor(zeros: [4, 1, 3, 3]), stride: HeightWidth(3, 1), dilation: 2, groups: 4).shape
            == [2, 4, 26, 12])
    }

    @Test(arguments: ConvolutionCase.transposedConvolutions)
    func forwardMatchesNaiveTwin(testCase: ConvolutionCase) throws {
        let geometry = try testCase.transposedGeometry()
        var generator = RandomGenerator(seed: 21)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.transposedWeightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        let expected = ConvolutionNaive.transposedForward(input: input, weight: weight, bias: bias, geometry: geometry)
        #expect(expected.shape == geometry.inputShape)
        forEachConvolutionSetting { setting in
            let output = input.convTranspose2d(weight: weight, bias: bias, parameters: testCase.transposedParameters)
            expectClose(output, expected, absolute: 1e-4, relative: 1e-4, "\(testCase.testDescription) \(setting)")
        }
    }

    /// The transposed convolution's input gradient is the convolution of the output gradient (naive
    /// forward), its weight gradient the convolution's weight gradient with the roles swapped.
    @Test(arguments: ConvolutionCase.transposedConvolutions)
    func gradientsMatchNaiveTwins(testCase: ConvolutionCase) throws {
        let geometry = try testCase.transposedGeometry()
        var generator = RandomGenerator(seed: 22)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.transposedWeightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        let cotangent = convolutionTestTensor(geometry.inputShape, &generator)
        let expectedInput = ConvolutionNaive.forward(input: cotangent, weight: weight, bias: nil, geometry: geometry)
        let expectedWeight = ConvolutionNaive.weightGradient(input: cotangent, outputGradient: input, geometry: geometry)
        forEachConvolutionSetting { setting in
            let tape = Tape()
            let watched = [input, weight, bias].map { tape.watch($0) }
            let output = watched[0].convTranspose2d(weight: watched[1], bias: watched[2], parameters: testCase.transposedParameters)
            let gradients = tape.gradients(of: output, seed: cotangent, withRespectTo: watched)
            let comment = "\(testCase.testDescription) \(setting)"
            expectClose(gradients[0], expectedInput, absolute: 1e-4, relative: 1e-4, "input gradient \(comment)")
            expectClose(gradients[1], expectedWeight, absolute: 2e-4, relative: 1e-4, "weight gradient \(comment)")
            expectClose(gradients[2], Convolution.channelSums(cotangent), absolute: 1e-4, relative: 1e-4, "bias gradient \(comment)")
        }
    }

    /// ⟨convTranspose2d(x, W), y⟩ = ⟨x, conv2d(y, W)⟩ with the same settings: each op is the other's adjoint.
    @Test(arguments: ConvolutionCase.transposedConvolutions)
    func isTheAdjointOfConv2d(testCase: ConvolutionCase) throws {
        let geometry = try testCase.transposedGeometry()
        var generator = RandomGenerator(seed: 23)
        let x = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.transposedWeightShape, &generator)
        let y = convolutionTestTensor(geometry.inputShape, &generator)
        let convolved = y.conv2d(weight: weight, parameters: testCase.parameters)
        guard convolved.shape == x.shape else { return }  // output padding ≥ stride: conv2d gives one more position
        let lhs = convolutionTestDot(x.convTranspose2d(weight: weight, parameters: testCase.transposedParameters), y)
        let rhs = convolutionTestDot(x, convolved)
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "\(testCase.testDescription): \(lhs) vs \(rhs)")
    }

    @Test(arguments: [
        ConvolutionCase(input: [2, 3, 3, 2], filters: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
        ConvolutionCase(input: [1, 4, 3, 3], filters: 2, kernel: HeightWidth(2, 3), stride: HeightWidth(1, 2),
                        dilation: HeightWidth(2, 1), groups: 2),
        ConvolutionCase(input: [2, 3, 2, 3], filters: 2, kernel: 1),
    ])
    func gradientsMatchFiniteDifferences(testCase: ConvolutionCase) {
        var generator = RandomGenerator(seed: 24)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.transposedWeightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        expectGradientsMatchFiniteDifferences([input, weight, bias], testCase.testDescription) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], parameters: testCase.transposedParameters)
        }
    }

    @Test func shapeErrorsNameTheOperationAndShapes() {
        #expect(throws: ShapeError("convTranspose2d", [[1, 3, 4, 4], [4, 2, 3, 3]], "the input has 3 channels but the weight expects 4")) {
            _ = try Tensor.convTranspose2dShapes(input: [1, 3, 4, 4], weight: [4, 2, 3, 3])
        }
        #expect(throws: ShapeError("convTranspose2d", [[1, 3, 4, 4], [3, 2, 3, 3]],
                                   "the output padding 2 along the width must be smaller than the stride 2 or the dilation 1")) {
            _ = try Tensor.convTranspose2dShapes(input: [1, 3, 4, 4], weight: [3, 2, 3, 3],
                                                 parameters: ConvTranspose2dParameters(stride: 2, outputPadding: HeightWidth(1, 2)))
        }
        #expect(throws: ShapeError("convTranspose2d", [[1, 3, 4, 4], [3, 2, 3, 3], [3]],
                                   "the bias must hold one value per output channel (2)")) {
            _ = try Tensor.convTranspose2dShapes(input: [1, 3, 4, 4], weight: [3, 2, 3, 3], bias: [3])
        }
        #expect(throws: ShapeError("convTranspose2d", [[1, 3, 4, 4], [3, 2, 3, 3]], "3 input channels do not split into 2 groups")) {
            _ = try Tensor.convTranspose2dShapes(input: [1, 3, 4, 4], weight: [3, 2, 3, 3],
                                                 parameters: ConvTranspose2dParameters(groups: 2))
        }
        #expect(throws: ShapeError("convTranspose2d", [[1, 3, 1, 1], [3, 2, 1, 1]], "the output would have -1 positions along the height")) {
            _ = try Tensor.convTranspose2dShapes(input: [1, 3, 1, 1], weight: [3, 2, 1, 1],
                                                 parameters: ConvTranspose2dParameters(padding: 1))
        }
    }
}
