import CZlib

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
