import Testing
import VQEngine
import _VQTestSupport

@Suite struct Conv2dTests {
    /// Worked by hand: the 3×3 image 1…9 under the 2×2 kernel [[1, 0], [0, 1]] gives 1+5, 2+6, 4+8, 5+9,
    /// plus the bias 0.5. Checks the naive twin and the fast path against arithmetic, not each other.
    @Test func smallConvolutionByHand() throws {
        let input = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let weight = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, 1]), bias = Tensor(shape: [1], scalars: [0.5])
        let expected: [Float] = [6.5, 8.5, 12.5, 14.5]
        #expect(input.conv2d(weight: weight, bias: bias).scalars == expected)
        let geometry = try Tensor.conv2dShapes(input: [1, 1, 3, 3], weight: [1, 1, 2, 2], bias: [1])
        #expect(ConvolutionNaive.forward(input: input, weight: weight, bias: bias, geometry: geometry).scalars == expected)
        // Padding 1, stride 2: output (y, x) adds the pixels at (2y − 1, 2x − 1) and (2y, 2x), 0 outside:
        // 0+1, 0+3, 0+7, 5+9.
        #expect(input.conv2d(weight: weight, stride: 2, padding: 1).scalars == [1, 3, 7, 14])
    }

    @Test(arguments: ConvolutionCase.convolutions)
    func forwardMatchesNaiveTwin(testCase: ConvolutionCase) throws {
        let geometry = try testCase.geometry()
        var generator = RandomGenerator(seed: 11)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.weightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        let expected = ConvolutionNaive.forward(input: input, weight: weight, bias: bias, geometry: geometry)
        #expect(expected.shape == geometry.outputShape)
        forEachConvolutionSetting { setting in
            let output = input.conv2d(weight: weight, bias: bias, parameters: testCase.parameters)
            expectClose(output, expected, absolute: 1e-4, relative: 1e-4, "\(testCase.testDescription) \(setting)")
        }
    }

    @Test(arguments: ConvolutionCase.convolutions)
    func gradientsMatchNaiveTwins(testCase: ConvolutionCase) throws {
        let geometry = try testCase.geometry()
        var generator = RandomGenerator(seed: 12)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.weightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        let cotangent = convolutionTestTensor(geometry.outputShape, &generator)
        let expectedInput = ConvolutionNaive.inputGradient(outputGradient: cotangent, weight: weight, geometry: geometry)
        let expectedWeight = ConvolutionNaive.weightGradient(input: input, outputGradient: cotangent, geometry: geometry)
        forEachConvolutionSetting { setting in
            let tape = Tape()
            let watched = [input, weight, bias].map { tape.watch($0) }
            let output = watched[0].conv2d(weight: watched[1], bias: watched[2], parameters: testCase.parameters)
            let gradients = tape.gradients(of: output, seed: cotangent, withRespectTo: watched)
            let comment = "\(testCase.testDescription) \(setting)"
            expectClose(gradients[0], expectedInput, absolute: 1e-4, relative: 1e-4, "input gradient \(comment)")
            expectClose(gradients[1], expectedWeight, absolute: 2e-4, relative: 1e-4, "weight gradient \(comment)")
            expectClose(gradients[2], Convolution.channelSums(cotangent), absolute: 1e-4, relative: 1e-4, "bias gradient \(comment)")
        }
    }

    @Test func emptyBatchGivesEmptyOutputAndZeroWeightGradient() {
        let input = Tensor(zeros: [0, 3, 5, 5]), weight = Tensor(repeating: 1, shape: [2, 3, 3, 3])
        let tape = Tape()
        let watched = [input, weight].map { tape.watch($0) }
        let output = watched[0].conv2d(weight: watched[1], padding: 1)
        #expect(output.shape == [0, 2, 5, 5])
        let gradients = tape.gradients(of: output, seed: output.detached(), withRespectTo: watched)
        #expect(gradients[1].scalars.allSatisfy { $0 == 0 })
    }

    /// Small shapes covering bias, stride, padding, dilation, groups and the 1×1 path.
    @Test(arguments: [
        ConvolutionCase(input: [2, 3, 5, 4], filters: 2, kernel: 3, padding: 1),
        ConvolutionCase(input: [1, 4, 6, 5], filters: 4, kernel: HeightWidth(3, 2), stride: HeightWidth(2, 1),
                        padding: HeightWidth(1, 0), dilation: HeightWidth(1, 2), groups: 2),
        ConvolutionCase(input: [2, 3, 3, 2], filters: 2, kernel: 1),
        ConvolutionCase(input: [1, 2, 7, 7], filters: 2, kernel: 2, stride: 3, padding: 1, groups: 2),
    ])
    func gradientsMatchFiniteDifferences(testCase: ConvolutionCase) {
        var generator = RandomGenerator(seed: 13)
        let input = convolutionTestTensor(testCase.input, &generator), weight = convolutionTestTensor(testCase.weightShape, &generator)
        let bias = convolutionTestTensor([testCase.filters], &generator)
        expectGradientsMatchFiniteDifferences([input, weight, bias], testCase.testDescription) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], parameters: testCase.parameters)
        }
    }

    /// The causal mask of a PixelCNN ("type A": the centre tap and everything after it masked).
    static func causalMask(filters: Int, channels: Int, kernel: Int) -> Tensor {
        var mask = Tensor(repeating: 1, shape: [filters, channels, kernel, kernel])
        let centre = kernel / 2
        for f in 0..<filters {
            for c in 0..<channels {
                for i in 0..<kernel {
                    for j in 0..<kernel where i > centre || (i == centre && j >= centre) {
                        mask[flat: ((f * channels + c) * kernel + i) * kernel + j] = 0
                    }
                }
            }
        }
        return mask
    }

    @Test func maskedWeightsHaveNoEffectAndZeroGradient() {
        var generator = RandomGenerator(seed: 14)
        let input = convolutionTestTensor([2, 3, 6, 5], &generator), weight = convolutionTestTensor([4, 3, 5, 5], &generator)
        let bias = convolutionTestTensor([4], &generator)
        let mask = Conv2dTests.causalMask(filters: 4, channels: 3, kernel: 5)
        // Scrambling the masked taps changes nothing.
        var scrambled = weight
        for index in 0..<weight.count where mask[flat: index] == 0 { scrambled[flat: index] = 100 * generator.nextUniform() - 50 }
        let output = input.conv2d(weight: weight, bias: bias, padding: 2, mask: mask)
        #expect(output.scalars == input.conv2d(weight: scrambled, bias: bias, padding: 2, mask: mask).scalars)
        // It equals the convolution by the masked weight, computed by the naive twin.
        var maskedWeight = weight
        for index in 0..<weight.count { maskedWeight[flat: index] *= mask[flat: index] }
        let geometry = try! Tensor.conv2dShapes(input: input.shape, weight: weight.shape, parameters: Conv2dParameters(padding: 2))
        expectClose(output, ConvolutionNaive.forward(input: input, weight: maskedWeight, bias: bias, geometry: geometry),
                    absolute: 1e-4, relative: 1e-4, "masked forward")
        // The masked taps get a zero gradient, the others the gradient of the masked convolution.
        let tape = Tape()
        let watched = [input, weight, mask].map { tape.watch($0) }
        let cotangent = convolutionTestTensor(output.shape, &generator)
        let recorded = watched[0].conv2d(weight: watched[1], bias: bias, padding: 2, mask: watched[2])
        let gradients = tape.gradients(of: recorded, seed: cotangent, withRespectTo: watched)
        let unmasked = ConvolutionNaive.weightGradient(input: input, outputGradient: cotangent, geometry: geometry)
        for index in 0..<weight.count where mask[flat: index] == 0 { #expect(gradients[1][flat: index] == 0) }
        expectClose(gradients[1].scalars, zip(unmasked.scalars, mask.scalars).map { $0 * $1 }, absolute: 1e-4, relative: 1e-4,
                    "masked weight gradient")
        #expect(gradients[2].scalars.allSatisfy { $0 == 0 }, "the mask gets no gradient")
        expectClose(gradients[0], ConvolutionNaive.inputGradient(outputGradient: cotangent, weight: maskedWeight, geometry: geometry),
                    absolute: 1e-4, relative: 1e-4, "input gradient through the masked weight")
    }

    @Test func maskedGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 15)
        let input = convolutionTestTensor([1, 2, 4, 4], &generator), weight = convolutionTestTensor([2, 2, 3, 3], &generator)
        let bias = convolutionTestTensor([2], &generator)
        let mask = Conv2dTests.causalMask(filters: 2, channels: 2, kernel: 3)
        expectGradientsMatchFiniteDifferences([input, weight, bias], "masked") {
            $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 1, mask: mask)
        }
    }

    @Test func channelMismatchNamesOperationAndBothShapes() {
        let error = ShapeError("conv2d", [[1, 3, 5, 5], [2, 4, 3, 3]], "the input has 3 channels but the weight expects 4 × 1 groups")
        #expect(throws: error) { _ = try Tensor.conv2dShapes(input: [1, 3, 5, 5], weight: [2, 4, 3, 3]) }
        #expect(error.description
            == "conv2d: the input has 3 channels but the weight expects 4 × 1 groups (shapes [1, 3, 5, 5] and [2, 4, 3, 3])")
    }

    @Test func kernelLargerThanPaddedInputIsRejected() {
        #expect(throws: ShapeError("conv2d", [[1, 1, 2, 6], [1, 1, 5, 3]],
                                   "the kernel spans 5 along the height (with dilation) but the padded input has only 4")) {
            _ = try Tensor.conv2dShapes(input: [1, 1, 2, 6], weight: [1, 1, 5, 3], parameters: Conv2dParameters(padding: 1))
        }
        #expect(throws: ShapeError("conv2d", [[1, 1, 8, 6], [1, 1, 3, 3]],
                                   "the kernel spans 7 along the width (with dilation) but the padded input has only 6")) {
            _ = try Tensor.conv2dShapes(input: [1, 1, 8, 6], weight: [1, 1, 3, 3], parameters: Conv2dParameters(dilation: 3))
        }
    }

    @Test func otherShapeErrorsNameTheOperation() {
        let cases: [(input: [Int], weight: [Int], bias: [Int]?, mask: [Int]?, parameters: Conv2dParameters, reason: String)] = [
            ([3, 5, 5], [2, 3, 3, 3], nil, nil, Conv2dParameters(), "the input must be (N, C, H, W)"),
            ([1, 3, 5, 5], [2, 3, 3], nil, nil, Conv2dParameters(), "the weight must be (F, C/groups, kh, kw)"),
            ([1, 4, 5, 5], [3, 2, 3, 3], nil, nil, Conv2dParameters(groups: 2), "3 output channels do not split into 2 groups"),
            ([1, 3, 5, 5], [2, 3, 3, 3], [3], nil, Conv2dParameters(), "the bias must hold one value per output channel (2)"),
            ([1, 3, 5, 5], [2, 3, 3, 3], nil, [2, 3, 3, 1], Conv2dParameters(), "the mask must have the weight's shape"),
            ([1, 3, 5, 5], [2, 3, 3, 3], nil, nil, Conv2dParameters(stride: 0), "the stride 0 must be positive"),
            ([1, 3, 5, 5], [2, 3, 3, 3], nil, nil, Conv2dParameters(padding: HeightWidth(0, -1)),
             "the padding (0, -1) must not be negative"),
        ]
        for (input, weight, bias, mask, parameters, reason) in cases {
            let shapes = [input, weight] + [bias, mask].compactMap { $0 }
            #expect(throws: ShapeError("conv2d", shapes, reason)) {
                _ = try Tensor.conv2dShapes(input: input, weight: weight, bias: bias, mask: mask, parameters: parameters)
            }
        }
    }
}
