import CZlib

/// A `.vqc` file: the code grids of a set of images under one VQ-VAE codebook, with optional labels.
///
/// Layout (version 1; all integers little-endian, offsets in bytes):
///
///     0   4  magic "VQC1" (56 51 43 31)
///     4   2  version, 1
///     6   2  flags: bit 0 set when labels follow the codes; every other bit must be 0
///     8   4  count N, the number of grids (UInt32)
///    12   4  grid height h (UInt32, at least 1)
///    16   4  grid width w (UInt32, at least 1)
///    20   4  K, the codebook size (UInt32, at least 1)
///    24   …  N·h·w indices in (item, row, column) order, each max(1, ceil(log2 K)) bits, packed most
///             significant bit first (`BitPacking`), the last byte padded with zero bits
///     …   4N labels, Int32 each, only when flag bit 0 is set
///     …   4  CRC-32 (zlib's, as in PNG and gzip) of every byte before it
///
/// The reader checks, in this order, and throws `DataError(path, problem)` at the first failure: the
/// file is long enough for a header, the magic, the version, the flags, h, w and K at least 1, the
/// length the header implies (computed without overflow) equals the file's length, the checksum,
/// every index below K, zero padding bits. No memory is reserved from a header field before the
/// length check has tied it to the bytes actually present; since every index takes at least one
/// bit (even for K = 1), the indices read never outnumber 8 × the file's bytes.
public struct CodesFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("VQC1".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 24

    /// The number of grids N.
    public let count: Int
    /// Grid height h and width w (the image size / 4 for the project's VQ-VAE).
    public let height: Int
    public let width: Int
    /// K, the codebook size; every index is below it.
    public let numEmbeddings: Int
    /// N·h·w indices, (N, h, w) row-major.
    public let indices: [Int32]
    /// N labels, or empty.
    public let labels: [Int32]

    /// Wraps code grids; `indices` must hold count·height·width values in 0..<numEmbeddings.
    public init(count: Int, height: Int, width: Int, numEmbeddings: Int, indices: [Int32], labels: [Int32] = []) {
        precondition(count >= 0 && height >= 1 && width >= 1 && (1...Int(UInt32.max)).contains(numEmbeddings),
                     "CodesFile: bad sizes \(count)x\(height)x\(width), K \(numEmbeddings)")
        precondition(count <= Int(UInt32.max) && height <= Int(UInt32.max) && width <= Int(UInt32.max), "CodesFile: sizes exceed 32 bits")
        precondition(indices.count == count * height * width, "CodesFile: \(indices.count) indices for \(count) grids of \(height)x\(width)")
        precondition(indices.allSatisfy { $0 >= 0 && Int($0) < numEmbeddings }, "CodesFile: an index is outside 0..<\(numEmbeddings)")
        precondition(labels.isEmpty || labels.count == count, "CodesFile: \(labels.count) labels for \(count) grids")
        self.count = count
        self.height = height
        self.width = width
        self.numEmbeddings = numEmbeddings
        self.indices = indices
        self.labels = labels
    }

    /// Bits per index: ceil(log2 K), at least 1.
    public var bitWidth: Int { CodesFile.bitWidth(numEmbeddings: numEmbeddings) }

    /// Bits per index for a codebook of K codes: ceil(log2 K), at least 1 (so the count of indices
    /// is always tied to the file's length).
    public static func bitWidth(numEmbeddings: Int) -> Int { max(1, BitPacking.bitWidth(forCount: numEmbeddings)) }

    /// The indices of grid `item`, h·w of them.
    public func grid(_ item: Int) -> ArraySlice<Int32> {
        indices[(item * height * width)..<((item + 1) * height * width)]
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var bytes = CodesFile.magic
        appendLittleEndian(UInt64(CodesFile.version), byteCount: 2, to: &bytes)
        appendLittleEndian(labels.isEmpty ? 0 : 1, byteCount: 2, to: &bytes)
        for field in [count, height, width, numEmbeddings] { appendLittleEndian(UInt64(field), byteCount: 4, to: &bytes) }
        bytes += BitPacking.pack(indices.map { UInt32($0) }, bitWidth: bitWidth)
        for label in labels { appendLittleEndian(UInt64(UInt32(bitPattern: label)), byteCount: 4, to: &bytes) }
        appendLittleEndian(UInt64(CodesFile.checksum(bytes[...])), byteCount: 4, to: &bytes)
        return bytes
    }

    /// Writes the file at `path`, atomically.
    public func write(to path: String) throws { try FileIO.writeAtomically(encoded(), to: path) }

    /// Reads and validates the file at `path`.
    public init(contentsOf path: String) throws {
        try self.init(parsing: FileIO.read(path, limit: 1 << 32), path: path)
    }

    /// Validates and decodes `bytes`; `path` names the source in errors.
    public init(parsing bytes: [UInt8], path: String) throws {
        func fail(_ problem: String) -> DataError { DataError(path, problem) }
        guard bytes.count >= CodesFile.headerSize + 4 else {
            throw fail("is \(bytes.count) bytes, too short for a codes file (at least \(CodesFile.headerSize + 4))")
        }
        guard Array(bytes[0..<4]) == CodesFile.magic else { throw fail("not a codes file (the first bytes are not 'VQC1')") }
        let version = readLittleEndian(bytes, at: 4, byteCount: 2)
        guard version == UInt64(CodesFile.version) else { throw fail("codes file version \(version) is not supported (only \(CodesFile.version))") }
        let flags = readLittleEndian(bytes, at: 6, byteCount: 2)
        guard flags & ~1 == 0 else { throw fail("unknown flags 0x\(String(flags, radix: 16)) in the header") }
        let hasLabels = flags & 1 == 1
        let count = Int(readLittleEndian(bytes, at: 8, byteCount: 4))
        let height = Int(readLittleEndian(bytes, at: 12, byteCount: 4))
        let width = Int(readLittleEndian(bytes, at: 16, byteCount: 4))
        let numEmbeddings = Int(readLittleEndian(bytes, at: 20, byteCount: 4))
        guard height >= 1, width >= 1 else { throw fail("the grid is \(height)x\(width); both sides must be at least 1") }
        guard numEmbeddings >= 1 else { throw fail("the codebook size K is 0") }
        let bitWidth = CodesFile.bitWidth(numEmbeddings: numEmbeddings)
        // count, height, width < 2^32 each: the products below are checked for overflow.
        let (cells, overflow1) = count.multipliedReportingOverflow(by: height)
        let (values, overflow2) = cells.multipliedReportingOverflow(by: width)
        let expected = overflow1 || overflow2 ? nil : BitPacking.byteCount(values: values, bitWidth: bitWidth)
            .map { CodesFile.headerSize + $0 + (hasLabels ? 4 * count : 0) + 4 }
        guard let expected, expected == bytes.count else {
            let size = expected.map { "\($0) bytes" } ?? "more bytes than can exist"
            throw fail("the header (\(count) grids of \(height)x\(width), K \(numEmbeddings)\(hasLabels ? ", labels" : "")) needs \(size), the file has \(bytes.count)\(expected.map { $0 > bytes.count ? " (truncated)" : "" } ?? "")")
        }
        let stored = UInt32(readLittleEndian(bytes, at: bytes.count - 4, byteCount: 4))
        let computed = CodesFile.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else {
            throw fail("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is corrupted")
        }
        let packedEnd = bytes.count - 4 - (hasLabels ? 4 * count : 0)
        let (unpacked, paddingIsZero) = BitPacking.unpack(bytes[CodesFile.headerSize..<packedEnd], count: values, bitWidth: bitWidth)
        if let position = unpacked.firstIndex(where: { Int($0) >= numEmbeddings }) {
            throw fail("code \(unpacked[position]) at position \(position) is not below K = \(numEmbeddings)")
        }
        guard paddingIsZero else { throw fail("the padding bits after the last code are not zero") }
        let labels = hasLabels
            ? (0..<count).map { Int32(bitPattern: UInt32(readLittleEndian(bytes, at: packedEnd + 4 * $0, byteCount: 4))) }
            : []
        self.init(count: count, height: height, width: width, numEmbeddings: numEmbeddings,
                  indices: unpacked.map { Int32(bitPattern: $0) }, labels: labels)
    }

    /// zlib's CRC-32 of `bytes`.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = crc32(0, nil, 0)
            var start = 0
            while start < buffer.count {  // zlib takes UInt32 lengths: feed in chunks
                let length = min(buffer.count - start, 1 << 30)
                crc = crc32(crc, buffer.baseAddress! + start, UInt32(length))
                start += length
            }
            return UInt32(crc)
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

private func appendLittleEndian(_ value: UInt64, byteCount: Int, to bytes: inout [UInt8]) {
    for index in 0..<byteCount { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index))) }
}

private func readLittleEndian(_ bytes: [UInt8], at offset: Int, byteCount: Int) -> UInt64 {
    (0..<byteCount).reduce(0) { $0 | UInt64(bytes[offset + $1]) << UInt64(8 * $1) }
}
