/// The settings of a 2-D transposed convolution besides its tensors (PyTorch's `conv_transpose2d` arguments).
public struct ConvTranspose2dParameters: Hashable, Sendable {
    public var stride: HeightWidth
    public var padding: HeightWidth
    /// Extra rows and columns added at the bottom and right of the output, to pick among the input
    /// sizes a strided convolution maps to the same size. Smaller than the stride or the dilation.
    public var outputPadding: HeightWidth
    public var dilation: HeightWidth
    public var groups: Int

    public init(stride: HeightWidth = 1, padding: HeightWidth = 0, outputPadding: HeightWidth = 0,
                dilation: HeightWidth = 1, groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
    }
}

/// 2-D transposed convolution (PyTorch's `conv_transpose2d`): the adjoint of `conv2d` with the same
/// settings, used to upsample.
extension Tensor {
    /// Spreads `self` (N, Cin, H, W) through `weight` (Cin, Cout/groups, kh, kw), adds `bias` (Cout):
    /// → (N, Cout, Ho, Wo), Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1,
    /// likewise Wo.
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: HeightWidth = 1, padding: HeightWidth = 0,
                                outputPadding: HeightWidth = 0, dilation: HeightWidth = 1, groups: Int = 1) -> Tensor {
        convTranspose2d(weight: weight, bias: bias,
                        parameters: ConvTranspose2dParameters(stride: stride, padding: padding, outputPadding: outputPadding,
                                                              dilation: dilation, groups: groups))
    }

    /// `convTranspose2d(weight:bias:stride:padding:outputPadding:dilation:groups:)` with the settings in one value.
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, parameters: ConvTranspose2dParameters) -> Tensor {
        let geometry = checkShapes {
            try Tensor.convTranspose2dShapes(input: shape, weight: weight.shape, bias: bias?.shape, parameters: parameters)
        }
        return transposedConvolution(weight: weight, bias: bias, geometry: geometry, outputShape: geometry.inputShape)
    }

    /// The transposed convolution of `self` by `weight` in `geometry` (whose output is `self`: see
    /// `ConvolutionGeometry`), recorded with its VJP; the result gets `outputShape`.
    func transposedConvolution(weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, outputShape: [Int]) -> Tensor {
        let output = Convolution.transposedForward(input: self, weight: weight, bias: bias, geometry: geometry)
        let wantsInput = isTracked, wantsWeight = weight.isTracked
        return Tensor.recorded(output.sharingStorage(shape: outputShape), inputs: [self, weight] + (bias.map { [$0] } ?? [])) {
            [self] gradient in
            // dInput = conv2d(dOut, W), dWeight = Σₙ input · im2col(dOut)ᵀ (one im2col for both), dBias = Σ dOut per channel
            let gradients = Convolution.transposedGradients(input: self, outputGradient: gradient, weight: weight,
                                                            geometry: geometry, wantsInput: wantsInput, wantsWeight: wantsWeight)
            return [gradients.input?.sharingStorage(shape: shape), gradients.weight?.sharingStorage(shape: weight.shape),
                    bias.map { _ in Convolution.channelSums(gradient) }]
        }
    }

    /// Validates a 2-D transposed convolution's shapes and returns its geometry (in the terms of the
    /// convolution it transposes); throws a `ShapeError` naming `convTranspose2d` and the shapes
    /// otherwise. input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw), bias (Cout).
    public static func convTranspose2dShapes(input: [Int], weight: [Int], bias: [Int]? = nil,
                                             parameters: ConvTranspose2dParameters = ConvTranspose2dParameters())
        throws(ShapeError) -> ConvolutionGeometry {
        let shapes = [input, weight] + [bias].compactMap { $0 }
        guard input.count == 4 else { throw ShapeError("convTranspose2d", shapes, "the input must be (N, Cin, H, W)") }
        guard weight.count == 4 else {
            throw ShapeError("convTranspose2d", shapes, "the weight must be (Cin, Cout/groups, kh, kw)")
        }
        return try transposedConvolutionGeometry(ConvolutionShapes(operation: "convTranspose2d", shapes: shapes),
                                                 input: input, weight: weight, bias: bias, parameters: parameters)
    }

    /// The shared checks of convTranspose2d and convTranspose1d (whose shapes arrive with a height of 1 inserted).
    static func transposedConvolutionGeometry(_ context: ConvolutionShapes, input: [Int], weight: [Int], bias: [Int]?,
                                              parameters p: ConvTranspose2dParameters) throws(ShapeError) -> ConvolutionGeometry {
        try context.check(stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups)
        let (channels, outputChannels) = (input[1], weight[1] * p.groups)
        guard weight[2] >= 1, weight[3] >= 1 else { throw context.error("the kernel is empty") }
        guard weight[0] == channels else {
            throw context.error("the input has \(channels) channels but the weight expects \(weight[0])")
        }
        guard channels % p.groups == 0 else { throw context.error("\(channels) input channels do not split into \(p.groups) groups") }
        if let bias, bias != [outputChannels] {
            throw context.error("the bias must hold one value per output channel (\(outputChannels))")
        }
        let outputHeight = try context.transposedSize(input[2], kernel: weight[2], stride: p.stride.height, padding: p.padding.height,
                                                      dilation: p.dilation.height, outputPadding: p.outputPadding.height, axis: 0)
        let outputWidth = try context.transposedSize(input[3], kernel: weight[3], stride: p.stride.width, padding: p.padding.width,
                                                     dilation: p.dilation.width, outputPadding: p.outputPadding.width, axis: 1)
        return ConvolutionGeometry(batch: input[0], inputChannels: outputChannels, inputHeight: outputHeight, inputWidth: outputWidth,
                                   outputChannels: channels, outputHeight: input[2], outputWidth: input[3],
                                   kernelHeight: weight[2], kernelWidth: weight[3],
                                   stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups)
    }
}

extension ConvolutionShapes {
    /// The output size of a transposed convolution along one axis, or an error if the output padding
    /// is not smaller than the stride or the dilation, or the output would be empty.
    func transposedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, outputPadding: Int,
                        axis: Int) throws(ShapeError) -> Int {
        guard outputPadding >= 0, outputPadding < stride || outputPadding < dilation else {
            throw error("the output padding \(outputPadding) along the \(axisNames[axis]) must be smaller than "
                        + "the stride \(stride) or the dilation \(dilation)")
        }
        let result = ConvolutionGeometry.transposedSize(size, kernel: kernel, stride: stride, padding: padding,
                                                        dilation: dilation, outputPadding: outputPadding)
        guard result >= 1 else { throw error("the output would have \(result) positions along the \(axisNames[axis])") }
        return result
    }
}
