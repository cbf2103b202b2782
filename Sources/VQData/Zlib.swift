import CZlib

/// Compression through the system zlib: gzip files (.gz) and zlib streams (PNG's IDAT).
public enum Zlib {
    /// The largest output `decompress` will produce: a guard against decompression bombs and
    /// against allocations sized by corrupt data.
    public static let maximumOutputBytes = 1 << 31

    /// Inflates a gzip (`.gz`, possibly several members) or zlib stream; `path` names the source in errors.
    public static func decompress(_ input: [UInt8], format: Format = .gzip, path: String,
                                  limit: Int = maximumOutputBytes) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path, "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        return try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                guard output.count <= limit else { throw DataError(path, "decompresses to more than \(limit) bytes") }
                switch status {
                case Z_STREAM_END:
                    // gzip files may hold several members one after another; continue with the next.
                    if format == .gzip && stream.avail_in > 0 {
                        guard inflateReset(&stream) == Z_OK else { throw DataError(path, "zlib could not reset") }
                        continue
                    }
                    return output
                case Z_OK:
                    if stream.avail_in == 0 && stream.avail_out != 0 {
                        throw DataError(path, "compressed data ends early (truncated file)")
                    }
                case Z_BUF_ERROR:
                    throw DataError(path, "compressed data ends early (truncated file)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DataError(path, "corrupt compressed data (\(message))")
                }
            }
        }
    }

    /// Deflates `input` at the given level (0–9) into a gzip or zlib stream.
    public static func compress(_ input: [UInt8], format: Format = .gzip, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(&stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY,
                                    ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "Zlib.compress: deflateInit2 failed with \(started)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let written = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "Zlib.compress: deflate returned \(status)")
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<written])
    }

    /// The container around the deflate data.
    public enum Format: Sendable {
        /// gzip files (RFC 1952).
        case gzip
        /// zlib streams (RFC 1950), as in PNG.
        case zlib

        var windowBits: Int32 { self == .gzip ? 15 + 16 : 15 }
    }
}

extension Zlib {
    /// The CRC-32 (zlib's, as in PNG and gzip) of `bytes`.
    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
