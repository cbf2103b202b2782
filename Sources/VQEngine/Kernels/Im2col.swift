import CVQKernels

/// im2col and col2im: the copies that turn a convolution into a matrix product.
///
/// For one image (C, H, W) the columns are a matrix of C·kh·kw rows and Ho·Wo columns: row
/// (c·kh + i)·kw + j, column y·Wo + x holds image[c, y·sh − ph + i·dh, x·sw − pw + j·dw], or 0 where that
/// falls in the padding. The rows of group g are the contiguous block g·(C/groups)·kh·kw ..< (g+1)·….
/// col2im is the adjoint (transpose) of im2col: it adds every column entry back onto the pixel it came
/// from. The fast paths are C (`vqk_im2col`, `vqk_col2im` in CVQKernels): on the VQ-VAE's 8×8 and
/// 16×16 maps a row of one tap is 8 or 16 floats, which AVX-512 moves with one masked load and store
/// where Swift at the baseline x86-64 target needed a loop of SIMD pieces. The `…Naive` twins compute
/// each element from the definition, for the tests.
public enum Im2col {
    /// image (C, H, W) → columns (C·kh·kw rows, Ho·Wo columns, row stride `columnStride` ≥ Ho·Wo).
    /// Every column entry is written (zeros in the padding). `kernel` picks the C implementation
    /// (`.avx512`, or the portable one for the others; nil: `Gemm.Kernel.default`); it must be supported.
    ///
    /// The channels are split across the cores (each channel's rows come from its own plane only), so
    /// one large image, as in reconstructing one clip, uses them all; inside a parallel loop, as when
    /// the cores share a batch, it is one call on the caller's core.
    public static func imageToColumns(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>,
                                      columnStride: Int, geometry: ConvolutionGeometry, kernel: Gemm.Kernel? = nil) {
        let g = geometry
        forChannelPieces(of: g) { channels in
            var sizes = cGeometry(g)
            sizes.channels = channels.count
            let status = vqk_im2col(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), &sizes, image + channels.lowerBound * g.inputArea,
                                    columns + channels.lowerBound * g.kernelArea * columnStride, columnStride)
            precondition(status == 0, "Im2col.imageToColumns: this CPU cannot run the \(kernel ?? .default) kernel")
        }
    }

    /// columns (C·kh·kw rows, Ho·Wo columns, row stride `columnStride`) → image (C, H, W): each pixel is
    /// overwritten with the sum of the column entries that im2col copies from it.
    /// Split across the cores by channels like `imageToColumns`.
    public static func columnsToImage(_ columns: UnsafePointer<Float>, columnStride: Int,
                                      _ image: UnsafeMutablePointer<Float>, geometry: ConvolutionGeometry,
                                      kernel: Gemm.Kernel? = nil) {
        let g = geometry
        forChannelPieces(of: g) { channels in
            var sizes = cGeometry(g)
            sizes.channels = channels.count
            let status = vqk_col2im(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), &sizes,
                                    columns + channels.lowerBound * g.kernelArea * columnStride, columnStride,
                                    image + channels.lowerBound * g.inputArea)
            precondition(status == 0, "Im2col.columnsToImage: this CPU cannot run the \(kernel ?? .default) kernel")
        }
    }

    /// Column entries below which one image's im2col or col2im is not split (a piece must be worth
    /// waking a core for).
    static let entriesPerPiece = 1 << 16

    /// Runs `body` on pieces of the image's channels, in parallel when the image is large.
    @inline(__always)
    static func forChannelPieces(of g: ConvolutionGeometry, _ body: (Range<Int>) -> Void) {
        let entriesPerChannel = max(1, g.kernelArea * g.outputArea)
        Parallel.forRanges(g.inputChannels, minimumPerChunk: max(1, entriesPerPiece / entriesPerChannel), body)
    }

    /// The sizes of one image of `g` (all of its channels) for the C kernels.
    @inline(__always)
    static func cGeometry(_ g: ConvolutionGeometry) -> vqk_im2col_geometry {
        vqk_im2col_geometry(channels: g.inputChannels, height: g.inputHeight, width: g.inputWidth,
                            output_height: g.outputHeight, output_width: g.outputWidth,
                            kernel_height: g.kernelHeight, kernel_width: g.kernelWidth,
                            stride_height: g.stride.height, stride_width: g.stride.width,
                            padding_height: g.padding.height, padding_width: g.padding.width,
                            dilation_height: g.dilation.height, dilation_width: g.dilation.width)
    }

    /// The reference twin of `imageToColumns`: each entry from the definition.
    public static func imageToColumnsNaive(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>,
                                           columnStride: Int, geometry: ConvolutionGeometry) {
        let g = geometry
        for channel in 0..<g.inputChannels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = (channel * g.kernelHeight + i) * g.kernelWidth + j
                    for y in 0..<g.outputHeight {
                        for x in 0..<g.outputWidth {
                            let pixel = sourcePixel(channel: channel, i: i, j: j, y: y, x: x, geometry: g)
                            columns[row * columnStride + y * g.outputWidth + x] = pixel.map { image[$0] } ?? 0
                        }
                    }
                }
            }
        }
    }

    /// The reference twin of `columnsToImage`: zeroes the image, then adds each entry where it came from.
    public static func columnsToImageNaive(_ columns: UnsafePointer<Float>, columnStride: Int,
                                           _ image: UnsafeMutablePointer<Float>, geometry: ConvolutionGeometry) {
        let g = geometry
        for index in 0..<(g.inputChannels * g.inputArea) { image[index] = 0 }
        for channel in 0..<g.inputChannels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = (channel * g.kernelHeight + i) * g.kernelWidth + j
                    for y in 0..<g.outputHeight {
                        for x in 0..<g.outputWidth {
                            if let pixel = sourcePixel(channel: channel, i: i, j: j, y: y, x: x, geometry: g) {
                                image[pixel] += columns[row * columnStride + y * g.outputWidth + x]
                            }
                        }
                    }
                }
            }
        }
    }

    /// The flat index in the image (C, H, W) that kernel tap (i, j) reads at output (y, x), or nil in the padding.
    static func sourcePixel(channel: Int, i: Int, j: Int, y: Int, x: Int, geometry g: ConvolutionGeometry) -> Int? {
        let row = y * g.stride.height - g.padding.height + i * g.dilation.height
        let column = x * g.stride.width - g.padding.width + j * g.dilation.width
        guard row >= 0, row < g.inputHeight, column >= 0, column < g.inputWidth else { return nil }
        return (channel * g.inputHeight + row) * g.inputWidth + column
    }
}
