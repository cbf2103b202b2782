import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct MaskedConv2dTests {
    /// A masked layer is the plain convolution with the weight multiplied by the mask; its parameters
    /// are the weight and bias only, and the initial bound counts only the kept taps (fanIn 3 → 1/√3).
    @Test func equalsTheConvolutionOfTheMaskedWeight() {
        var generator = RandomGenerator(seed: 1)
        let mask = Tensor(shape: [2, 1, 1, 3], scalars: [1, 1, 0, 1, 1, 0])
        var layer = MaskedConv2d(inputChannels: 1, outputChannels: 2, mask: mask, padding: HeightWidth(0, 1), generator: &generator)
        #expect(layer.parameterNames == ["weight", "bias"])
        #expect(layer.weight.scalars.allSatisfy { abs($0) <= 1 / Float(2).squareRoot() })
        layer.weight = Tensor(shape: [2, 1, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
        layer.bias = Tensor(shape: [2], scalars: [0, 10])
        // Row [1, 2, 3], padded [0, 1, 2, 3, 0]: channel 0 weights [1, 2, 0], channel 1 [4, 5, 0] plus 10.
        let output = layer(Tensor(shape: [1, 1, 1, 3], scalars: [1, 2, 3]))
        #expect(output.scalars == [2, 5, 8, 15, 24, 33])
    }
}
