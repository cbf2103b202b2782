import CZlib

/// PNG writing (ISO/IEC 15948): 8-bit gray, gray+alpha, RGB or RGBA, non-interlaced, deflated by the
/// system zlib. Each row uses the "up" filter when it compresses better than none, judged by the
/// usual sum-of-absolute-differences heuristic.
public enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file bytes of `image`.
    public static func encode(_ image: RasterImage) -> [UInt8] {
        precondition(image.width > 0 && image.height > 0, "PNGEncoder: PNG images cannot be empty")
        var header: [UInt8] = []
        appendBigEndian(UInt32(image.width), to: &header)
        appendBigEndian(UInt32(image.height), to: &header)
        header += [8, colorType(channels: image.channels), 0, 0, 0]
        var file = signature
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", Zlib.compress(filteredRows(image), format: .zlib, level: 6), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// Writes `image` as a PNG file at `path`, atomically.
    public static func write(_ image: RasterImage, to path: String) throws {
        try FileIO.writeAtomically(encode(image), to: path)
    }

    static func colorType(channels: Int) -> UInt8 {
        switch channels {
        case 1: return 0
        case 2: return 4
        case 3: return 2
        default: return 6
        }
    }

    /// Each row prefixed with its filter byte: 0 (none) or 2 (up).
    static func filteredRows(_ image: RasterImage) -> [UInt8] {
        let stride = image.width * image.channels
        var output: [UInt8] = []
        output.reserveCapacity((stride + 1) * image.height)
        for row in 0..<image.height {
            let current = image.pixels[(row * stride)..<((row + 1) * stride)]
            guard row > 0 else {
                output.append(0)
                output += current
                continue
            }
            let previous = image.pixels[((row - 1) * stride)..<(row * stride)]
            let up = zip(current, previous).map { $0 &- $1 }
            if cost(up) < cost(current) {
                output.append(2)
                output += up
            } else {
                output.append(0)
                output += current
            }
        }
        return output
    }

    /// The filter-choice heuristic of the PNG specification: bytes read as signed, absolute values summed.
    static func cost<C: Collection>(_ bytes: C) -> Int where C.Element == UInt8 {
        bytes.reduce(0) { $0 + abs(Int(Int8(bitPattern: $1))) }
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &file)
        let typeAndData = Array(type.utf8) + data
        file += typeAndData
        appendBigEndian(crc32Checksum(typeAndData), to: &file)
    }

    /// The CRC-32 of `bytes`, from the system zlib.
    static func crc32Checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
