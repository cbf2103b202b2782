import VQData

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal reader of tar archives (POSIX ustar, with GNU long names and pax `path` records): enough to
/// unpack dataset archives such as CIFAR-10's.
///
/// Only regular files and folders are produced; links, devices and other entry types are skipped, so an
/// archive cannot plant a symbolic link. Every path is checked before anything is written: absolute
/// paths and `..` components are refused.
public struct TarArchive {
    /// One regular file of the archive.
    public struct Entry: Equatable, Sendable {
        /// The path inside the archive, `/`-separated, relative.
        public var path: String
        /// Where the file's bytes start in the archive.
        public var offset: Int
        /// The file's size in bytes.
        public var size: Int
    }

    /// The archive's bytes (already decompressed).
    public let bytes: [UInt8]
    /// The regular files, in archive order.
    public let entries: [Entry]
    /// The folders the archive names explicitly, in archive order.
    public let folders: [String]

    /// Parses the headers of `bytes`; `path` names the archive in errors.
    public init(_ bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        var entries: [Entry] = []
        var folders: [String] = []
        var offset = 0
        var pendingName: String?  // from a GNU long-name entry or a pax `path` record, for the next entry
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }  // the end-of-archive blocks
            try TarArchive.verifyChecksum(header, at: offset, path: path)
            guard let size = TarArchive.octal(header, from: 124, count: 12), size >= 0 else {
                throw DataError(path, "tar header at byte \(offset) has an unreadable size field")
            }
            let dataStart = offset + 512
            guard size <= bytes.count - dataStart else {
                throw DataError(path, "tar entry at byte \(offset) claims \(size) bytes but the archive ends first (truncated file)")
            }
            let type = header[header.startIndex + 156]
            let name = try pendingName ?? TarArchive.headerName(header, at: offset, path: path)
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):  // regular file (7: contiguous file, same thing)
                entries.append(Entry(path: try TarArchive.checkedPath(name, path: path), offset: dataStart, size: size))
                pendingName = nil
            case UInt8(ascii: "5"):
                folders.append(try TarArchive.checkedPath(name, path: path))
                pendingName = nil
            case UInt8(ascii: "L"):  // GNU: the data is the next entry's long name
                pendingName = TarArchive.text(bytes[dataStart..<(dataStart + size)])
            case UInt8(ascii: "x"):  // pax extended header: may carry the next entry's path
                if let pathRecord = try TarArchive.paxPath(bytes[dataStart..<(dataStart + size)], at: offset, path: path) {
                    pendingName = pathRecord
                }
            default:  // links, devices, FIFOs, global pax headers: nothing to write
                pendingName = nil
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
        self.entries = entries
        self.folders = folders
    }

    /// The bytes of `entry`.
    public func contents(of entry: Entry) -> ArraySlice<UInt8> { bytes[entry.offset..<(entry.offset + entry.size)] }

    /// Writes every folder and regular file under `folder` (created when missing), each file atomically.
    /// Returns the paths written, relative to `folder`.
    @discardableResult
    public func extract(into folder: String) throws -> [String] {
        try makeFolders(folder)
        for entry in folders { try makeFolders(folder + "/" + entry) }
        for entry in entries {
            let target = folder + "/" + entry.path
            if let slash = target.lastIndex(of: "/") { try makeFolders(String(target[..<slash])) }
            try FileIO.writeAtomically(Array(contents(of: entry)), to: target)
        }
        return entries.map(\.path)
    }

    /// `name` with `./` prefixes and trailing slashes removed, or an error when it is empty, absolute or
    /// climbs out with `..`.
    static func checkedPath(_ name: String, path: String) throws -> String {
        guard !name.hasPrefix("/") else { throw DataError(path, "tar entry \"\(name)\" has an absolute path; refusing to extract") }
        let components = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !components.contains("..") else {
            throw DataError(path, "tar entry \"\(name)\" climbs out of the target folder with '..'; refusing to extract")
        }
        guard !components.isEmpty else { throw DataError(path, "tar entry has an empty path") }
        guard !name.contains("\0") && !name.contains("\\") else {
            throw DataError(path, "tar entry \"\(name)\" has a character not allowed in a path")
        }
        return components.joined(separator: "/")
    }

    private static func headerName(_ header: ArraySlice<UInt8>, at offset: Int, path: String) throws -> String {
        let start = header.startIndex
        let name = text(header[start..<(start + 100)])
        let isUstar = header[(start + 257)..<(start + 262)].elementsEqual("ustar".utf8)
        let prefix = isUstar ? text(header[(start + 345)..<(start + 500)]) : ""
        // Old GNU headers put other fields where ustar's prefix is; only POSIX ustar ("ustar\0") has one.
        let isPosix = isUstar && header[start + 262] == 0
        return isPosix && !prefix.isEmpty ? prefix + "/" + name : name
    }

    private static func verifyChecksum(_ header: ArraySlice<UInt8>, at offset: Int, path: String) throws {
        guard let stored = octal(header, from: 148, count: 8) else {
            throw DataError(path, "tar header at byte \(offset) has an unreadable checksum field (not a tar archive?)")
        }
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard sum == stored else {
            throw DataError(path, "tar header at byte \(offset) has checksum \(stored), computed \(sum) (corrupt archive)")
        }
    }

    /// An octal number field: digits, optionally led by spaces and ended by NUL or space. GNU's base-256
    /// form (high bit set) is read too.
    static func octal(_ header: ArraySlice<UInt8>, from field: Int, count: Int) -> Int? {
        let bytes = header[(header.startIndex + field)..<(header.startIndex + field + count)]
        if let first = bytes.first, first & 0x80 != 0 {
            guard first == 0x80, bytes.dropFirst().prefix(count - 9).allSatisfy({ $0 == 0 }) else { return nil }
            return bytes.suffix(8).reduce(0) { ($0 << 8) | Int($1) } & Int.max
        }
        var value = 0
        var digits = 0
        for byte in bytes.drop(while: { $0 == 32 }) {
            if byte == 0 || byte == 32 { break }
            guard byte >= 48 && byte <= 55, value < (1 << 60) else { return nil }
            value = value * 8 + Int(byte - 48)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private static func paxPath(_ records: ArraySlice<UInt8>, at offset: Int, path: String) throws -> String? {
        // Each record is "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
        var cursor = records.startIndex
        var found: String?
        while cursor < records.endIndex {
            guard let space = records[cursor...].firstIndex(of: 32), let length = Int(text(records[cursor..<space])),
                  length > 0, length <= records.endIndex - cursor else {
                throw DataError(path, "pax header at byte \(offset) is malformed")
            }
            let record = records[(space + 1)..<(cursor + length)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")), text(record[record.startIndex..<equals]) == "path" {
                var value = record[(equals + 1)...]
                if value.last == 10 { value = value.dropLast() }
                found = String(decoding: value, as: UTF8.self)
            }
            cursor += length
        }
        return found
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Creates `path` and its missing parents (like `mkdir -p`); an error when something that is not a
/// folder is in the way.
func makeFolders(_ path: String) throws {
    if FileIO.isDirectory(path) { return }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeFolders(String(path[..<slash])) }
    if mkdir(path, 0o755) != 0 && !(errno == EEXIST && FileIO.isDirectory(path)) {
        throw DataError(path, "cannot create the folder (\(systemErrorText()))")
    }
}
