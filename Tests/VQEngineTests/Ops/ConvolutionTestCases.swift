import Testing
import VQEngine

/// One convolution's shapes and settings, for the tests of conv2d, convTranspose2d and im2col.
/// For a transposed convolution, `input` is the transposed convolution's input (N, Cin, H, W) and
/// `filters` its output channels.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    var input: [Int]
    var filters: Int
    var kernel: HeightWidth
    var stride: HeightWidth = 1
    var padding: HeightWidth = 0
    var dilation: HeightWidth = 1
    var groups = 1
    var outputPadding: HeightWidth = 0

    var testDescription: String {
        "input \(input) filters \(filters) kernel \(kernel) stride \(stride) padding \(padding) dilation \(dilation) "
            + "groups \(groups) outputPadding \(outputPadding)"
    }

    /// (F, C/groups, kh, kw) for a convolution.
    var weightShape: [Int] { [filters, input[1] / groups, kernel.height, kernel.width] }
    /// (Cin, Cout/groups, kh, kw) for a transposed convolution.
    var transposedWeightShape: [Int] { [input[1], filters / groups, kernel.height, kernel.width] }

    var parameters: Conv2dParameters {
        Conv2dParameters(stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    var transposedParameters: ConvTranspose2dParameters {
        ConvTranspose2dParameters(stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups)
    }

    func geometry() throws -> ConvolutionGeometry {
        try Tensor.conv2dShapes(input: input, weight: weightShape, bias: [filters], parameters: parameters)
    }
    func transposedGeometry() throws -> ConvolutionGeometry {
        try Tensor.convTranspose2dShapes(input: input, weight: transposedWeightShape, bias: [filters],
                                         parameters: transposedParameters)
    }

    /// Odd shapes for the fast-vs-naive comparisons: batch 1, channels that are not multiples of 16,
    /// odd sizes, strides 2 and 3, asymmetric padding, dilation 2, groups 2, depthwise, 1×1 kernels.
    static let convolutions: [ConvolutionCase] = [
        ConvolutionCase(input: [1, 3, 7, 5], filters: 5, kernel: 3, padding: 1),
        ConvolutionCase(input: [2, 17, 9, 11], filters: 19, kernel: HeightWidth(3, 2), stride: 2, padding: HeightWidth(1, 0)),
        ConvolutionCase(input: [3, 6, 10, 13], filters: 4, kernel: 3, stride: 3, padding: 2, dilation: 2),
        ConvolutionCase(input: [2, 6, 8, 7], filters: 10, kernel: 3, padding: 1, groups: 2),
        ConvolutionCase(input: [2, 5, 7, 6], filters: 10, kernel: 3, stride: HeightWidth(1, 2), padding: 1, groups: 5),
        ConvolutionCase(input: [3, 7, 5, 9], filters: 6, kernel: 1),
        ConvolutionCase(input: [2, 6, 3, 5], filters: 4, kernel: 1, groups: 2),
        ConvolutionCase(input: [2, 5, 7, 7], filters: 3, kernel: 1, stride: 2),
        ConvolutionCase(input: [4, 3, 12, 10], filters: 8, kernel: 4, stride: 2, padding: 1),
        ConvolutionCase(input: [1, 2, 3, 3], filters: 3, kernel: 5, padding: 1),
        ConvolutionCase(input: [5, 33, 6, 6], filters: 18, kernel: 3, padding: 1, dilation: HeightWidth(2, 1)),
        // Kernels covering the whole input (`coversWholeInput`: one product over the batch), as a
        // PixelCNN cursor runs them at one position: 1×1 on 1×1 maps, a 1×3 window, a 4×4 with stride.
        ConvolutionCase(input: [6, 13, 1, 1], filters: 37, kernel: 1),
        ConvolutionCase(input: [5, 7, 1, 3], filters: 9, kernel: HeightWidth(1, 3)),
        ConvolutionCase(input: [3, 4, 4, 4], filters: 5, kernel: 4, stride: 2),
    ]

    /// Odd shapes for the transposed convolution: stride 2 with padding 1 and output padding 1, stride 3,
    /// dilation 2 with an output padding as large as the stride, groups 2, depthwise, 1×1 kernels.
    static let transposedConvolutions: [ConvolutionCase] = [
        ConvolutionCase(input: [1, 3, 5, 4], filters: 5, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
        ConvolutionCase(input: [2, 16, 4, 4], filters: 7, kernel: 4, stride: 2, padding: 1),
        ConvolutionCase(input: [3, 5, 3, 5], filters: 6, kernel: HeightWidth(3, 2), stride: 3, padding: HeightWidth(0, 1),
                        outputPadding: HeightWidth(2, 1)),
        ConvolutionCase(input: [2, 4, 5, 5], filters: 3, kernel: 3, padding: 1, dilation: 2, outputPadding: 1),
        ConvolutionCase(input: [2, 6, 4, 3], filters: 4, kernel: 3, stride: 2, groups: 2),
        ConvolutionCase(input: [2, 5, 4, 4], filters: 5, kernel: 2, stride: 2, groups: 5),
        ConvolutionCase(input: [3, 7, 4, 5], filters: 9, kernel: 1),
        ConvolutionCase(input: [2, 3, 3, 3], filters: 2, kernel: 1, stride: 2, outputPadding: 1),
    ]
}

/// Runs `body` under every strategy of the fast convolutions, with one image per chunk and with the
/// whole batch (or worker's share) in one chunk, naming the setting for failure messages.
func forEachConvolutionSetting(_ body: (String) throws -> Void) rethrows {
    for strategy in ConvolutionStrategy.allCases {
        for columns in [1, 1 << 20] {
            try Convolution.$strategy.withValue(strategy) {
                try Convolution.$chunkColumns.withValue(columns) {
                    try body("strategy \(strategy.rawValue), chunk columns \(columns)")
                }
            }
        }
    }
}

/// A tensor of uniform values in [-1, 1).
func convolutionTestTensor(_ shape: [Int], _ generator: inout RandomGenerator) -> Tensor {
    Tensor(uniform: shape, low: -1, high: 1, generator: &generator)
}

/// Σ a·b in Double.
func convolutionTestDot(_ a: Tensor, _ b: Tensor) -> Double {
    zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
