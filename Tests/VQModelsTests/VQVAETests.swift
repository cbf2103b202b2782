import Testing
import VQEngine
import VQModels
import VQNN

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
}
