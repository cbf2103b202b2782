/// The settings of a 2-D convolution besides its tensors (PyTorch's `conv2d` arguments).
public struct Conv2dParameters: Hashable, Sendable {
    public var stride: HeightWidth
    public var padding: HeightWidth
    public var dilation: HeightWidth
    public var groups: Int

    public init(stride: HeightWidth = 1, padding: HeightWidth = 0, dilation: HeightWidth = 1, groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }
}

/// 2-D convolution (PyTorch's `conv2d`), with an optional fixed mask on the weight.
extension Tensor {
    /// Convolves `self` (N, C, H, W) with `weight` (F, C/groups, kh, kw), adds `bias` (F): → (N, F, Ho, Wo),
    /// Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1, likewise Wo.
    ///
    /// `mask` (F, C/groups, kh, kw), if given, is multiplied into the weight (PixelCNN's masked
    /// convolutions): masked taps have no effect and get a zero weight gradient; the mask gets no gradient.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: HeightWidth = 1, padding: HeightWidth = 0,
                       dilation: HeightWidth = 1, groups: Int = 1, mask: Tensor? = nil) -> Tensor {
        conv2d(weight: weight, bias: bias,
               parameters: Conv2dParameters(stride: stride, padding: padding, dilation: dilation, groups: groups), mask: mask)
    }

    /// `conv2d(weight:bias:stride:padding:dilation:groups:mask:)` with the settings in one value.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, parameters: Conv2dParameters, mask: Tensor? = nil) -> Tensor {
        let geometry = checkShapes {
            try Tensor.conv2dShapes(input: shape, weight: weight.shape, bias: bias?.shape, mask: mask?.shape, parameters: parameters)
        }
        return convolution(weight: weight, bias: bias, mask: mask, geometry: geometry, outputShape: geometry.outputShape)
    }

    /// The convolution of `self` by `weight` in `geometry` (the tensors' own shapes may drop the
    /// height 1 of a 1-D convolution), recorded with its VJP; the output gets `outputShape`.
    func convolution(weight: Tensor, bias: Tensor?, mask: Tensor?, geometry: ConvolutionGeometry, outputShape: [Int]) -> Tensor {
        let maskedWeight = mask.map { weight.multipliedWithoutRecording(by: $0) } ?? weight
        let output = Convolution.forward(input: self, weight: maskedWeight, bias: bias, geometry: geometry)
        let wantsInput = isTracked, wantsWeight = weight.isTracked
        return Tensor.recorded(output.sharingStorage(shape: outputShape), inputs: [self, weight] + (bias.map { [$0] } ?? [])) {
            [self] gradient in
            // dInput = col2im(Wᵀ · dOut), dWeight = Σₙ dOut · im2col(input)ᵀ (masked), dBias = Σ dOut per channel
            let inputGradient = wantsInput
                ? Convolution.inputGradient(outputGradient: gradient, weight: maskedWeight, geometry: geometry) : nil
            var weightGradient = wantsWeight
                ? Convolution.weightGradient(input: self, outputGradient: gradient, geometry: geometry) : nil
            if let mask { weightGradient = weightGradient?.multipliedWithoutRecording(by: mask) }
            return [inputGradient?.sharingStorage(shape: shape), weightGradient?.sharingStorage(shape: weight.shape),
                    bias.map { _ in Convolution.channelSums(gradient) }]
        }
    }

    /// Validates a 2-D convolution's shapes and returns its geometry; throws a `ShapeError` naming
    /// `conv2d` and the shapes otherwise. input (N, C, H, W), weight (F, C/groups, kh, kw), bias (F),
    /// mask of the weight's shape.
    public static func conv2dShapes(input: [Int], weight: [Int], bias: [Int]? = nil, mask: [Int]? = nil,
                                    parameters: Conv2dParameters = Conv2dParameters()) throws(ShapeError) -> ConvolutionGeometry {
        let shapes = [input, weight] + [bias, mask].compactMap { $0 }
        guard input.count == 4 else { throw ShapeError("conv2d", shapes, "the input must be (N, C, H, W)") }
        guard weight.count == 4 else { throw ShapeError("conv2d", shapes, "the weight must be (F, C/groups, kh, kw)") }
        if let mask, mask != weight { throw ShapeError("conv2d", shapes, "the mask must have the weight's shape") }
        return try convolutionGeometry(ConvolutionShapes(operation: "conv2d", shapes: shapes), input: input, weight: weight,
                                       bias: bias, parameters: parameters)
    }

    /// The shared checks of conv2d and conv1d (whose shapes arrive with a height of 1 inserted).
    static func convolutionGeometry(_ context: ConvolutionShapes, input: [Int], weight: [Int], bias: [Int]?,
                                    parameters p: Conv2dParameters) throws(ShapeError) -> ConvolutionGeometry {
        try context.check(stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups)
        let (channels, filters, channelsPerGroup) = (input[1], weight[0], weight[1])
        guard weight[2] >= 1, weight[3] >= 1 else { throw context.error("the kernel is empty") }
        guard filters % p.groups == 0 else {
            throw context.error("\(filters) output channels do not split into \(p.groups) groups")
        }
        guard channels == channelsPerGroup * p.groups else {
            throw context.error("the input has \(channels) channels but the weight expects \(channelsPerGroup) × \(p.groups) groups")
        }
        if let bias, bias != [filters] { throw context.error("the bias must hold one value per output channel (\(filters))") }
        let outputHeight = try context.convolvedSize(input[2], kernel: weight[2], stride: p.stride.height,
                                                     padding: p.padding.height, dilation: p.dilation.height, axis: 0)
        let outputWidth = try context.convolvedSize(input[3], kernel: weight[3], stride: p.stride.width,
                                                    padding: p.padding.width, dilation: p.dilation.width, axis: 1)
        return ConvolutionGeometry(batch: input[0], inputChannels: channels, inputHeight: input[2], inputWidth: input[3],
                                   outputChannels: filters, outputHeight: outputHeight, outputWidth: outputWidth,
                                   kernelHeight: weight[2], kernelWidth: weight[3],
                                   stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups)
    }

    /// The same elements under another shape of the same count, sharing storage, not recorded.
    func sharingStorage(shape newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor: cannot view \(shape) as \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// Elementwise product with a tensor of the same shape, not recorded.
    func multipliedWithoutRecording(by other: Tensor) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let a = storage.pointer, b = other.storage.pointer, c = result.storage.pointer
        for index in 0..<count { c[index] = a[index] * b[index] }
        return result
    }
}

