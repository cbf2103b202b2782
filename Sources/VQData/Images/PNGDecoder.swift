import CZlib

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

/// The chunks of a PNG file that decoding needs, after checking the signature, every chunk's length
/// and CRC, and the chunk order.
struct PNGChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    let header: PNGHeader
    /// PLTE: red, green, blue per entry (empty when absent).
    let palette: [UInt8]
    /// Palette tRNS: one alpha per palette entry (possibly fewer), only for palette images.
    let transparency: [UInt8]?
    /// All IDAT chunks' data, concatenated: one zlib stream.
    let compressedData: [UInt8]

    var paletteCount: Int { palette.count / 3 }

    init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= 8, Array(bytes[0..<8]) == PNGChunks.signature else {
            throw DataError(path, "not a PNG file (the first 8 bytes are not the PNG signature)")
        }
        var header: PNGHeader?
        var palette: [UInt8] = [], transparency: [UInt8]?, compressed: [UInt8] = []
        var sawImageData = false, sawEnd = false, position = 8
        while position < bytes.count {
            guard bytes.count - position >= 12 else {
                throw DataError(path, "truncated: \(bytes.count - position) bytes at byte \(position) are too few for a chunk")
            }
            let length = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw DataError(path, "chunk at byte \(position) has an invalid type (bytes \(typeBytes.map(String.init)))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= 0x7FFF_FFFF, length <= bytes.count - position - 12 else {
                throw DataError(path, "truncated: chunk \(type) at byte \(position) declares \(length) bytes, \(bytes.count - position - 12) remain")
            }
            let dataStart = position + 8, dataEnd = position + 8 + length
            let stored = bytes[dataEnd..<(dataEnd + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let computed = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress! + position + 4, UInt32(length + 4))) }
            guard stored == computed else {
                throw DataError(path, "chunk \(type) at byte \(position) has a bad CRC (stored \(stored), computed \(computed)): the file is corrupt")
            }
            let data = bytes[dataStart..<dataEnd]
            if header == nil && type != "IHDR" { throw DataError(path, "the first chunk is \(type), expected IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw DataError(path, "a second IHDR chunk at byte \(position)") }
                header = try PNGHeader(parsing: data, path: path)
            case "PLTE":
                guard !sawImageData else { throw DataError(path, "PLTE chunk after the image data") }
                guard palette.isEmpty else { throw DataError(path, "a second PLTE chunk at byte \(position)") }
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw DataError(path, "PLTE chunk is \(length) bytes, expected 3 to 768 and a multiple of 3")
                }
                palette = Array(data)
            case "tRNS":
                if header?.colorType == .palette {
                    guard !palette.isEmpty else { throw DataError(path, "tRNS chunk before the PLTE chunk") }
                    guard length <= palette.count / 3 else {
                        throw DataError(path, "tRNS chunk holds \(length) alpha values for \(palette.count / 3) palette entries")
                    }
                    transparency = Array(data)
                }
            case "IDAT":
                compressed += data
                sawImageData = true
            case "IEND":
                sawEnd = true
            default:
                // Bit 5 of the first type byte clear (an upper-case letter): critical, must be understood.
                guard typeBytes.first! & 0x20 != 0 else {
                    throw DataError(path, "unknown critical chunk \(type) (cannot decode this file)")
                }
            }
            position = dataEnd + 4
            if sawEnd { break }
        }
        guard let header else { throw DataError(path, "no IHDR chunk") }
        guard sawImageData else { throw DataError(path, "no IDAT chunk (the file holds no image data)") }
        guard sawEnd else { throw DataError(path, "no IEND chunk (truncated file)") }
        if header.colorType == .palette && palette.isEmpty {
            throw DataError(path, "palette image without a PLTE chunk")
        }
        self.header = header
        self.palette = palette
        self.transparency = transparency
        self.compressedData = compressed
    }
}
