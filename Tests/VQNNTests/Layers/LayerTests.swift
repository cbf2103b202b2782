import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct LayerTests {
    /// PyTorch's default: U(−1/√fanIn, 1/√fanIn) for weight and bias; Conv2d fanIn = in/groups·kh·kw,
    /// ConvTranspose2d fanIn = out/groups·kh·kw (PyTorch reads it from the weight's second dimension).
    @Test func defaultInitialisationBounds() {
        var generator = RandomGenerator(seed: 11)
        let cases: [(weight: Tensor, bias: Tensor, shape: [Int], bound: Float)] = [
            { let c = Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, generator: &generator)
              return (c.weight, c.bias!, [16, 3, 3, 3], 1 / Float(27).squareRoot()) }(),
            { let c = Conv2d(inputChannels: 4, outputChannels: 32, kernelSize: 2, groups: 2, generator: &generator)
              return (c.weight, c.bias!, [32, 2, 2, 2], 1 / Float(8).squareRoot()) }(),
            { let c = ConvTranspose2d(inputChannels: 3, outputChannels: 8, kernelSize: 4, stride: 2, generator: &generator)
              return (c.weight, c.bias!, [3, 8, 4, 4], 1 / Float(128).squareRoot()) }(),
        ]
        for (weight, bias, shape, bound) in cases {
            #expect(weight.shape == shape)
            let values = weight.scalars + bias.scalars
            #expect(values.allSatisfy { abs($0) <= bound }, "bound \(bound)")
            // The draws fill the range: the largest magnitude is near the bound, not far inside it.
            #expect(values.map(abs).max()! > 0.9 * bound, "bound \(bound)")
        }
        let noBias = Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 1, bias: false, generator: &generator)
        #expect(noBias.parameterNames == ["weight"])
    }

    @Test func loadParametersReplacesEveryParameter() throws {
        var generator = RandomGenerator(seed: 1)
        var block = ResidualBlock(hiddenChannels: 2, residualChannels: 1, generator: &generator)
        #expect(block.parameterNames == ["conv3x3.weight", "conv1x1.weight"])
        let loaded = ["conv3x3.weight": Tensor(repeating: 0.5, shape: [1, 2, 3, 3]),
                      "conv1x1.weight": Tensor(repeating: -1, shape: [2, 1, 1, 1]),
                      "unrelated": Tensor(0)]
        try block.loadParameters(from: loaded)
        #expect(block.convolution3x3.weight.scalars == [Float](repeating: 0.5, count: 18))
        #expect(block.convolution1x1.weight.scalars == [-1, -1])
    }

    @Test func loadParametersNamesAMissingTensorOrAWrongShapeAndChangesNothing() {
        var generator = RandomGenerator(seed: 1)
        var block = ResidualBlock(hiddenChannels: 2, residualChannels: 1, generator: &generator)
        let original = block.parameters.map(\.scalars)
        #expect(throws: ParameterLoadingError(
            "loadParameters: conv3x3.weight has shape [1, 2, 1, 1], the layer expects [1, 2, 3, 3]; conv1x1.weight is missing")) {
            try block.loadParameters(from: ["conv3x3.weight": Tensor(zeros: [1, 2, 1, 1])])
        }
        #expect(block.parameters.map(\.scalars) == original)
    }
}
