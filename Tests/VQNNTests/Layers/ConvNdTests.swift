import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// `ConvNd` / `ConvTransposeNd`: rank 2 is `Conv2d` / `ConvTranspose2d` (same draws from the same seed,
/// same outputs, bit for bit); rank 1 is PyTorch's conv1d / conv_transpose1d, checked against the ops
/// and against plain loops in Double written here:
///   conv1d:           y[n, f, t] = b[f] + Σ_c Σ_k w[f, c, k] · x[n, c, t·s + k − p]   (x = 0 outside)
///   conv_transpose1d: y[n, o, t·s + k − p] += x[n, i, t] · w[i, o, k], then + b[o]
@Suite struct ConvNdTests {
    @Test func rankTwoIsConv2d() {
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7)
        let layer = ConvNd(spatialRank: 2, inputChannels: 3, outputChannels: 5, kernelSize: 3, stride: 2, padding: 1, generator: &a)
        let reference = Conv2d(inputChannels: 3, outputChannels: 5, kernelSize: 3, stride: 2, padding: 1, generator: &b)
        #expect(a == b, "the same number of draws")
        #expect(layer.spatialRank == 2 && layer.weight.shape == [5, 3, 3, 3])
        #expect(layer.weight.scalars == reference.weight.scalars && layer.bias!.scalars == reference.bias!.scalars)
        var generator = RandomGenerator(seed: 8)
        let input = Tensor(uniform: [2, 3, 9, 7], low: -1, high: 1, generator: &generator)
        let output = layer(input)
        #expect(output.shape == [2, 5, 5, 4])
        #expect(output.scalars == reference(input).scalars)
    }

    @Test func rankTwoTransposedIsConvTranspose2d() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let layer = ConvTransposeNd(spatialRank: 2, inputChannels: 4, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1,
                                    generator: &a)
        let reference = ConvTranspose2d(inputChannels: 4, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1, generator: &b)
        #expect(a == b)
        #expect(layer.spatialRank == 2 && layer.weight.shape == [4, 3, 4, 4])
        #expect(layer.weight.scalars == reference.weight.scalars && layer.bias!.scalars == reference.bias!.scalars)
        var generator = RandomGenerator(seed: 10)
        let input = Tensor(uniform: [2, 4, 3, 5], low: -1, high: 1, generator: &generator)
        let output = layer(input)
        #expect(output.shape == [2, 3, 6, 10])
        #expect(output.scalars == reference(input).scalars)
    }

    /// Rank 1, kernel 3, stride 2, padding 1 on (2, 3, 11): (2, 4, 6) since ⌊(11 + 2 − 3)/2⌋ + 1 = 6.
    /// Weight and bias are U(±1/√(3·3)), drawn as a Conv2d of kernel 1×3 draws them.
    @Test func rankOneIsConv1d() {
        var a = RandomGenerator(seed: 11), b = RandomGenerator(seed: 11)
        let layer = ConvNd(spatialRank: 1, inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, generator: &a)
        let flat = Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: HeightWidth(1, 3), generator: &b)
        #expect(layer.spatialRank == 1 && layer.weight.shape == [4, 3, 3] && layer.bias!.shape == [4])
        #expect(layer.weight.scalars == flat.weight.scalars && layer.bias!.scalars == flat.bias!.scalars)
        var generator = RandomGenerator(seed: 12)
        let input = Tensor(uniform: [2, 3, 11], low: -1, high: 1, generator: &generator)
        let output = layer(input)
        #expect(output.shape == [2, 4, 6])
        #expect(output.scalars == input.conv1d(weight: layer.weight, bias: layer.bias, stride: 2, padding: 1).scalars)

        let (x, w, bias) = (input.scalars, layer.weight.scalars, layer.bias!.scalars)
        var expected = [Float]()
        for n in 0..<2 {
            for f in 0..<4 {
                for t in 0..<6 {
                    var sum = Double(bias[f])
                    for c in 0..<3 {
                        for k in 0..<3 {
                            let position = t * 2 + k - 1
                            guard (0..<11).contains(position) else { continue }
                            sum += Double(w[(f * 3 + c) * 3 + k]) * Double(x[(n * 3 + c) * 11 + position])
                        }
                    }
                    expected.append(Float(sum))
                }
            }
        }
        expectClose(output.scalars, expected, absolute: 1e-6, relative: 1e-5, "conv1d by loops")
    }

    /// Rank 1 transposed, kernel 4, stride 2, padding 1 on (2, 3, 5): (2, 2, 10) since
    /// (5 − 1)·2 − 2 + 4 = 10. Weight (3, 2, 4), U(±1/√(2·4)).
    @Test func rankOneTransposedIsConvTranspose1d() {
        var a = RandomGenerator(seed: 13), b = RandomGenerator(seed: 13)
        let layer = ConvTransposeNd(spatialRank: 1, inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                                    generator: &a)
        let flat = ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: HeightWidth(1, 4), generator: &b)
        #expect(layer.spatialRank == 1 && layer.weight.shape == [3, 2, 4])
        #expect(layer.weight.scalars == flat.weight.scalars && layer.bias!.scalars == flat.bias!.scalars)
        var generator = RandomGenerator(seed: 14)
        let input = Tensor(uniform: [2, 3, 5], low: -1, high: 1, generator: &generator)
        let output = layer(input)
        #expect(output.shape == [2, 2, 10])
        #expect(output.scalars == input.convTranspose1d(weight: layer.weight, bias: layer.bias, stride: 2, padding: 1).scalars)

        let (x, w, bias) = (input.scalars, layer.weight.scalars, layer.bias!.scalars)
        var expected = [Double](repeating: 0, count: 2 * 2 * 10)
        for n in 0..<2 {
            for o in 0..<2 {
                for position in 0..<10 { expected[(n * 2 + o) * 10 + position] = Double(bias[o]) }
                for i in 0..<3 {
                    for t in 0..<5 {
                        for k in 0..<4 {
                            let position = t * 2 + k - 1
                            guard (0..<10).contains(position) else { continue }
                            expected[(n * 2 + o) * 10 + position] += Double(x[(n * 3 + i) * 5 + t]) * Double(w[(i * 2 + o) * 4 + k])
                        }
                    }
                }
            }
        }
        expectClose(output.scalars, expected.map(Float.init), absolute: 1e-6, relative: 1e-5, "conv_transpose1d by loops")
    }

    @Test func parameterNames() {
        var generator = RandomGenerator(seed: 15)
        for rank in [1, 2] {
            #expect(ConvNd(spatialRank: rank, inputChannels: 2, outputChannels: 3, kernelSize: 3, generator: &generator).parameterNames
                    == ["weight", "bias"])
            #expect(ConvNd(spatialRank: rank, inputChannels: 2, outputChannels: 3, kernelSize: 3, bias: false, generator: &generator)
                        .parameterNames == ["weight"])
            #expect(ConvTransposeNd(spatialRank: rank, inputChannels: 2, outputChannels: 3, kernelSize: 4, generator: &generator)
                        .parameterNames == ["weight", "bias"])
            #expect(ConvTransposeNd(spatialRank: rank, inputChannels: 2, outputChannels: 3, kernelSize: 4, bias: false,
                                    generator: &generator).parameterNames == ["weight"])
        }
    }
}
