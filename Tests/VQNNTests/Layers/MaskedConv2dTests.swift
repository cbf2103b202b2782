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

    /// The box a mask keeps: the PixelCNN's vertical 3 × 3 mask keeps its top two rows, the horizontal
    /// masks 'B' and 'A' the left two and one columns; a mask that is not a box, or differs between
    /// channels, or keeps everything, has none (the layer then multiplies the full weight by the mask).
    @Test func keptBoxOfMasks() {
        var generator = RandomGenerator(seed: 2)
        func box(_ mask: Tensor) -> [Int]? {
            let layer = MaskedConv2d(inputChannels: mask.shape[1], outputChannels: mask.shape[0], mask: mask, generator: &generator)
            return layer.keptBox.map { [$0.rows.lowerBound, $0.rows.upperBound, $0.columns.lowerBound, $0.columns.upperBound] }
        }
        #expect(box(PixelCNNMasksForTests.vertical) == [0, 2, 0, 3])
        #expect(box(PixelCNNMasksForTests.horizontal(keepsCentre: true)) == [0, 1, 0, 2])
        #expect(box(PixelCNNMasksForTests.horizontal(keepsCentre: false)) == [0, 1, 0, 1])
        #expect(box(Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, 1])) == nil)
        #expect(box(Tensor(shape: [2, 1, 1, 2], scalars: [1, 0, 0, 1])) == nil)
        #expect(box(Tensor(shape: [1, 1, 1, 2], scalars: [1, 1])) == nil)
    }

    /// Through the kept box, outputs and the gradients of input, weight and bias equal the full masked
    /// convolution's (the masked taps were zero terms) and masked weights get zero gradient, for the
    /// vertical 3 × 3 mask (padding 1) and both horizontal masks (padding (0, 1)), on odd sizes.
    @Test func keptBoxEqualsTheFullMaskedConvolution() {
        var generator = RandomGenerator(seed: 3)
        for (mask, padding) in [(PixelCNNMasksForTests.vertical, HeightWidth(1)),
                                (PixelCNNMasksForTests.horizontal(keepsCentre: true), HeightWidth(0, 1)),
                                (PixelCNNMasksForTests.horizontal(keepsCentre: false), HeightWidth(0, 1))] {
            let layer = MaskedConv2d(inputChannels: 3, outputChannels: 4, mask: mask, padding: padding, generator: &generator)
            #expect(layer.keptBox != nil)
            let input = Tensor(uniform: [2, 3, 5, 6], low: -1, high: 1, generator: &generator)
            let seed = Tensor(uniform: [2, 4, 5, 6], low: -1, high: 1, generator: &generator)
            func run(_ body: (Tensor, Tensor, Tensor) -> Tensor) -> [[Float]] {
                let tape = Tape()
                let (x, w, b) = (tape.watch(input), tape.watch(layer.weight), tape.watch(layer.bias!))
                let y = body(x, w, b)
                #expect(y.shape == [2, 4, 5, 6])
                return [y.scalars] + tape.gradients(of: y, seed: seed, withRespectTo: [x, w, b]).map(\.scalars)
            }
            let boxed = run { x, w, b in
                var copy = layer
                (copy.weight, copy.bias) = (w, b)
                return copy(x)
            }
            let full = run { x, w, b in x.conv2d(weight: w, bias: b, parameters: layer.parameters, mask: mask) }
            for (index, (a, e)) in zip(boxed, full).enumerated() { expectClose(a, e, absolute: 1e-6, relative: 1e-5, "part \(index)") }
            #expect(zip(boxed[2], mask.scalars).allSatisfy { $1 == 1 || $0 == 0 }, "masked weights get zero gradient")
        }
    }
}

/// The gated PixelCNN's masks (VQModels' PixelCNNMasks, kernel 3), written out here: VQNN's tests do not
/// depend on VQModels.
enum PixelCNNMasksForTests {
    static var vertical: Tensor { Tensor(shape: [4, 3, 3, 3], scalars: Array([[Float]](repeating: [1, 1, 1, 1, 1, 1, 0, 0, 0], count: 12).joined())) }
    static func horizontal(keepsCentre: Bool) -> Tensor {
        Tensor(shape: [4, 3, 1, 3], scalars: Array([[Float]](repeating: [1, keepsCentre ? 1 : 0, 0], count: 12).joined()))
    }
}
