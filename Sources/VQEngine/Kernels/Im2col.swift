/// im2col and col2im: the copies that turn a convolution into a matrix product.
///
/// For one image (C, H, W) the columns are a matrix of C·kh·kw rows and Ho·Wo columns: row
/// (c·kh + i)·kw + j, column y·Wo + x holds image[c, y·sh − ph + i·dh, x·sw − pw + j·dw], or 0 where that
/// falls in the padding. The rows of group g are the contiguous block g·(C/groups)·kh·kw ..< (g+1)·….
/// col2im is the adjoint (transpose) of im2col: it adds every column entry back onto the pixel it came
/// from. Both are memory-bound copies, written in Swift with pointers hoisted out of the loops; the
/// `…Naive` twins compute each element from the definition, for the tests.
public enum Im2col {
    /// image (C, H, W) → columns (C·kh·kw rows, Ho·Wo columns, row stride `columnStride` ≥ Ho·Wo).
    /// Every column entry is written (zeros in the padding).
    public static func imageToColumns(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>,
                                      columnStride: Int, geometry: ConvolutionGeometry) {
        let g = geometry
        let outputWidth = g.outputWidth, outputHeight = g.outputHeight, strideWidth = g.stride.width
        for channel in 0..<g.inputChannels {
            let plane = image + channel * g.inputArea
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = columns + ((channel * g.kernelHeight + i) * g.kernelWidth + j) * columnStride
                    let window = Window(kernelRow: i, kernelColumn: j, geometry: g)
                    let xs = window.columns, width = xs.count
                    row.update(repeating: 0, count: window.rows.lowerBound * outputWidth)
                    for y in window.rows {
                        let destination = row + y * outputWidth
                        let source = plane + window.firstInputIndex(outputRow: y)
                        destination.update(repeating: 0, count: xs.lowerBound)
                        let copied = destination + xs.lowerBound
                        if strideWidth == 1 {
                            copied.update(from: source, count: width)
                        } else {
                            for x in 0..<width { copied[x] = source[x * strideWidth] }
                        }
                        (copied + width).update(repeating: 0, count: outputWidth - xs.upperBound)
                    }
                    (row + window.rows.upperBound * outputWidth)
                        .update(repeating: 0, count: (outputHeight - window.rows.upperBound) * outputWidth)
                }
            }
        }
    }

    /// columns (C·kh·kw rows, Ho·Wo columns, row stride `columnStride`) → image (C, H, W): each pixel is
    /// overwritten with the sum of the column entries that im2col copies from it.
    public static func columnsToImage(_ columns: UnsafePointer<Float>, columnStride: Int,
                                      _ image: UnsafeMutablePointer<Float>, geometry: ConvolutionGeometry) {
        let g = geometry
        let outputWidth = g.outputWidth, strideWidth = g.stride.width
        image.update(repeating: 0, count: g.inputChannels * g.inputArea)
        for channel in 0..<g.inputChannels {
            let plane = image + channel * g.inputArea
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = columns + ((channel * g.kernelHeight + i) * g.kernelWidth + j) * columnStride
                    let window = Window(kernelRow: i, kernelColumn: j, geometry: g)
                    let width = window.columns.count
                    for y in window.rows {
                        let source = row + y * outputWidth + window.columns.lowerBound
                        let destination = plane + window.firstInputIndex(outputRow: y)
                        if strideWidth == 1 {
                            for x in 0..<width { destination[x] += source[x] }
                        } else {
                            for x in 0..<width { destination[x * strideWidth] += source[x] }
                        }
                    }
                }
            }
        }
    }

    /// Where kernel tap (i, j) reads inside the image: the output rows and columns whose input pixel
    /// is not padding (both empty if either is), and the first such pixel of each row.
    struct Window {
        let rows: Range<Int>
        let columns: Range<Int>
        let rowOffset: Int, strideHeight: Int, inputWidth: Int, firstColumn: Int

        @inline(__always)
        init(kernelRow i: Int, kernelColumn j: Int, geometry g: ConvolutionGeometry) {
            rowOffset = i * g.dilation.height - g.padding.height
            let columnOffset = j * g.dilation.width - g.padding.width
            let rows = Im2col.validRange(offset: rowOffset, stride: g.stride.height, size: g.inputHeight,
                                         count: g.outputHeight)
            let columns = Im2col.validRange(offset: columnOffset, stride: g.stride.width, size: g.inputWidth,
                                            count: g.outputWidth)
            let empty = rows.isEmpty || columns.isEmpty
            self.rows = empty ? 0..<0 : rows
            self.columns = empty ? 0..<0 : columns
            strideHeight = g.stride.height
            inputWidth = g.inputWidth
            firstColumn = columns.lowerBound * g.stride.width + columnOffset
        }

        /// The flat index, within one channel plane, of the first pixel read for output row y.
        @inline(__always)
        func firstInputIndex(outputRow y: Int) -> Int { (y * strideHeight + rowOffset) * inputWidth + firstColumn }
    }

    /// The positions p in 0..<count with 0 ≤ p·stride + offset < size.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, size: Int, count: Int) -> Range<Int> {
        let lower = min(max(ceilingDivision(-offset, stride), 0), count)
        let upper = min(max(ceilingDivision(size - offset, stride), lower), count)
        return lower..<upper
    }

    /// ⌈numerator / denominator⌉ for a positive denominator and a numerator of either sign.
    @inline(__always)
    static func ceilingDivision(_ numerator: Int, _ denominator: Int) -> Int {
        numerator >= 0 ? (numerator + denominator - 1) / denominator : -((-numerator) / denominator)
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
