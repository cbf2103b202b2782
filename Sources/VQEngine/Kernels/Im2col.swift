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
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {  // taps outermost: each window is worked out once for all channels
                let window = Window(kernelRow: i, kernelColumn: j, geometry: g)
                for channel in 0..<g.inputChannels {
                    let row = ((channel &* g.kernelHeight &+ i) &* g.kernelWidth &+ j) &* columnStride
                    window.copy(from: image + channel &* g.inputArea, to: columns + row)
                }
            }
        }
    }

    /// columns (C·kh·kw rows, Ho·Wo columns, row stride `columnStride`) → image (C, H, W): each pixel is
    /// overwritten with the sum of the column entries that im2col copies from it.
    public static func columnsToImage(_ columns: UnsafePointer<Float>, columnStride: Int,
                                      _ image: UnsafeMutablePointer<Float>, geometry: ConvolutionGeometry) {
        let g = geometry
        image.update(repeating: 0, count: g.inputChannels * g.inputArea)
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let window = Window(kernelRow: i, kernelColumn: j, geometry: g)
                for channel in 0..<g.inputChannels {
                    let row = ((channel &* g.kernelHeight &+ i) &* g.kernelWidth &+ j) &* columnStride
                    window.add(from: columns + row, to: image + channel &* g.inputArea)
                }
            }
        }
    }

    /// Where kernel tap (i, j) reads inside one channel plane: the output rows and columns whose input
    /// pixel is not padding (both empty if either is), and how to walk them.
    struct Window {
        let rows: Range<Int>, columns: Range<Int>
        let outputWidth: Int, outputHeight: Int, strideWidth: Int
        /// The plane index of the first pixel read (output row `rows.lowerBound`, column `columns.lowerBound`).
        let firstInputIndex: Int
        /// How far that pixel moves from one output row to the next: strideHeight·W.
        let inputRowStep: Int
        /// H·W: SIMD loads and stores stay inside the plane.
        let inputArea: Int

        @inline(__always)
        init(kernelRow i: Int, kernelColumn j: Int, geometry g: ConvolutionGeometry) {
            let rowOffset = i * g.dilation.height - g.padding.height, columnOffset = j * g.dilation.width - g.padding.width
            let rows = Im2col.validRange(offset: rowOffset, stride: g.stride.height, size: g.inputHeight, count: g.outputHeight)
            let columns = Im2col.validRange(offset: columnOffset, stride: g.stride.width, size: g.inputWidth, count: g.outputWidth)
            let empty = rows.isEmpty || columns.isEmpty
            self.rows = empty ? 0..<0 : rows
            self.columns = empty ? 0..<0 : columns
            outputWidth = g.outputWidth
            outputHeight = g.outputHeight
            strideWidth = g.stride.width
            inputRowStep = g.stride.height * g.inputWidth
            inputArea = g.inputArea
            firstInputIndex = empty ? 0
                : (rows.lowerBound * g.stride.height + rowOffset) * g.inputWidth + columns.lowerBound * g.stride.width + columnOffset
        }

        /// One row of im2col: the tap's Ho·Wo values from `plane` (H, W) into `row`, zeros in the padding.
        @inline(__always)
        func copy(from plane: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>) {
            let lower = columns.lowerBound, width = columns.count, trailing = outputWidth &- columns.upperBound
            let step = strideWidth
            if step == 1 && inputRowStep == outputWidth && !rows.isEmpty {
                copyBlock(from: plane, to: row)
                return
            }
            Im2col.zero(row, count: rows.lowerBound &* outputWidth)
            var destination = row + rows.lowerBound &* outputWidth
            var sourceIndex = firstInputIndex
            for _ in rows {
                Im2col.zero(destination, count: lower)
                let source = plane + sourceIndex
                if step == 1 {
                    Im2col.copy(source, to: destination + lower, count: width)
                } else if step == 2 {
                    Im2col.copyEven(source, to: destination + lower, count: width, readable: inputArea &- sourceIndex)
                } else {
                    for x in 0..<width { destination[lower &+ x] = source[x &* step] }
                }
                Im2col.zero(destination + columns.upperBound, count: trailing)
                destination += outputWidth
                sourceIndex &+= inputRowStep
            }
            Im2col.zero(destination, count: (outputHeight &- rows.upperBound) &* outputWidth)
        }

        /// `copy` when the tap's pixels are one contiguous span of the plane (stride 1, W = Wo, as for
        /// "same" padding): one copy of the whole span, then zeros over the columns that fell in the
        /// padding (there the span wrapped onto the neighbouring image row).
        @inline(__always)
        func copyBlock(from plane: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>) {
            let lower = columns.lowerBound, upper = columns.upperBound, trailing = outputWidth &- upper
            Im2col.zero(row, count: rows.lowerBound &* outputWidth)
            let first = row + rows.lowerBound &* outputWidth
            Im2col.copy(plane + firstInputIndex, to: first + lower, count: (rows.count &- 1) &* outputWidth &+ columns.count)
            if lower > 0 || trailing > 0 {
                var destination = first
                for _ in rows {
                    Im2col.zero(destination, count: lower)
                    Im2col.zero(destination + upper, count: trailing)
                    destination += outputWidth
                }
            }
            Im2col.zero(first + rows.count &* outputWidth, count: (outputHeight &- rows.upperBound) &* outputWidth)
        }

        /// One row of col2im: adds the tap's Ho·Wo values in `row` onto the pixels of `plane` they came from.
        @inline(__always)
        func add(from row: UnsafePointer<Float>, to plane: UnsafeMutablePointer<Float>) {
            let width = columns.count, step = strideWidth
            var source = row + (rows.lowerBound &* outputWidth &+ columns.lowerBound)
            var destinationIndex = firstInputIndex
            for _ in rows {
                let destination = plane + destinationIndex
                if step == 1 {
                    Im2col.add(source, to: destination, count: width)
                } else if step == 2 {
                    Im2col.addEven(source, to: destination, count: width, writable: inputArea &- destinationIndex)
                } else {
                    for x in 0..<width { destination[x &* step] += source[x] }
                }
                source += outputWidth
                destinationIndex &+= inputRowStep
            }
        }
    }

    // The spans of one output row are short (8 floats on an 8×8 map), where a call to memset or
    // memcpy costs more than the copy: below 32 floats these write whole SIMD pieces instead.

    /// destination[0..<count] = 0.
    @inline(__always)
    static func zero(_ destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 32 { destination.update(repeating: 0, count: count); return }
        let raw = UnsafeMutableRawPointer(destination)
        var offset = 0
        if count & 16 != 0 { raw.storeBytes(of: SIMD16<Float>(), toByteOffset: offset, as: SIMD16<Float>.self); offset &+= 64 }
        if count & 8 != 0 { raw.storeBytes(of: SIMD8<Float>(), toByteOffset: offset, as: SIMD8<Float>.self); offset &+= 32 }
        if count & 4 != 0 { raw.storeBytes(of: SIMD4<Float>(), toByteOffset: offset, as: SIMD4<Float>.self); offset &+= 16 }
        if count & 2 != 0 { raw.storeBytes(of: SIMD2<Float>(), toByteOffset: offset, as: SIMD2<Float>.self); offset &+= 8 }
        if count & 1 != 0 { raw.storeBytes(of: Float(0), toByteOffset: offset, as: Float.self) }
    }

    /// destination[0..<count] = source[0..<count] (the spans do not overlap).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 32 { destination.update(from: source, count: count); return }
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var offset = 0
        @inline(__always) func piece<Piece: SIMD>(_: Piece.Type) where Piece.Scalar == Float {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: Piece.self), toByteOffset: offset, as: Piece.self)
            offset &+= MemoryLayout<Piece>.size
        }
        if count & 16 != 0 { piece(SIMD16<Float>.self) }
        if count & 8 != 0 { piece(SIMD8<Float>.self) }
        if count & 4 != 0 { piece(SIMD4<Float>.self) }
        if count & 2 != 0 { piece(SIMD2<Float>.self) }
        if count & 1 != 0 { to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: Float.self), toByteOffset: offset, as: Float.self) }
    }

    /// destination[x] = source[2x] for x in 0..<count (stride 2), reading no further than `readable`
    /// floats from source: SIMD loads of pairs whose even lanes are kept.
    @inline(__always)
    static func copyEven(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int, readable: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var x = 0
        while x &+ 8 <= count && 2 &* x &+ 16 <= readable {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8 &* x, as: SIMD16<Float>.self).evenHalf, toByteOffset: 4 &* x,
                          as: SIMD8<Float>.self)
            x &+= 8
        }
        while x &+ 4 <= count && 2 &* x &+ 8 <= readable {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8 &* x, as: SIMD8<Float>.self).evenHalf, toByteOffset: 4 &* x,
                          as: SIMD4<Float>.self)
            x &+= 4
        }
        while x < count { destination[x] = source[2 &* x]; x &+= 1 }
    }

    /// destination[2x] += source[x] for x in 0..<count (stride 2), touching no more than `writable`
    /// floats of destination: SIMD pairs loaded, their even lanes added to, stored back.
    @inline(__always)
    static func addEven(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int, writable: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var x = 0
        while x &+ 8 <= count && 2 &* x &+ 16 <= writable {
            var pair = to.loadUnaligned(fromByteOffset: 8 &* x, as: SIMD16<Float>.self)
            pair.evenHalf += from.loadUnaligned(fromByteOffset: 4 &* x, as: SIMD8<Float>.self)
            to.storeBytes(of: pair, toByteOffset: 8 &* x, as: SIMD16<Float>.self)
            x &+= 8
        }
        while x &+ 4 <= count && 2 &* x &+ 8 <= writable {
            var pair = to.loadUnaligned(fromByteOffset: 8 &* x, as: SIMD8<Float>.self)
            pair.evenHalf += from.loadUnaligned(fromByteOffset: 4 &* x, as: SIMD4<Float>.self)
            to.storeBytes(of: pair, toByteOffset: 8 &* x, as: SIMD8<Float>.self)
            x &+= 4
        }
        while x < count { destination[2 &* x] += source[x]; x &+= 1 }
    }

    /// destination[0..<count] += source[0..<count].
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
        var offset = 0, remaining = count
        while remaining >= 8 {
            let sum = to.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + from.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            to.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            offset &+= 32
            remaining &-= 8
        }
        for index in (count &- remaining)..<count { destination[index] += source[index] }
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
