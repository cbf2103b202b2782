import VQEngine

/// A 2-D convolution whose weight is multiplied by a fixed 0/1 mask (PixelCNN's masked convolutions):
/// input (N, inputChannels, H, W) → (N, outputChannels, Ho, Wo); weight and mask (outputChannels,
/// inputChannels, kh, kw), bias (outputChannels). Masked taps never see the input and their weights
/// get zero gradient; the mask is not a learnable parameter and is not stored in checkpoints.
public struct MaskedConv2d: Layer {
    public var weight: Tensor
    public var bias: Tensor?
    public let mask: Tensor
    public var parameters: Conv2dParameters

    /// PyTorch's default initialisation (as `Conv2d`), with fanIn counting only the taps the mask
    /// keeps: U(−1/√fanIn, 1/√fanIn).
    public init(inputChannels: Int, outputChannels: Int, mask: Tensor, padding: HeightWidth = 0, bias: Bool = true,
                generator: inout RandomGenerator) {
        precondition(mask.rank == 4 && mask.shape[0] == outputChannels && mask.shape[1] == inputChannels,
                     "MaskedConv2d: mask shape \(mask.shape) is not (\(outputChannels), \(inputChannels), kh, kw)")
        let kept = mask.scalars.reduce(0, +) / Float(outputChannels)
        let bound = 1 / Swift.max(kept, 1).squareRoot()
        weight = Tensor(uniform: mask.shape, low: -bound, high: bound, generator: &generator)
        self.bias = bias ? Tensor(uniform: [outputChannels], low: -bound, high: bound, generator: &generator) : nil
        self.mask = mask
        parameters = Conv2dParameters(padding: padding)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.conv2d(weight: weight, bias: bias, parameters: parameters, mask: mask)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}
