import VQEngine

/// A convolution over one or two spatial axes with the same kernel size, stride and padding on each:
/// `torch.nn.Conv1d` when `spatialRank` is 1 (input (N, inputChannels, T), weight (outputChannels,
/// inputChannels, k)), `torch.nn.Conv2d` when it is 2 (input (N, inputChannels, H, W), weight
/// (outputChannels, inputChannels, k, k)); bias (outputChannels). Lets one network definition serve
/// images and sequences.
public struct ConvNd: Layer {
    public var weight: Tensor
    public var bias: Tensor?
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    /// 1 for sequences, 2 for images.
    public var spatialRank: Int { weight.rank - 2 }

    /// PyTorch's default initialisation: weight and bias U(−1/√fanIn, 1/√fanIn), fanIn = inputChannels · k^rank
    /// (the same draws as `Conv2d` for rank 2).
    public init(spatialRank: Int, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, bias: Bool = true, generator: inout RandomGenerator) {
        precondition(spatialRank == 1 || spatialRank == 2, "ConvNd: spatial rank \(spatialRank) is not 1 or 2")
        let kernel = [Int](repeating: kernelSize, count: spatialRank)
        let bound = 1 / Float(inputChannels * kernel.reduce(1, *)).squareRoot()
        weight = Tensor(uniform: [outputChannels, inputChannels] + kernel, low: -bound, high: bound, generator: &generator)
        self.bias = bias ? Tensor(uniform: [outputChannels], low: -bound, high: bound, generator: &generator) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        spatialRank == 1
            ? input.conv1d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
            : input.conv2d(weight: weight, bias: bias, stride: HeightWidth(stride), padding: HeightWidth(padding),
                           dilation: HeightWidth(dilation))
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}

/// A transposed convolution over one or two spatial axes: `torch.nn.ConvTranspose1d` when
/// `spatialRank` is 1 (weight (inputChannels, outputChannels, k)), `ConvTranspose2d` when 2 (weight
/// (inputChannels, outputChannels, k, k)); bias (outputChannels).
public struct ConvTransposeNd: Layer {
    public var weight: Tensor
    public var bias: Tensor?
    public let stride: Int
    public let padding: Int
    public var spatialRank: Int { weight.rank - 2 }

    /// PyTorch's default initialisation: U(−1/√fanIn, 1/√fanIn) with fanIn = outputChannels · k^rank
    /// (PyTorch takes it from the weight's second dimension; the same draws as `ConvTranspose2d`).
    public init(spatialRank: Int, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true, generator: inout RandomGenerator) {
        precondition(spatialRank == 1 || spatialRank == 2, "ConvTransposeNd: spatial rank \(spatialRank) is not 1 or 2")
        let kernel = [Int](repeating: kernelSize, count: spatialRank)
        let bound = 1 / Float(outputChannels * kernel.reduce(1, *)).squareRoot()
        weight = Tensor(uniform: [inputChannels, outputChannels] + kernel, low: -bound, high: bound, generator: &generator)
        self.bias = bias ? Tensor(uniform: [outputChannels], low: -bound, high: bound, generator: &generator) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        spatialRank == 1
            ? input.convTranspose1d(weight: weight, bias: bias, stride: stride, padding: padding)
            : input.convTranspose2d(weight: weight, bias: bias, stride: HeightWidth(stride), padding: HeightWidth(padding))
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}
