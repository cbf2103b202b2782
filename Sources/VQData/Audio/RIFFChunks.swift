/// The two chunks of a RIFF/WAVE file that decoding needs, `fmt ` and `data`, after walking every chunk.
///
/// The file is `RIFF`, a little-endian UInt32 size (the bytes after it), `WAVE`, then chunks: a
/// four-character id (bytes 0x20 to 0x7E), a little-endian UInt32 size and that many bytes, plus one
/// zero pad byte when the size is odd, so that every chunk starts at an even offset. Chunks other than
/// `fmt ` and `data` (LIST, fact, cue, …) are skipped, in any order.
///
/// Tolerated, because common writers produce them:
/// - bytes after the RIFF form (its declared size), such as an appended ID3 tag, are ignored;
/// - the pad byte of the last chunk may be missing at the end of the form (Python's `wave` omits it);
/// - a RIFF size of 0xFFFFFFFF (unknown: written by streaming writers that cannot seek back, such as
///   ffmpeg to a pipe) means the form runs to the end of the file, and a data chunk size of 0xFFFFFFFF
///   that runs past the end means the data run to the end of the form; chunks after it are then
///   impossible to find, so it must be the last.
///
/// Refused: a file shorter than 12 bytes, another magic (big-endian RIFX and 64-bit RF64 named), another
/// form type, a RIFF size smaller than 4 or larger than the file, fewer than 8 bytes left for a chunk
/// header, an id that is not printable ASCII (usually a misplaced chunk boundary), any other chunk
/// running past the end of the form (a truncated file), a second `fmt ` or `data` chunk, and a missing
/// one.
struct RIFFChunks {
    /// The payload of the `fmt ` chunk, and the chunk's offset in the file (for messages).
    let format: ArraySlice<UInt8>
    let formatOffset: Int
    /// The payload of the `data` chunk (a range of the file's bytes).
    let data: Range<Int>
    /// Whether the data chunk's size was the streaming writers' 0xFFFFFFFF (the data run to the end).
    let dataSizeWasUnknown: Bool

    static let unknownSize = 0xFFFF_FFFF

    init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= 12 else { throw DataError(path, "too short for a RIFF header (\(bytes.count) bytes, at least 12)") }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let magic = RIFFChunks.fourCC(bytes[0..<4])
        switch magic {
        case "RIFF": break
        case "RIFX": throw DataError(path, "big-endian RIFX files are not supported")
        case "RF64", "BW64": throw DataError(path, "\(magic) (64-bit RIFF) files are not supported")
        default: throw DataError(path, "not a WAV file (the first 4 bytes are not RIFF)")
        }
        let form = RIFFChunks.fourCC(bytes[8..<12])
        guard form == "WAVE" else { throw DataError(path, "not a WAV file (RIFF form type '\(form)', expected 'WAVE')") }
        let riffSize = u32(4)
        let end: Int
        if riffSize == RIFFChunks.unknownSize {
            end = bytes.count
        } else {
            guard riffSize >= 4 else { throw DataError(path, "RIFF header declares \(riffSize) bytes, fewer than the 4 of its form type") }
            guard riffSize <= bytes.count - 8 else {
                throw DataError(path, "truncated: the RIFF header declares \(riffSize) bytes after it, the file holds \(bytes.count - 8)")
            }
            end = 8 + riffSize
        }
        var format: (payload: ArraySlice<UInt8>, offset: Int)?
        var data: Range<Int>?
        var unknownDataSize = false
        var position = 12
        while position < end {
            guard end - position >= 8 else {
                throw DataError(path, "truncated: \(end - position) bytes at byte \(position) are too few for a chunk header")
            }
            let idBytes = bytes[position..<(position + 4)]
            guard idBytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw DataError(path, "chunk at byte \(position) has an invalid id (bytes \(idBytes.map(RIFFChunks.hex).joined(separator: " ")))")
            }
            let id = RIFFChunks.fourCC(idBytes)
            let size = u32(position + 4)
            let start = position + 8
            var payloadEnd = start + size
            if size > end - start {
                guard id == "data" && size == RIFFChunks.unknownSize else {
                    throw DataError(path, "truncated: chunk '\(id)' at byte \(position) declares \(size) bytes, \(end - start) remain")
                }
                payloadEnd = end
                unknownDataSize = true
            }
            switch id {
            case "fmt ":
                guard format == nil else { throw DataError(path, "a second fmt chunk at byte \(position)") }
                format = (bytes[start..<payloadEnd], position)
            case "data":
                guard data == nil else { throw DataError(path, "a second data chunk at byte \(position)") }
                data = start..<payloadEnd
            default:
                break
            }
            // The pad byte after an odd size; a missing one at the very end is tolerated.
            position = min(end, payloadEnd + (payloadEnd - start) % 2)
        }
        guard let format else { throw DataError(path, "no fmt chunk (the file does not say how its samples are stored)") }
        guard let data else { throw DataError(path, "no data chunk (the file holds no samples)") }
        self.format = format.payload
        self.formatOffset = format.offset
        self.data = data
        self.dataSizeWasUnknown = unknownDataSize
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// Four bytes as text, for ids and magic numbers (non-printable bytes as `?`).
    static func fourCC(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
