import VQEngine

/// A residual block of the VQ-VAE paper: x + conv1x1(relu(conv3x3(relu(x)))), both without bias.
/// (N, hidden, H, W) → (N, hidden, H, W).
public struct ResidualBlock: Layer {
    public var convolution3x3: Conv2d
    public var convolution1x1: Conv2d

    public init(hiddenChannels: Int, residualChannels: Int, generator: inout RandomGenerator) {
        convolution3x3 = Conv2d(inputChannels: hiddenChannels, outputChannels: residualChannels, kernelSize: 3,
                                padding: 1, bias: false, generator: &generator)
        convolution1x1 = Conv2d(inputChannels: residualChannels, outputChannels: hiddenChannels, kernelSize: 1,
                                bias: false, generator: &generator)
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

    public init(hiddenChannels: Int, residualChannels: Int, count: Int, generator: inout RandomGenerator) {
        blocks = (0..<count).map { _ in
            ResidualBlock(hiddenChannels: hiddenChannels, residualChannels: residualChannels, generator: &generator)
        }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        blocks.reduce(input) { $1($0) }.relu()
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        for index in blocks.indices { visit(&blocks[index], named: "\(index)", body) }
    }
}
