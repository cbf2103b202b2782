/// 1-D convolution and transposed convolution (PyTorch's `conv1d`, `conv_transpose1d`): the 2-D ops
/// on images of height 1. The tensors keep their storage; only the geometry gains the height.
extension Tensor {
    /// Convolves `self` (N, C, L) with `weight` (F, C/groups, k), adds `bias` (F): → (N, F, Lo),
    /// Lo = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
    public func conv1d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                       groups: Int = 1) -> Tensor {
        let geometry = checkShapes {
            try Tensor.conv1dShapes(input: shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding,
                                    dilation: dilation, groups: groups)
        }
        return convolution(weight: weight, bias: bias, mask: nil, geometry: geometry,
                           outputShape: [geometry.batch, geometry.outputChannels, geometry.outputWidth])
    }

    /// Spreads `self` (N, Cin, L) through `weight` (Cin, Cout/groups, k), adds `bias` (Cout): → (N, Cout, Lo),
    /// Lo = (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
    public func convTranspose1d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                                dilation: Int = 1, groups: Int = 1) -> Tensor {
        let geometry = checkShapes {
            try Tensor.convTranspose1dShapes(input: shape, weight: weight.shape, bias: bias?.shape, stride: stride,
                                             padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups)
        }
        return transposedConvolution(weight: weight, bias: bias, geometry: geometry,
                                     outputShape: [geometry.batch, geometry.inputChannels, geometry.inputWidth])
    }

    /// Validates a 1-D convolution's shapes, input (N, C, L), weight (F, C/groups, k), bias (F), and
    /// returns its geometry (height 1); throws a `ShapeError` naming `conv1d` and the shapes otherwise.
    public static func conv1dShapes(input: [Int], weight: [Int], bias: [Int]? = nil, stride: Int = 1, padding: Int = 0,
                                    dilation: Int = 1, groups: Int = 1) throws(ShapeError) -> ConvolutionGeometry {
        let context = ConvolutionShapes(operation: "conv1d", shapes: [input, weight] + [bias].compactMap { $0 },
                                        axisNames: ["height", "length"])
        guard input.count == 3 else { throw context.error("the input must be (N, C, L)") }
        guard weight.count == 3 else { throw context.error("the weight must be (F, C/groups, k)") }
        try context.check(stride: HeightWidth(stride), padding: HeightWidth(padding), dilation: HeightWidth(dilation),
                          groups: groups)  // in 1-D terms, before the height is added
        let parameters = Conv2dParameters(stride: HeightWidth(1, stride), padding: HeightWidth(0, padding),
                                          dilation: HeightWidth(1, dilation), groups: groups)
        return try convolutionGeometry(context, input: withHeightOne(input), weight: withHeightOne(weight), bias: bias,
                                       parameters: parameters)
    }

    /// Validates a 1-D transposed convolution's shapes, input (N, Cin, L), weight (Cin, Cout/groups, k),
    /// bias (Cout), and returns its geometry (height 1, in the terms of the convolution it transposes);
    /// throws a `ShapeError` naming `convTranspose1d` and the shapes otherwise.
    public static func convTranspose1dShapes(input: [Int], weight: [Int], bias: [Int]? = nil, stride: Int = 1,
                                             padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1,
                                             groups: Int = 1) throws(ShapeError) -> ConvolutionGeometry {
        let context = ConvolutionShapes(operation: "convTranspose1d", shapes: [input, weight] + [bias].compactMap { $0 },
                                        axisNames: ["height", "length"])
        guard input.count == 3 else { throw context.error("the input must be (N, Cin, L)") }
        guard weight.count == 3 else { throw context.error("the weight must be (Cin, Cout/groups, k)") }
        try context.check(stride: HeightWidth(stride), padding: HeightWidth(padding), dilation: HeightWidth(dilation),
                          groups: groups)  // in 1-D terms, before the height is added
        let parameters = ConvTranspose2dParameters(stride: HeightWidth(1, stride), padding: HeightWidth(0, padding),
                                                   outputPadding: HeightWidth(0, outputPadding),
                                                   dilation: HeightWidth(1, dilation), groups: groups)
        return try transposedConvolutionGeometry(context, input: withHeightOne(input), weight: withHeightOne(weight),
                                                 bias: bias, parameters: parameters)
    }

    /// (A, B, L) → (A, B, 1, L).
    private static func withHeightOne(_ shape: [Int]) -> [Int] { [shape[0], shape[1], 1, shape[2]] }
}
