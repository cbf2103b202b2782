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
    /// The kernel rows and columns the mask keeps when it keeps exactly that box for every pair of
    /// channels and the box is smaller than the kernel (a PixelCNN's masks: the top rows of the
    /// vertical stack's kernel, the left columns of the horizontal one's); nil otherwise.
    public let keptBox: (rows: Range<Int>, columns: Range<Int>)?

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
        keptBox = MaskedConv2d.box(keptBy: mask)
    }

    /// The masked convolution. When the mask keeps a box (`keptBox`), only the box's taps are
    /// computed: the cropped weight convolved with the same padding gives the full kernel's outputs
    /// shifted by the box's first row and column, and those are cut out. The masked taps were zero
    /// terms of each sum, so the result is the same up to rounding (and a third fewer multiply-adds
    /// for a PixelCNN's 3 × 3 vertical masks); their weights still get zero gradient.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard let box = keptBox, parameters.stride == 1, parameters.dilation == 1, parameters.groups == 1, input.rank == 4 else {
            return input.conv2d(weight: weight, bias: bias, parameters: parameters, mask: mask)
        }
        let cropped = weight.sliced(lowerBounds: [0, 0, box.rows.lowerBound, box.columns.lowerBound],
                                    upperBounds: [weight.shape[0], weight.shape[1], box.rows.upperBound, box.columns.upperBound])
        let output = input.conv2d(weight: cropped, bias: bias, parameters: parameters)
        let height = input.shape[2] + 2 * parameters.padding.height - weight.shape[2] + 1
        let width = input.shape[3] + 2 * parameters.padding.width - weight.shape[3] + 1
        let (top, left) = (box.rows.lowerBound, box.columns.lowerBound)
        guard top != 0 || left != 0 || output.shape[2] != height || output.shape[3] != width else { return output }
        return output.sliced(lowerBounds: [0, 0, top, left], upperBounds: [output.shape[0], output.shape[1], top + height, left + width])
    }

    /// The rows and columns a 0/1 mask (O, I, kh, kw) keeps, if it keeps exactly that box in every
    /// (output, input) channel pair and the box is smaller than the kernel; nil otherwise.
    static func box(keptBy mask: Tensor) -> (rows: Range<Int>, columns: Range<Int>)? {
        guard mask.rank == 4 else { return nil }
        let (kh, kw) = (mask.shape[2], mask.shape[3])
        let plane = Array(mask.scalars.prefix(kh * kw))
        let kept = plane.indices.filter { plane[$0] != 0 }
        guard let first = kept.first, let last = kept.last else { return nil }
        let rows = (first / kw)..<(last / kw + 1)
        let columns = (kept.map { $0 % kw }.min()!)..<(kept.map { $0 % kw }.max()! + 1)
        let isBox = plane.indices.allSatisfy { (plane[$0] == 1) == (rows.contains($0 / kw) && columns.contains($0 % kw)) }
        let everyPairAlike = stride(from: 0, to: mask.count, by: kh * kw).allSatisfy { Array(mask.scalars[$0..<($0 + kh * kw)]) == plane }
        guard isBox, everyPairAlike, rows.count * columns.count < kh * kw else { return nil }
        return (rows, columns)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        if bias != nil { body("bias", &bias!) }
    }
}
