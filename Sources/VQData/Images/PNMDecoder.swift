/// PGM and PPM reading (Netpbm): P2 (gray, ASCII), P3 (RGB, ASCII), P5 (gray, binary), P6 (RGB,
/// binary), into 8-bit `RasterImage`s of 1 (PGM) or 3 (PPM) channels.
///
/// The header is the magic number, then width, height and maxval (1...65535) as decimal numbers
/// separated by whitespace, with `#` comments running to the end of a line; binary rasters start after
/// exactly one whitespace byte and hold one byte per sample when maxval < 256, else two (big-endian).
/// Samples are scaled to 0...255 as round(value × 255 / maxval) (identity when maxval is 255). Bytes after
/// the first image are ignored. PBM bitmaps (P1, P4) and PAM (P7) are refused.
public enum PNMDecoder {
    /// The largest image accepted, in pixels: the same cap as PNG.
    public static let maximumPixelCount = PNGDecoder.maximumPixelCount

    /// Reads and decodes the PGM/PPM file at `path`.
    public static func read(_ path: String) throws -> RasterImage {
        try decode(FileIO.read(path), path: path)
    }

    /// Decodes the bytes of a PGM or PPM file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else {
            throw DataError(path, "not a PGM/PPM file (it does not start with P2, P3, P5 or P6)")
        }
        let kind = bytes[1]
        let channels: Int, binary: Bool
        switch kind {
        case UInt8(ascii: "2"): (channels, binary) = (1, false)
        case UInt8(ascii: "3"): (channels, binary) = (3, false)
        case UInt8(ascii: "5"): (channels, binary) = (1, true)
        case UInt8(ascii: "6"): (channels, binary) = (3, true)
        case UInt8(ascii: "1"), UInt8(ascii: "4"): throw DataError(path, "PBM bitmaps (P1, P4) are not supported; convert to PGM")
        default: throw DataError(path, "not a PGM/PPM file (it does not start with P2, P3, P5 or P6)")
        }
        var reader = NumberReader(bytes: bytes, position: 2, path: path)
        let width = try reader.next("width"), height = try reader.next("height"), maxval = try reader.next("maxval")
        guard width >= 1, height >= 1 else { throw DataError(path, "header declares a \(width)x\(height) image") }
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixelCount <= maximumPixelCount else {
            throw DataError(path, "header declares a \(width)x\(height) image, more than the \(maximumPixelCount) pixels allowed")
        }
        guard (1...65535).contains(maxval) else { throw DataError(path, "maxval \(maxval) is outside 1...65535") }
        let sampleCount = pixelCount * channels
        var pixels: [UInt8]
        if binary {
            // Exactly one whitespace byte separates maxval from the raster.
            guard reader.position < bytes.count, isWhitespace(bytes[reader.position]) else {
                throw DataError(path, "truncated: no raster after the header")
            }
            let start = reader.position + 1
            let sampleBytes = maxval < 256 ? 1 : 2
            let needed = sampleCount * sampleBytes
            guard bytes.count - start >= needed else {
                throw DataError(path, "truncated: a \(width)x\(height) image at maxval \(maxval) needs \(needed) raster bytes, the file holds \(bytes.count - start)")
            }
            pixels = [UInt8](repeating: 0, count: sampleCount)
            for i in 0..<sampleCount {
                let value = sampleBytes == 1 ? Int(bytes[start + i]) : Int(bytes[start + 2 * i]) << 8 | Int(bytes[start + 2 * i + 1])
                guard value <= maxval else { throw DataError(path, "sample \(i) is \(value), above maxval \(maxval)") }
                pixels[i] = scaled(value, maxval: maxval)
            }
        } else {
            // Each ASCII sample takes at least two bytes (a digit and a separator, but the last), so a
            // file this short cannot hold the image: refuse before allocating.
            guard sampleCount <= (bytes.count - reader.position + 1) / 2 else {
                throw DataError(path, "truncated: a \(width)x\(height) image needs \(sampleCount) samples, the file is too short to hold them")
            }
            pixels = [UInt8](repeating: 0, count: sampleCount)
            for i in 0..<sampleCount {
                let value = try reader.next("sample \(i) of \(sampleCount)")
                guard value <= maxval else { throw DataError(path, "sample \(i) is \(value), above maxval \(maxval)") }
                pixels[i] = scaled(value, maxval: maxval)
            }
        }
        return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// round(value × 255 / maxval), for 0 ≤ value ≤ maxval.
    @inline(__always) static func scaled(_ value: Int, maxval: Int) -> UInt8 {
        UInt8((value * 255 + maxval / 2) / maxval)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// Reads decimal numbers separated by whitespace and `#` comments.
    struct NumberReader {
        let bytes: [UInt8]
        var position: Int
        let path: String

        /// The next number; `what` names it in errors.
        mutating func next(_ what: String) throws -> Int {
            while position < bytes.count {
                if isWhitespace(bytes[position]) {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
                } else {
                    break
                }
            }
            guard position < bytes.count else { throw DataError(path, "truncated: the file ends before \(what)") }
            var value = 0, digits = 0
            while position < bytes.count, (48...57).contains(bytes[position]) {
                value = value * 10 + Int(bytes[position] - 48)
                digits += 1
                guard digits <= 9 else { throw DataError(path, "\(what) has more than 9 digits") }
                position += 1
            }
            guard digits > 0 else { throw DataError(path, "expected a number for \(what), found byte \(bytes[position])") }
            return value
        }
    }
}
