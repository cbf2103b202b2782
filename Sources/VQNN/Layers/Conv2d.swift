import VQEngine

/// A 2-D convolution layer, as `torch.nn.Conv2d`: input (N, inputChannels, H, W) →
/// (N, outputChannels, Ho, Wo); weight (outputChannels, inputChannels/groups, kh, kw), bias (outputChannels).
public struct Conv2d: Layer {
    public var weight: Tensor
    public var bias: Tensor?
    public var parameters: Conv2dParameters

    /// PyTorch's default initialisation: weight and bias U(−1/√fanIn, 1/√fanIn),
    /// fanIn = inputChannels/groups · kh · kw (`kaiming_uniform_(a=√5)`).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: HeightWidth, stride: HeightWidth = 1,
                padding: HeightWidth = 0, dilation: HeightWidth = 1, groups: Int = 1, bias: Bool = true,
                generator: inout RandomGenerator) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                     "Conv2d: channels \(inputChannels) → \(outputChannels) are not divisible by groups \(groups)")
        let fanIn = inputChannels / groups * kernelSize.height * kernelSize.width
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Tensor(uniform: [outputChannels, inputChannels / groups, kernelSize.height, kernelSize.width],
                        low: -bound, high: bound, generator: &generator)
        self.bias = bias ? Tensor(uniform: [outputChannels], low: -bound, high: bound, generator: &generator) : nil
        parameters = Conv2dParameters(stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.conv2d(weight: weight, bias: bias, parameters: parameters)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}

/// A transposed 2-D convolution layer, as `torch.nn.ConvTranspose2d`: input (N, inputChannels, H, W)
/// → (N, outputChannels, Ho, Wo); weight (inputChannels, outputChannels/groups, kh, kw).
public struct ConvTranspose2d: Layer {
    public var weight: Tensor
    public var bias: Tensor?
    public var parameters: ConvTranspose2dParameters

    /// PyTorch's default initialisation: U(−1/√fanIn, 1/√fanIn) where PyTorch computes fanIn from the
    /// weight's second dimension: outputChannels/groups · kh · kw.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: HeightWidth, stride: HeightWidth = 1,
                padding: HeightWidth = 0, outputPadding: HeightWidth = 0, groups: Int = 1, bias: Bool = true,
                generator: inout RandomGenerator) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0,
                     "ConvTranspose2d: channels \(inputChannels) → \(outputChannels) are not divisible by groups \(groups)")
        let fanIn = outputChannels / groups * kernelSize.height * kernelSize.width
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Tensor(uniform: [inputChannels, outputChannels / groups, kernelSize.height, kernelSize.width],
                        low: -bound, high: bound, generator: &generator)
        self.bias = bias ? Tensor(uniform: [outputChannels], low: -bound, high: bound, generator: &generator) : nil
        parameters = ConvTranspose2dParameters(stride: stride, padding: padding, outputPadding: outputPadding, groups: groups)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.convTranspose2d(weight: weight, bias: bias, parameters: parameters)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}
