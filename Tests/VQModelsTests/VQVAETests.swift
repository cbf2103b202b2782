import Testing
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

@Suite struct VQVAETests {
    static let oneBlock = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                             numEmbeddings: 8, embeddingDim: 2)

    /// The names checkpoints store and the fixture uses: a stable list, in this order.
    @Test func parameterNamesOfAOneBlockModel() {
        var generator = RandomGenerator(seed: 0)
        let names = VQVAE(Self.oneBlock, generator: &generator).parameterNames
        #expect(names == [
            "encoder.conv1.weight", "encoder.conv1.bias",
            "encoder.conv2.weight", "encoder.conv2.bias",
            "encoder.conv3.weight", "encoder.conv3.bias",
            "encoder.residual.0.conv3x3.weight", "encoder.residual.0.conv1x1.weight",
            "encoder.pre_quantization.weight", "encoder.pre_quantization.bias",
            "quantizer.codebook",
            "decoder.conv.weight", "decoder.conv.bias",
            "decoder.residual.0.conv3x3.weight", "decoder.residual.0.conv1x1.weight",
            "decoder.conv_transpose1.weight", "decoder.conv_transpose1.bias",
            "decoder.conv_transpose2.weight", "decoder.conv_transpose2.bias",
        ])
        var ema = Self.oneBlock
        ema.quantizer.kind = .ema
        let emaNames = VQVAE(ema, generator: &generator).parameterNames
        #expect(emaNames == names.filter { $0 != "quantizer.codebook" })  // an EMA codebook is not a parameter
    }

    /// β's warm-up: a linear ramp from 0 over `commitmentWarmupSteps` (the argument is steps completed), then 1.
    @Test func commitmentWarmUpScale() {
        let warm = TrainingOptions(commitmentWarmupSteps: 4)
        #expect([0, 1, 2, 3, 4, 5, 100].map { warm.commitmentScale(at: $0) } == [0, 0.25, 0.5, 0.75, 1, 1, 1])
        let off = TrainingOptions()
        #expect([0, 1, 1000].map { off.commitmentScale(at: $0) } == [1, 1, 1])
    }

    // MARK: Downsampling and spatial rank

    /// hidden 8, residual 4, 1 block, D 4, K 8, the given rank and factor F.
    static func small(spatialRank: Int = 2, downsampling: Int) -> VQVAEConfiguration {
        VQVAEConfiguration(spatialRank: spatialRank, inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                           downsampling: downsampling, embeddingDim: 4, quantizer: QuantizerConfiguration(kind: .vq, codebookSize: 8))
    }

    /// F = 2^n: the encoder has n strided 4×4 convolutions conv1…conv<n> (stride 2, padding 1: each halves
    /// a side) to 4 channels (half the hidden 8) except the last, to 8, then the 3×3 conv<n+1>; the
    /// decoder mirrors it with conv_transpose1…<n> (each doubles a side), the last back to 1 channel.
    /// 32×32 at F 8 gives 4×4 grids, 28×28 at F 2 gives 14×14, 32×32 at F 16 gives 2×2 (28×28 at F 4: 7×7).
    @Test(arguments: [(8, 32, 4), (2, 28, 14), (16, 32, 2), (4, 28, 7)])
    func downsamplingFactorSetsTheGridAndTheLayers(factor: Int, side: Int, grid: Int) {
        let configuration = Self.small(downsampling: factor)
        #expect(configuration.problems == nil)
        let n = factor.trailingZeroBitCount
        #expect(configuration.downsamplingLayers == n)
        #expect(configuration.gridShape(forInput: [side, side]) == [grid, grid])
        var generator = RandomGenerator(seed: 20)
        let model = VQVAE(configuration, generator: &generator)

        let tensors = model.namedTensors
        let encoderWeights = model.parameterNames.filter { $0.hasPrefix("encoder.conv") && $0.hasSuffix(".weight") }
        #expect(encoderWeights == (1...(n + 1)).map { "encoder.conv\($0).weight" })
        for layer in 1...n {
            let (input, output) = (layer == 1 ? 1 : 4, layer == n ? 8 : 4)
            #expect(tensors["encoder.conv\(layer).weight"]?.shape == [output, input, 4, 4], "encoder.conv\(layer)")
        }
        #expect(tensors["encoder.conv\(n + 1).weight"]?.shape == [8, 8, 3, 3])
        let decoderWeights = model.parameterNames.filter { $0.hasPrefix("decoder.conv_transpose") && $0.hasSuffix(".weight") }
        #expect(decoderWeights == (1...n).map { "decoder.conv_transpose\($0).weight" })
        for layer in 1...n {
            let (input, output) = (layer == 1 ? 8 : 4, layer == n ? 1 : 4)
            #expect(tensors["decoder.conv_transpose\(layer).weight"]?.shape == [input, output, 4, 4], "decoder.conv_transpose\(layer)")
        }

        let images = Tensor(uniform: [2, 1, side, side], low: -0.5, high: 0.5, generator: &generator)
        let output = model(images)
        #expect(output.gridShape == [grid, grid])
        #expect(output.quantization.indices.count == 2 * grid * grid)
        #expect(output.reconstruction.shape == images.shape)
        let codes = model.encode(images)
        #expect(codes.count == 2 * grid * grid && codes == output.quantization.indices)
        #expect(model.decode(codes, batch: 2, gridShape: [grid, grid]).shape == images.shape)
    }

    @Test func unusableFactorsAndSidesAreRefused() {
        #expect(Self.small(downsampling: 3).problems == "the downsampling factor must be a power of two from 2 to 256, not 3")
        #expect(Self.small(downsampling: 512).problems != nil)
        #expect(Self.small(downsampling: 64).problems == nil)
        #expect(Self.small(downsampling: 8).gridShape(forInput: [28, 28]) == nil)
        #expect(Self.small(spatialRank: 1, downsampling: 4).gridShape(forInput: [30]) == nil)
        #expect(Self.small(spatialRank: 1, downsampling: 4).gridShape(forInput: [28, 28]) == nil)
    }

    /// Spatial rank 1: (N, C, T) in, T/F codes per item, (N, C, T) out; weights have one spatial axis.
    @Test(arguments: [2, 4, 8])
    func sequencesGiveTOverFCodes(factor: Int) {
        let configuration = Self.small(spatialRank: 1, downsampling: factor)
        var generator = RandomGenerator(seed: 21)
        let model = VQVAE(configuration, generator: &generator)
        #expect(model.namedTensors["encoder.conv1.weight"]?.shape == [factor == 2 ? 8 : 4, 1, 4])
        #expect(model.namedTensors["encoder.conv\(factor.trailingZeroBitCount + 1).weight"]?.shape == [8, 8, 3])
        #expect(model.namedTensors["decoder.conv.weight"]?.shape == [8, 4, 3])
        let signals = Tensor(uniform: [3, 1, 32], low: -0.5, high: 0.5, generator: &generator)
        let output = model(signals)
        #expect(output.gridShape == [32 / factor])
        #expect(output.reconstruction.shape == [3, 1, 32])
        let codes = model.encode(signals)
        #expect(codes.count == 3 * 32 / factor && codes == output.quantization.indices)
        let decoded = model.decode(codes, batch: 3, gridShape: [32 / factor])
        #expect(decoded.shape == [3, 1, 32])
        // Decoding the codes is the reconstruction (up to the straight-through sum's last bits).
        expectClose(decoded, output.reconstruction, absolute: 1e-5, relative: 1e-4, "decode(encode) vs forward")
    }

    /// The speech shape of the autoencoder: sequences downsampled 64 times (6 strided layers), residual
    /// stacks dilated 1, 3, 9 (dilation growth 3, padding = dilation keeps the length), and a decoder
    /// conditioned on one of 3 speakers: tables named per block, zero at first (so every speaker decodes
    /// alike), and once a table row differs, the same codes decode differently per speaker.
    @Test func dilatedConditionedSequenceModel() {
        var configuration = Self.small(spatialRank: 1, downsampling: 64)
        configuration.residualBlocks = 3
        configuration.dilationGrowth = 3
        configuration.conditionClasses = 3
        #expect(configuration.problems == nil)
        var generator = RandomGenerator(seed: 8)
        var model = VQVAE(configuration, generator: &generator)
        let names = model.parameterNames
        #expect(names.filter { $0.hasPrefix("encoder.conv") && $0.hasSuffix(".weight") }.count == 7)   // 6 strided + 1
        #expect(names.filter { $0.hasPrefix("decoder.conv_transpose") && $0.hasSuffix(".weight") }.count == 6)
        #expect(names.contains("decoder.residual.2.condition.table") && names.contains("decoder.condition6.table"))
        #expect(!names.contains { $0.hasPrefix("encoder") && $0.contains("condition") })
        #expect(model.namedTensors["decoder.condition1.table"]?.shape == [3, 8])
        #expect(model.namedTensors["decoder.condition2.table"]?.shape == [3, 4])
        #expect(model.encoder.residualStack.blocks.map(\.convolution3x3.dilation) == [1, 3, 9])
        let signals = Tensor(uniform: [2, 1, 128], low: -0.5, high: 0.5, generator: &generator)
        let output = model(signals, condition: [0, 2])
        #expect(output.gridShape == [2] && output.reconstruction.shape == [2, 1, 128])
        let codes = model.encode(signals)
        let asZero = model.decode(codes, batch: 2, gridShape: [2], condition: [0, 0])
        #expect(model.decode(codes, batch: 2, gridShape: [2], condition: [1, 1]).scalars == asZero.scalars)
        var tables = model.namedTensors
        tables["decoder.condition3.table"] = Tensor(shape: [3, 4], scalars: [0, 0, 0, 0, 0, 0, 0, 0, 1, -1, 1, -1])
        try! model.loadNamedTensors(tables)
        let speaker2 = model.decode(codes, batch: 2, gridShape: [2], condition: [2, 2])
        #expect(model.decode(codes, batch: 2, gridShape: [2], condition: [1, 1]).scalars == asZero.scalars)
        #expect(speaker2.scalars != asZero.scalars)
        // The configuration survives a checkpoint, and so do the tables.
        let loaded = try! VQVAE(checkpoint: model.checkpoint(), path: "m")
        #expect(loaded.configuration == configuration)
        #expect(loaded.decode(codes, batch: 2, gridShape: [2], condition: [2, 2]).scalars == speaker2.scalars)
    }
}
