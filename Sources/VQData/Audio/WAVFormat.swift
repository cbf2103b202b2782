/// How a WAV file stores one sample: integer PCM (8-bit unsigned, 16/24/32-bit signed two's complement)
/// or IEEE float (32 or 64 bits), little-endian.
public enum WAVSampleEncoding: Equatable, Hashable, Sendable, CustomStringConvertible {
    case unsigned8, signed16, signed24, signed32, float32, float64

    /// Bytes one sample takes in the data chunk.
    public var bytesPerSample: Int {
        switch self {
        case .unsigned8: 1
        case .signed16: 2
        case .signed24: 3
        case .signed32, .float32: 4
        case .float64: 8
        }
    }

    public var isFloat: Bool { self == .float32 || self == .float64 }

    public var description: String { "\(8 * bytesPerSample)-bit \(isFloat ? "IEEE float" : "PCM")" }
}

/// The `fmt ` chunk of a WAV file, checked: sample encoding, channels, sample rate.
///
/// Read: format code 1 (PCM: 8, 16, 24 or 32 bits), 3 (IEEE float: 32 or 64 bits) and 0xFFFE
/// (WAVE_FORMAT_EXTENSIBLE whose sub-format GUID is PCM or IEEE float; the container size
/// `bitsPerSample` decides the encoding, valid bits fewer than that are the top bits of each sample, as
/// the format specifies, so reading the whole container is right; the channel mask is ignored).
/// Refused, each with its own message: any other format code (named, e.g. 0x0002 Microsoft ADPCM),
/// another sub-format, other sample sizes, 0 channels, a sample rate of 0, and a block align other than
/// channels × bytes per sample. The byte rate field is not checked (only players use it, and writers
/// get it wrong without harm).
public struct WAVFormat: Equatable, Hashable, Sendable {
    public let encoding: WAVSampleEncoding
    /// Channels per frame, 1 to 65535; samples of one frame are interleaved.
    public let channelCount: Int
    /// Frames per second, 1 to 2^32 − 1.
    public let sampleRate: Int
    /// Whether the file used WAVE_FORMAT_EXTENSIBLE (0xFFFE) rather than the plain format code.
    public let isExtensible: Bool

    public init(encoding: WAVSampleEncoding, channelCount: Int, sampleRate: Int, isExtensible: Bool = false) {
        precondition((1...0xFFFF).contains(channelCount), "WAVFormat: \(channelCount) channels (1 to 65535)")
        precondition((1...0xFFFF_FFFF).contains(sampleRate), "WAVFormat: sample rate \(sampleRate) (1 to 2^32 − 1)")
        self.encoding = encoding
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.isExtensible = isExtensible
    }

    /// Bytes per frame: the fmt chunk's block align.
    public var blockAlign: Int { channelCount * encoding.bytesPerSample }

    /// The GUID of an extensible format's sub-format after its first two bytes (the format code):
    /// xxxxxxxx-0000-0010-8000-00AA00389B71, stored little-endian in its first three fields.
    static let subFormatGUIDTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]

    /// Parses the payload of a `fmt ` chunk (which starts at byte `offset` of the file); `path` names the
    /// file in errors.
    init(parsing fmt: ArraySlice<UInt8>, offset: Int, path: String) throws {
        let base = fmt.startIndex
        func u16(_ at: Int) -> Int { Int(fmt[base + at]) | Int(fmt[base + at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard fmt.count >= 16 else {
            throw DataError(path, "fmt chunk at byte \(offset) is \(fmt.count) bytes, expected at least 16")
        }
        var code = u16(0)
        let channels = u16(2), rate = u32(4), blockAlign = u16(12), bits = u16(14)
        let extensible = code == 0xFFFE
        if extensible {
            guard fmt.count >= 40 else {
                throw DataError(path, "extensible fmt chunk at byte \(offset) is \(fmt.count) bytes, expected at least 40")
            }
            let guid = Array(fmt[(base + 24)..<(base + 40)])
            guard Array(guid[2...]) == WAVFormat.subFormatGUIDTail else {
                throw DataError(path, "extensible sub-format GUID \(WAVFormat.guidString(guid)) is not PCM or IEEE float")
            }
            code = u16(24)
            guard code == 1 || code == 3 else {
                throw DataError(path, "extensible sub-format \(WAVFormat.formatCodeName(code)) is not supported (only PCM and IEEE float)")
            }
            let validBits = u16(18)
            guard validBits <= bits else {
                throw DataError(path, "extensible fmt chunk declares \(validBits) valid bits in \(bits)-bit samples")
            }
        } else {
            guard code == 1 || code == 3 else {
                throw DataError(path, "WAV format code \(WAVFormat.formatCodeName(code)) is not supported (only 1 PCM, 3 IEEE float and 0xFFFE extensible)")
            }
        }
        guard channels > 0 else { throw DataError(path, "fmt chunk declares 0 channels") }
        guard rate > 0 else { throw DataError(path, "fmt chunk declares a sample rate of 0") }
        let encoding: WAVSampleEncoding
        switch (code, bits) {
        case (1, 8): encoding = .unsigned8
        case (1, 16): encoding = .signed16
        case (1, 24): encoding = .signed24
        case (1, 32): encoding = .signed32
        case (3, 32): encoding = .float32
        case (3, 64): encoding = .float64
        case (1, _): throw DataError(path, "PCM with \(bits) bits per sample is not supported (8, 16, 24 or 32)")
        default: throw DataError(path, "IEEE float with \(bits) bits per sample is not supported (32 or 64)")
        }
        guard blockAlign == channels * encoding.bytesPerSample else {
            let bytes = encoding.bytesPerSample
            throw DataError(path, "block align \(blockAlign) does not match \(channels) channels × \(bytes) bytes per sample (\(channels * bytes))")
        }
        self.init(encoding: encoding, channelCount: channels, sampleRate: rate, isExtensible: extensible)
    }

    /// `0x0055 (MPEG Layer III)`: the code in hexadecimal, with its name when it is a common one.
    static func formatCodeName(_ code: Int) -> String {
        let names: [Int: String] = [
            0x0001: "PCM", 0x0002: "Microsoft ADPCM", 0x0003: "IEEE float", 0x0006: "A-law", 0x0007: "µ-law",
            0x0011: "IMA ADPCM", 0x0031: "GSM 6.10", 0x0050: "MPEG", 0x0055: "MPEG Layer III",
            0x00FF: "AAC", 0x1610: "HE-AAC", 0xF1AC: "FLAC", 0xFFFE: "extensible",
        ]
        let digits = Array("0123456789ABCDEF")
        let hex = "0x" + String([12, 8, 4, 0].map { digits[(code >> $0) & 15] })
        return names[code].map { "\(hex) (\($0))" } ?? hex
    }

    /// The usual text form of a GUID stored as in a WAV file (first three fields little-endian).
    static func guidString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        func hex(_ indices: [Int]) -> String { String(indices.flatMap { [digits[Int(bytes[$0] >> 4)], digits[Int(bytes[$0] & 15)]] }) }
        return [hex([3, 2, 1, 0]), hex([5, 4]), hex([7, 6]), hex([8, 9]), hex(Array(10..<16))].joined(separator: "-")
    }
}
