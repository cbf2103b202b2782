/// A compressed image (`.vqz`): the code grid of an image, entropy-coded, with what the decoder needs
/// to check it has the right codec and to rebuild the image's size. FORMATS.md has the byte layout.
///
/// Parsing checks every field and the CRC-32 before anything is decoded, so a corrupted or truncated
/// file is one `DataError` naming it, never a crash or a wrong image.
public struct VQZFile: Equatable, Sendable {
    /// How the codes were entropy-coded.
    public enum EntropyModel: UInt8, Sendable {
        /// Each stage's code histogram over the training images (one fixed table per stage).
        case histogram = 0
        /// The learnt prior of each stage, position by position (its stored histogram where it has none).
        case prior = 1
    }

    public static let magic: [UInt8] = [0x89, 0x56, 0x51, 0x5A]  // "\x89VQZ": high bit catches 7-bit transfers
    /// 2 since the prior's products became fused multiply-adds on every kernel (the tables of version 1
    /// came from the generic kernel's separate multiply and add, so its files decode differently); 3
    /// since the prior's tanh became `FastMath.hyperbolicTangent` rather than the C library's `tanhf`.
    /// Older files are refused with advice to compress again: their tables cannot be rebuilt.
    public static let version: UInt8 = 3
    /// Bytes before the payload.
    public static let headerSize = 32
    /// The largest side accepted (pixels).
    public static let maximumSide = 1 << 16

    public var width: Int
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    /// The codec's identity (`ImageCodec.identity`): FNV-1a of its model, priors and histograms.
    public var codecIdentity: UInt64
    /// The rate point: how many quantizer stages are coded (1…).
    public var rate: Int
    public var entropyModel: EntropyModel
    /// The side, in codes, of the tiles the prior walks (0 with histograms).
    public var tileSide: Int
    /// The rANS stream (`RANSEncoder.finish()`).
    public var payload: [UInt8]

    public init(width: Int, height: Int, channels: Int, codecIdentity: UInt64, rate: Int, entropyModel: EntropyModel,
                tileSide: Int, payload: [UInt8]) {
        precondition(width >= 1 && height >= 1 && width <= VQZFile.maximumSide && height <= VQZFile.maximumSide
                     && (channels == 1 || channels == 3) && (1...255).contains(rate) && (0...0xFFFF).contains(tileSide)
                     && payload.count <= Int(UInt32.max), "VQZFile: field out of range")
        (self.width, self.height, self.channels, self.codecIdentity) = (width, height, channels, codecIdentity)
        (self.rate, self.entropyModel, self.tileSide, self.payload) = (rate, entropyModel, tileSide, payload)
    }

    /// The file's bytes: header, payload, CRC-32 of both.
    public func encoded() -> [UInt8] {
        var bytes = VQZFile.magic
        bytes.append(VQZFile.version)
        bytes.append(UInt8(channels))
        bytes += [0, 0]  // reserved, zero
        append32(UInt32(width), to: &bytes)
        append32(UInt32(height), to: &bytes)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: codecIdentity >> UInt64(shift))) }
        bytes.append(UInt8(rate))
        bytes.append(entropyModel.rawValue)
        bytes += [UInt8(tileSide & 0xFF), UInt8(tileSide >> 8)]
        append32(UInt32(payload.count), to: &bytes)
        bytes += payload
        append32(Zlib.crc32(bytes[...]), to: &bytes)
        return bytes
    }

    /// Writes the file atomically.
    public func write(to path: String) throws { try FileIO.writeAtomically(encoded(), to: path) }

    /// Reads and checks the file at `path`.
    public init(contentsOf path: String) throws { try self.init(parsing: FileIO.read(path), path: path) }

    /// Checks and reads `bytes`; `path` names the file in errors.
    public init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= 4, Array(bytes[0..<4]) == VQZFile.magic else {
            throw DataError(path, "not a .vqz file (unrecognised first bytes)")
        }
        guard bytes.count >= VQZFile.headerSize + 4 else {
            throw DataError(path, "truncated: \(bytes.count) bytes, shorter than a .vqz header")
        }
        guard bytes[4] == VQZFile.version else {
            let advice = bytes[4] < VQZFile.version ? " (compress the image again)" : ""
            throw DataError(path, "a .vqz file of version \(bytes[4]); this tool reads version \(VQZFile.version)\(advice)")
        }
        let payloadLength = Int(read32(bytes, 28))
        guard bytes.count == VQZFile.headerSize + payloadLength + 4 else {
            throw DataError(path, bytes.count < VQZFile.headerSize + payloadLength + 4
                ? "truncated: the header announces \(payloadLength) bytes of codes, the file holds \(bytes.count - VQZFile.headerSize - 4 < 0 ? 0 : bytes.count - VQZFile.headerSize - 4)"
                : "has \(bytes.count - VQZFile.headerSize - payloadLength - 4) bytes after its end")
        }
        let end = VQZFile.headerSize + payloadLength
        guard Zlib.crc32(bytes[0..<end]) == read32(bytes, end) else {
            throw DataError(path, "corrupted: its CRC-32 does not match its contents")
        }
        let channels = Int(bytes[5]), width = Int(read32(bytes, 8)), height = Int(read32(bytes, 12))
        let identity = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[16 + $1]) << (8 * UInt64($1)) }
        let rate = Int(bytes[24]), tileSide = Int(bytes[26]) | Int(bytes[27]) << 8
        guard channels == 1 || channels == 3 else { throw DataError(path, "has \(channels) channels; .vqz images have 1 or 3") }
        guard bytes[6] == 0 && bytes[7] == 0 else { throw DataError(path, "has reserved header bytes set; written by a newer tool?") }
        guard (1...VQZFile.maximumSide).contains(width), (1...VQZFile.maximumSide).contains(height) else {
            throw DataError(path, "has an image size of \(width)x\(height) (1 to \(VQZFile.maximumSide) per side)")
        }
        guard rate >= 1 else { throw DataError(path, "has rate 0; rates start at 1") }
        guard let model = EntropyModel(rawValue: bytes[25]) else {
            throw DataError(path, "has an unknown entropy model \(bytes[25]) (0 histogram, 1 prior)")
        }
        guard (model == .prior) == (tileSide > 0) else {
            throw DataError(path, "has tile side \(tileSide) with the \(model) entropy model")
        }
        self.init(width: width, height: height, channels: channels, codecIdentity: identity, rate: rate, entropyModel: model,
                  tileSide: tileSide, payload: Array(bytes[VQZFile.headerSize..<end]))
    }
}

private func append32(_ value: UInt32, to bytes: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
}

private func read32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}
