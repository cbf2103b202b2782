import Crypto
import VQData

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The MD5 and SHA-256 of a file, computed in one streaming pass (1 MiB at a time, never the whole file
/// in memory), as lower-case hexadecimal.
public struct FileChecksum: Sendable, Equatable {
    public var md5: String
    public var sha256: String

    /// Checksums given as lower-case hexadecimal.
    public init(md5: String, sha256: String) {
        self.md5 = md5
        self.sha256 = sha256
    }

    /// Reads the file at `path` once and hashes it.
    public init(ofFileAt path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DataError(path, "cannot open (\(systemErrorText()))") }
        defer { close(descriptor) }
        var md5Hasher = Insecure.MD5()
        var sha256Hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw DataError(path, "read failed (\(systemErrorText()))") }
            if count == 0 { break }
            buffer.withUnsafeBytes { bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                md5Hasher.update(bufferPointer: chunk)
                sha256Hasher.update(bufferPointer: chunk)
            }
        }
        md5 = hexadecimal(md5Hasher.finalize())
        sha256 = hexadecimal(sha256Hasher.finalize())
    }

    /// The first checksum of `file` this one contradicts, as (algorithm, expected, actual), or nil
    /// when every checksum the catalogue records matches.
    public func mismatch(with file: RemoteFile) -> (algorithm: String, expected: String, actual: String)? {
        if md5 != file.md5 { return ("MD5", file.md5, md5) }
        if let expected = file.sha256, sha256 != expected { return ("SHA-256", expected, sha256) }
        return nil
    }
}

private func hexadecimal(_ digest: some Digest) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for byte in digest {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return text
}

func systemErrorText() -> String { String(cString: strerror(errno)) }
