/// PNG reading (ISO/IEC 15948) into 8-bit `RasterImage`s, inflating through the system zlib.
///
/// Accepts every standard form: gray, gray + alpha, RGB, RGBA and palette images, bit depths 1, 2, 4, 8
/// and 16, the five row filters, and Adam7 interlacing. The result has
/// - 1 channel for gray, 2 for gray + alpha, 3 for RGB, 4 for RGBA;
/// - 3 channels (RGB) for palette images, or 4 (RGBA) when a tRNS chunk gives the palette alpha;
/// - gray at 1, 2 or 4 bits scaled to 0...255 (value × 255 / (2^depth − 1), exact: ×255, ×85, ×17);
/// - 16-bit samples reduced to their high byte.
/// tRNS for gray and RGB images (one transparent colour) and all other ancillary chunks (gamma, colour
/// profiles, text) are ignored; an unknown critical chunk is refused.
///
/// Every check names the file: the signature, each chunk's length and CRC, the header's fields, the
/// order of chunks, missing IHDR/IDAT/IEND, the size of the inflated data, filter types and palette
/// indices. No allocation is sized by a header field alone: the image is capped at
/// `maximumPixelCount` pixels, and the inflated data (which grows only as zlib produces it) must
/// have exactly the size the header implies before the image itself is allocated.
public enum PNGDecoder {
    /// The largest image accepted, in pixels (width × height): 2^26, for example 8192 × 8192.
    public static let maximumPixelCount = 1 << 26

    /// Reads and decodes the PNG file at `path`.
    public static func read(_ path: String) throws -> RasterImage {
        try decode(FileIO.read(path), path: path)
    }

    /// Decodes the bytes of a PNG file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        let chunks = try PNGChunks(parsing: bytes, path: path)
        let header = chunks.header
        let expected = header.filteredDataSize
        var data = try Zlib.decompress(chunks.compressedData, format: .zlib, path: path, limit: expected)
        guard data.count == expected else {
            throw DataError(path, "image data inflates to \(data.count) bytes, a \(header.width)x\(header.height) image of this type needs \(expected)")
        }
        let outputChannels = header.colorType == .palette ? (chunks.transparency == nil ? 3 : 4) : header.samplesPerPixel
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * outputChannels)
        var start = 0
        for pass in header.passes {
            let size = header.passSize(pass)
            guard size.width > 0 else { continue }
            let rowBytes = header.rowBytes(width: size.width)
            try unfilter(&data, start: start, rows: size.height, rowBytes: rowBytes, stride: header.filterStride, path: path)
            var samples = [UInt8](repeating: 0, count: size.width * header.samplesPerPixel)
            for row in 0..<size.height {
                expandSamples(data, from: start + row * (rowBytes + 1) + 1, into: &samples, header: header)
                let y = pass.y + row * pass.yStep
                if header.colorType == .palette {
                    for column in 0..<size.width {
                        let index = Int(samples[column])
                        guard index < chunks.paletteCount else {
                            throw DataError(path, "pixel (\(pass.x + column * pass.xStep), \(y)) uses palette entry \(index), the PLTE chunk has \(chunks.paletteCount)")
                        }
                        let target = (y * header.width + pass.x + column * pass.xStep) * outputChannels
                        pixels[target] = chunks.palette[3 * index]
                        pixels[target + 1] = chunks.palette[3 * index + 1]
                        pixels[target + 2] = chunks.palette[3 * index + 2]
                        if let alpha = chunks.transparency { pixels[target + 3] = index < alpha.count ? alpha[index] : 255 }
                    }
                } else if pass.xStep == 1 {
                    let target = y * header.width * outputChannels
                    pixels.replaceSubrange(target..<(target + samples.count), with: samples)
                } else {
                    for column in 0..<size.width {
                        let target = (y * header.width + pass.x + column * pass.xStep) * outputChannels
                        for channel in 0..<outputChannels {
                            pixels[target + channel] = samples[column * outputChannels + channel]
                        }
                    }
                }
            }
            start += size.height * (rowBytes + 1)
        }
        return RasterImage(width: header.width, height: header.height, channels: outputChannels, pixels: pixels)
    }

    /// Undoes the row filters of one pass in place: `rows` rows, each a filter-type byte followed by
    /// `rowBytes` bytes, starting at `start`; `stride` is the filters' look-back distance in bytes.
    /// The first row of a pass sees a row of zeros above it (PNG specification, section 9).
    static func unfilter(_ data: inout [UInt8], start: Int, rows: Int, rowBytes: Int, stride: Int, path: String) throws {
        try data.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for row in 0..<rows {
                let filter = base[start + row * (rowBytes + 1)]
                let line = base + start + row * (rowBytes + 1) + 1
                let above: UnsafeMutablePointer<UInt8>? = row == 0 ? nil : line - (rowBytes + 1)
                switch filter {
                case 0:
                    break
                case 1:  // Sub: add the byte one pixel to the left.
                    for i in stride..<max(stride, rowBytes) { line[i] &+= line[i - stride] }
                case 2:  // Up: add the byte above.
                    if let above { for i in 0..<rowBytes { line[i] &+= above[i] } }
                case 3:  // Average: add the floor of the mean of left and above.
                    for i in 0..<rowBytes {
                        let left = i >= stride ? Int(line[i - stride]) : 0
                        let up = above.map { Int($0[i]) } ?? 0
                        line[i] &+= UInt8((left + up) >> 1)
                    }
                case 4:  // Paeth: add whichever of left, above, upper-left is nearest to left + above − upper-left.
                    for i in 0..<rowBytes {
                        let left = i >= stride ? Int(line[i - stride]) : 0
                        let up = above.map { Int($0[i]) } ?? 0
                        let upperLeft = i >= stride ? (above.map { Int($0[i - stride]) } ?? 0) : 0
                        line[i] &+= UInt8(paeth(left, up, upperLeft))
                    }
                default:
                    throw DataError(path, "image data row \(row) uses filter type \(filter) (only 0 to 4 are defined)")
                }
            }
        }
    }

    /// The Paeth predictor (PNG specification, section 9.4), ties broken left, then above, then upper-left.
    @inline(__always) static func paeth(_ left: Int, _ up: Int, _ upperLeft: Int) -> Int {
        let estimate = left + up - upperLeft
        let toLeft = abs(estimate - left), toUp = abs(estimate - up), toUpperLeft = abs(estimate - upperLeft)
        if toLeft <= toUp && toLeft <= toUpperLeft { return left }
        return toUp <= toUpperLeft ? up : upperLeft
    }

    /// One unfiltered row (starting at `offset` in `data`) as one byte per sample in `samples`: 8-bit
    /// samples as they are, 16-bit ones by their high byte, 1/2/4-bit gray scaled to 0...255 and
    /// 1/2/4-bit palette indices left as indices.
    static func expandSamples(_ data: [UInt8], from offset: Int, into samples: inout [UInt8], header: PNGHeader) {
        let count = samples.count
        switch header.bitDepth {
        case 8:
            samples.replaceSubrange(0..<count, with: data[offset..<(offset + count)])
        case 16:
            for i in 0..<count { samples[i] = data[offset + 2 * i] }
        default:
            let depth = header.bitDepth
            let mask = (1 << depth) - 1
            let scale = header.colorType == .palette ? 1 : 255 / mask
            for i in 0..<count {
                let bit = i * depth
                let value = (Int(data[offset + (bit >> 3)]) >> (8 - depth - (bit & 7))) & mask
                samples[i] = UInt8(value * scale)
            }
        }
    }
}