/// Builds the `ShapeError`s of the convolution validators: the operation, the shapes as the caller
/// gave them, and the names of the spatial axes ("height", "width"; "length" in 1-D).
struct ConvolutionShapes {
    let operation: String
    let shapes: [[Int]]
    var axisNames = ["height", "width"]

    func error(_ reason: String) -> ShapeError { ShapeError(operation, shapes, reason) }

    func check(stride: HeightWidth, padding: HeightWidth, dilation: HeightWidth, groups: Int) throws(ShapeError) {
        guard stride.height >= 1, stride.width >= 1 else { throw error("the stride \(stride) must be positive") }
        guard dilation.height >= 1, dilation.width >= 1 else { throw error("the dilation \(dilation) must be positive") }
        guard padding.height >= 0, padding.width >= 0 else { throw error("the padding \(padding) must not be negative") }
        guard groups >= 1 else { throw error("groups (\(groups)) must be positive") }
    }

    /// The output size along one axis, or an error if the dilated kernel exceeds the padded input.
    func convolvedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, axis: Int) throws(ShapeError) -> Int {
        let span = dilation * (kernel - 1) + 1
        guard span <= size + 2 * padding else {
            throw error("the kernel spans \(span) along the \(axisNames[axis]) (with dilation) "
                        + "but the padded input has only \(size + 2 * padding)")
        }
        return ConvolutionGeometry.convolvedSize(size, kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    }
}
