/// A pair of sizes along height and width (a stride, a padding, a dilation): PyTorch's `int or (int, int)`.
///
/// An integer literal gives both: `stride: 2` is `HeightWidth(2, 2)`.
public struct HeightWidth: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same size along both axes.
    public init(_ both: Int) { self.init(both, both) }

    public init(integerLiteral value: Int) { self.init(value) }

    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}

/// Every size of one 2-D convolution, in the terms of the forward convolution:
/// input (N, C, H, W) and weight (F, C/groups, kh, kw) give output (N, F, Ho, Wo).
///
/// A transposed convolution is the adjoint of a convolution, so it uses the same geometry with the
/// roles swapped: its input is the geometry's output (N, F, Ho, Wo), its weight (F, C/groups, kh, kw)
/// and its output the geometry's input (N, C, H, W).
///
/// The kernels see the input through columns (im2col): per group, a matrix of (C/groups)·kh·kw rows
/// and Ho·Wo columns, so that the convolution is the matrix product weight · columns.
public struct ConvolutionGeometry: Hashable, Sendable {
    public let batch: Int
    public let inputChannels: Int, inputHeight: Int, inputWidth: Int
    public let outputChannels: Int, outputHeight: Int, outputWidth: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: HeightWidth, padding: HeightWidth, dilation: HeightWidth
    public let groups: Int

    /// A geometry whose output size is given (transposed convolutions choose it, see `outputPadding`).
    /// The sizes are not validated here: the ops' shape validators do that.
    public init(batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                outputChannels: Int, outputHeight: Int, outputWidth: Int,
                kernelHeight: Int, kernelWidth: Int,
                stride: HeightWidth, padding: HeightWidth, dilation: HeightWidth, groups: Int) {
        self.batch = batch
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.outputChannels = outputChannels
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// The output length of a convolution along one axis: ⌊(size + 2p − d·(k − 1) − 1) / s⌋ + 1.
    public static func convolvedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    }

    /// The output length of a transposed convolution along one axis: (size − 1)·s − 2p + d·(k − 1) + op + 1.
    public static func transposedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                                      outputPadding: Int) -> Int {
        (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
    }

    public var inputChannelsPerGroup: Int { inputChannels / groups }
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    /// kh·kw.
    public var kernelArea: Int { kernelHeight * kernelWidth }
    /// H·W.
    public var inputArea: Int { inputHeight * inputWidth }
    /// Ho·Wo: the number of columns per image.
    public var outputArea: Int { outputHeight * outputWidth }
    /// (C/groups)·kh·kw: the rows of one group's columns, and the length of one filter.
    public var columnRowsPerGroup: Int { inputChannelsPerGroup * kernelArea }
    /// The shape of the convolution's input, (N, C, H, W).
    public var inputShape: [Int] { [batch, inputChannels, inputHeight, inputWidth] }
    /// The shape of the convolution's output, (N, F, Ho, Wo).
    public var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// The shape of the convolution's weight, (F, C/groups, kh, kw).
    public var weightShape: [Int] { [outputChannels, inputChannelsPerGroup, kernelHeight, kernelWidth] }

    /// A 1×1 kernel with stride 1 and no padding: the columns are the input itself, so the
    /// convolution is a plain matrix product per image and im2col is skipped.
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0
            && outputHeight == inputHeight && outputWidth == inputWidth
    }

    /// The kernel covers the whole (unpadded, undilated, ungrouped) input, so each image's output is
    /// one value per filter: the convolution is one matrix product over the batch, input rows (N,
    /// C·kh·kw) times the weight's rows transposed. A PixelCNN cursor's convolutions at one position.
    public var coversWholeInput: Bool {
        kernelHeight == inputHeight && kernelWidth == inputWidth && padding == 0 && dilation == 1 && groups == 1
    }

    /// Multiply-adds ×2 of the forward convolution: 2·N·F·Ho·Wo·(C/groups)·kh·kw. The transposed
    /// convolution with this geometry costs the same, and a backward pass (input and weight) twice as much.
    public var forwardFloatingPointOperations: Double {
        2 * Double(batch) * Double(outputChannels) * Double(outputArea) * Double(columnRowsPerGroup)
    }
}
