import VQEngine

/// A residual block of the VQ-VAE paper: x + conv1x1(relu(conv3x3(relu(x)))), both without bias.
/// (N, hidden, H, W) → (N, hidden, H, W) for images; (N, hidden, T) → (N, hidden, T) with spatial
/// rank 1 (kernels 3 and 1). The kernel-3 convolution may be dilated (padding = dilation keeps the
/// size), as in the dilated residual stacks of audio models (WaveNet, SoundStream: 1, 3, 9).
public struct ResidualBlock: Layer {
    public var convolution3x3: ConvNd
    public var convolution1x1: ConvNd

    public init(hiddenChannels: Int, residualChannels: Int, spatialRank: Int = 2, dilation: Int = 1,
                generator: inout RandomGenerator) {
        convolution3x3 = ConvNd(spatialRank: spatialRank, inputChannels: hiddenChannels, outputChannels: residualChannels,
                                kernelSize: 3, padding: dilation, dilation: dilation, bias: false, generator: &generator)
        convolution1x1 = ConvNd(spatialRank: spatialRank, inputChannels: residualChannels, outputChannels: hiddenChannels,
                                     kernelSize: 1, bias: false, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input + convolution1x1(convolution3x3(input.relu()).relu())
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&convolution3x3, named: "conv3x3", body)
        visit(&convolution1x1, named: "conv1x1", body)
    }
}

/// Residual blocks one after another, then a ReLU (the paper's and Sonnet's residual stack). Block i
/// is dilated by dilationGrowth^i (1: no dilation, the paper's; 3: 1, 3, 9, … for audio). With
/// `conditions` (one table per block), each block's input first gets its label's row added
/// (`ConditionEmbedding`): a decoder conditioned on a speaker or class.
public struct ResidualStack: Layer {
    public var blocks: [ResidualBlock]
    /// Per-block condition tables, (classes, hidden) each; empty when unconditional.
    public var conditions: [ConditionEmbedding]

    public init(hiddenChannels: Int, residualChannels: Int, count: Int, spatialRank: Int = 2, dilationGrowth: Int = 1,
                conditionClasses: Int = 0, generator: inout RandomGenerator) {
        var dilation = 1
        blocks = (0..<count).map { _ in
            defer { dilation *= dilationGrowth }
            return ResidualBlock(hiddenChannels: hiddenChannels, residualChannels: residualChannels, spatialRank: spatialRank,
                                 dilation: dilation, generator: &generator)
        }
        conditions = conditionClasses > 0
            ? (0..<count).map { _ in ConditionEmbedding(classes: conditionClasses, channels: hiddenChannels) } : []
    }

    public func callAsFunction(_ input: Tensor, condition labels: [Int32]? = nil) -> Tensor {
        var hidden = input
        for (index, block) in blocks.enumerated() {
            if !conditions.isEmpty { hidden = conditions[index](hidden, labels: labels) }
            hidden = block(hidden)
        }
        return hidden.relu()
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        for index in blocks.indices { visit(&blocks[index], named: "\(index)", body) }
        for index in conditions.indices { visit(&conditions[index], named: "\(index).condition", body) }
    }
}
