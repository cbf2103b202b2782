#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes with errors that name the file and the system's reason.
public enum FileIO {
    /// The bytes of the file at `path`, refusing directories and files over `limit` bytes.
    public static func read(_ path: String, limit: Int = 1 << 34) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DataError(path, "cannot open (\(systemError()))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DataError(path, "cannot read its size (\(systemError()))") }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw DataError(path, "is a folder, expected a file") }
        let size = Int(status.st_size)
        guard size <= limit else { throw DataError(path, "is \(size) bytes, more than the \(limit) allowed") }
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let count = bytes.withUnsafeMutableBytes { Glibc_read(descriptor, $0.baseAddress! + offset, size - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw DataError(path, count == 0 ? "ended early while reading" : "read failed (\(systemError()))") }
            offset += count
        }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file beside it is written, flushed to disk and
    /// renamed over `path`, so readers see the old file or the new one, never a partial one; then the
    /// folder is flushed so the rename is durable. On any failure the temporary file is removed and
    /// `path` is untouched.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw DataError(path, "cannot create \(temporary) (\(systemError()))") }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw DataError(path, "write failed (\(systemError()))") }
                offset += count
            }
            guard fsync(descriptor) == 0 else { throw DataError(path, "flush to disk failed (\(systemError()))") }
        }
        guard rename(temporary, path) == 0 else { throw DataError(path, "cannot replace the file (\(systemError()))") }
        succeeded = true
        // Flush the folder too, so the rename itself survives a power cut (best effort: some file
        // systems refuse to sync a folder, and the file is already complete either way).
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let folderDescriptor = open(folder, O_RDONLY)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// Checks, before long work, that `writeAtomically(_:to:)` will be able to write `path`: the
    /// temporary file beside it can be created (then it is removed) and `path` is not a folder.
    /// Throws the `DataError` the write would throw; leaves nothing behind.
    public static func checkWritable(_ path: String) throws {
        guard !isDirectory(path) else { throw DataError(path, "is a folder, expected a file name") }
        let temporary = path + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw DataError(path, "cannot create \(temporary) (\(systemError()))") }
        close(descriptor)
        unlink(temporary)
    }

    /// Whether `path` exists and is a folder.
    public static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

#if canImport(Glibc)
private func Glibc_read(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(descriptor, buffer, count) }
#elseif canImport(Darwin)
private func Glibc_read(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Darwin.read(descriptor, buffer, count) }
#endif
