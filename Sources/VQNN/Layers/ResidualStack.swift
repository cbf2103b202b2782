import VQEngine

/// A residual block of the VQ-VAE paper: x + conv1x1(relu(conv3x3(relu(x)))), both without bias.
/// (N, hidden, H, W) → (N, hidden, H, W) for images; (N, hidden, T) → (N, hidden, T) with spatial
/// rank 1 (kernels 3 and 1).
public struct ResidualBlock: Layer {
    public var convolution3x3: ConvNd
    public var convolution1x1: ConvNd

    public init(hiddenChannels: Int, residualChannels: Int, spatialRank: Int = 2, generator: inout RandomGenerator) {
        convolution3x3 = ConvNd(spatialRank: spatialRank, inputChannels: hiddenChannels, outputChannels: residualChannels,
                                     kernelSize: 3, padding: 1, bias: false, generator: &generator)
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

/// Residual blocks one after another, then a ReLU (the paper's and Sonnet's residual stack).
public struct ResidualStack: Layer {
    public var blocks: [ResidualBlock]

    public init(hiddenChannels: Int, residualChannels: Int, count: Int, spatialRank: Int = 2, generator: inout RandomGenerator) {
        blocks = (0..<count).map { _ in
            ResidualBlock(hiddenChannels: hiddenChannels, residualChannels: residualChannels, spatialRank: spatialRank,
                          generator: &generator)
        }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        blocks.reduce(input) { $1($0) }.relu()
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        for index in blocks.indices { visit(&blocks[index], named: "\(index)", body) }
    }
}
