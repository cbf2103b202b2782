import CZlib

/// A `.vqc` file: the code grids of a set of items (images, sequences) under one quantizer of K codes,
/// `depth` indices per grid position (1 for plain VQ or FSQ, N for an N-stage residual VQ), with
/// optional labels.
///
/// Layout of version 2, the one written (all integers little-endian, offsets in bytes; FORMATS.md):
///
///     0   4  magic "VQC1" (56 51 43 31)
///     4   2  version, 2
///     6   2  flags: bit 0 set when labels follow the codes; every other bit must be 0
///     8   4  count N, the number of grids (UInt32)
///    12   4  rank r of a grid (UInt32, 1...3): 1 for sequences (t), 2 for images (h, w)
///    16   4  depth D, indices per grid position (UInt32, at least 1)
///    20   4  K, the codebook size of every stage (UInt32, at least 1)
///    24  4r  the grid's sides, outermost first (UInt32 each, at least 1); P = their product
///  24+4r  …  N·P·D indices in (item, position row-major, stage) order, each max(1, ceil(log2 K)) bits,
///             packed most significant bit first (`BitPacking`), the last byte padded with zero bits
///     …  4N  labels, Int32 each, only when flag bit 0 is set
///     …   4  CRC-32 (zlib's, as in PNG and gzip) of every byte before it
///
/// Version 1 (still read, no longer written) has the same first 12 bytes, then grid height h at 12,
/// width w at 16 and K at 20 (UInt32 each), the indices from byte 24: it reads as gridShape [h, w],
/// depth 1.
///
/// The reader checks, in this order, and throws `DataError(path, problem)` at the first failure: the
/// file holds at least 28 bytes, the magic, the version (1 or 2), the flags; for version 2 the rank in
/// 1...3, the depth at least 1, the file long enough for the sides and the checksum; every side at
/// least 1, K at least 1; P·D fits in an `Int`; the length the header implies (computed without
/// overflow) equals the file's length; the checksum; every index below K; zero padding bits. No memory
/// is reserved from a header field before the length check has tied it to the bytes actually present
/// (the rank, at most 3, sizes the only other array); since every index takes at least one bit (even
/// for K = 1), the indices read never outnumber 8 × the file's bytes.
public struct CodesFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("VQC1".utf8)
    /// The version `encoded()` writes; the reader also accepts version 1.
    public static let version: UInt16 = 2
    /// The fixed part of the header; version 2 adds 4 bytes per side of the grid.
    public static let headerSize = 24
    /// The ranks a grid may have: 1 (t), 2 (h, w) or 3.
    public static let ranks = 1...3

    /// The number of grids N.
    public let count: Int
    /// The sides of one grid, outermost first: [h, w] for images (the image size / 4 for the project's
    /// VQ-VAE), [t] for sequences; rank 1...3, every side at least 1.
    public let gridShape: [Int]
    /// D, the indices per grid position: 1 for plain VQ or FSQ, N for N-stage residual VQ.
    public let depth: Int
    /// K, the codebook size (of every stage); every index is below it.
    public let numEmbeddings: Int
    /// N·P·D indices (P = `positionsPerGrid`), (N, gridShape…, D) row-major: item, then position, then stage.
    public let indices: [Int32]
    /// N labels, or empty.
    public let labels: [Int32]

    /// The grid's height: the second-to-last side (`gridShape[0]` for rank 2), 1 for a rank-1 grid.
    /// For rank 3, height·width is one slice of the grid, not `positionsPerGrid`.
    public var height: Int { gridShape.count >= 2 ? gridShape[gridShape.count - 2] : 1 }
    /// The grid's width: its last side (t for a rank-1 grid).
    public var width: Int { gridShape[gridShape.count - 1] }
    /// P, the positions in one grid: the product of `gridShape`. Always representable for a file that was
    /// read (the reader refuses grids whose P·D overflows); an empty file built in memory with sides
    /// near 2^32 can overflow, and then this traps.
    public var positionsPerGrid: Int { gridShape.reduce(1, *) }

    /// Wraps code grids; `indices` must hold count·product(gridShape)·depth values in 0..<numEmbeddings,
    /// (item, position, stage) row-major.
    public init(count: Int, gridShape: [Int], depth: Int = 1, numEmbeddings: Int, indices: [Int32], labels: [Int32] = []) {
        let field = 1...Int(UInt32.max)
        precondition(CodesFile.ranks.contains(gridShape.count), "CodesFile: grid rank \(gridShape.count) is not in 1...3")
        precondition((0...Int(UInt32.max)).contains(count) && gridShape.allSatisfy(field.contains) && field.contains(depth)
                     && field.contains(numEmbeddings),
                     "CodesFile: bad sizes \(count) grids of \(CodesFile.describe(gridShape)), depth \(depth), K \(numEmbeddings)")
        let implied = CodesFile.indexCount(count: count, gridShape: gridShape, depth: depth)
        precondition(implied == indices.count,
                     "CodesFile: \(indices.count) indices for \(count) grids of \(CodesFile.describe(gridShape)), depth \(depth)")
        precondition(indices.allSatisfy { $0 >= 0 && Int($0) < numEmbeddings }, "CodesFile: an index is outside 0..<\(numEmbeddings)")
        precondition(labels.isEmpty || labels.count == count, "CodesFile: \(labels.count) labels for \(count) grids")
        self.count = count
        self.gridShape = gridShape
        self.depth = depth
        self.numEmbeddings = numEmbeddings
        self.indices = indices
        self.labels = labels
    }

    /// Wraps 2-D code grids of one index per position: gridShape [height, width], depth 1.
    public init(count: Int, height: Int, width: Int, numEmbeddings: Int, indices: [Int32], labels: [Int32] = []) {
        self.init(count: count, gridShape: [height, width], depth: 1, numEmbeddings: numEmbeddings, indices: indices, labels: labels)
    }

    /// count·product(gridShape)·depth, multiplied from `count` on (so 0 grids never overflow), or nil
    /// when it does not fit in an `Int`.
    static func indexCount(count: Int, gridShape: [Int], depth: Int) -> Int? {
        var total = count
        for factor in gridShape + [depth] {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// "7", "3x5" or "2x3x4".
    static func describe(_ gridShape: [Int]) -> String { gridShape.map(String.init).joined(separator: "x") }

    /// Bits per index: ceil(log2 K), at least 1.
    public var bitWidth: Int { CodesFile.bitWidth(numEmbeddings: numEmbeddings) }

    /// Bits per index for a codebook of K codes: ceil(log2 K), at least 1 (so the count of indices
    /// is always tied to the file's length).
    public static func bitWidth(numEmbeddings: Int) -> Int { max(1, BitPacking.bitWidth(forCount: numEmbeddings)) }

    /// The indices of grid `item` (0..<count), P·D of them, (position, stage) row-major.
    public func grid(_ item: Int) -> ArraySlice<Int32> {
        precondition((0..<count).contains(item), "CodesFile.grid: item \(item) is not in 0..<\(count)")
        let size = positionsPerGrid * depth
        return indices[(item * size)..<((item + 1) * size)]
    }

    /// The first `stages` indices of every position, as a residual model decoded at lower depth would use
    /// them; `stages` in 1...depth. Count, grid shape, K and labels are kept.
    public func truncated(toDepth stages: Int) -> CodesFile {
        precondition((1...depth).contains(stages), "CodesFile.truncated: depth \(stages) is not in 1...\(depth)")
        guard stages < depth else { return self }
        var kept: [Int32] = []
        kept.reserveCapacity(indices.count / depth * stages)
        for start in stride(from: 0, to: indices.count, by: depth) { kept += indices[start..<(start + stages)] }
        return CodesFile(count: count, gridShape: gridShape, depth: stages, numEmbeddings: numEmbeddings, indices: kept, labels: labels)
    }

    /// The file's bytes, version 2.
    public func encoded() -> [UInt8] {
        var bytes = CodesFile.magic
        appendLittleEndian(UInt64(CodesFile.version), byteCount: 2, to: &bytes)
        appendLittleEndian(labels.isEmpty ? 0 : 1, byteCount: 2, to: &bytes)
        for field in [count, gridShape.count, depth, numEmbeddings] + gridShape {
            appendLittleEndian(UInt64(field), byteCount: 4, to: &bytes)
        }
        bytes += BitPacking.pack(indices.map { UInt32($0) }, bitWidth: bitWidth)
        for label in labels { appendLittleEndian(UInt64(UInt32(bitPattern: label)), byteCount: 4, to: &bytes) }
        appendLittleEndian(UInt64(CodesFile.checksum(bytes[...])), byteCount: 4, to: &bytes)
        return bytes
    }

    /// Writes the file at `path` (version 2), atomically.
    public func write(to path: String) throws { try FileIO.writeAtomically(encoded(), to: path) }

    /// Reads and validates the file at `path` (version 1 or 2).
    public init(contentsOf path: String) throws {
        try self.init(parsing: FileIO.read(path, limit: 1 << 32), path: path)
    }

    /// Validates and decodes `bytes` (version 1 or 2); `path` names the source in errors.
    public init(parsing bytes: [UInt8], path: String) throws {
        func fail(_ problem: String) -> DataError { DataError(path, problem) }
        func field(at offset: Int) -> Int { Int(readLittleEndian(bytes, at: offset, byteCount: 4)) }
        guard bytes.count >= CodesFile.headerSize + 4 else {
            throw fail("is \(bytes.count) bytes, too short for a codes file (at least \(CodesFile.headerSize + 4))")
        }
        guard Array(bytes[0..<4]) == CodesFile.magic else { throw fail("not a codes file (the first bytes are not 'VQC1')") }
        let version = readLittleEndian(bytes, at: 4, byteCount: 2)
        guard version == 1 || version == 2 else { throw fail("codes file version \(version) is not supported (only 1 and 2)") }
        let flags = readLittleEndian(bytes, at: 6, byteCount: 2)
        guard flags & ~1 == 0 else { throw fail("unknown flags 0x\(String(flags, radix: 16)) in the header") }
        let hasLabels = flags & 1 == 1
        let count = field(at: 8)
        let numEmbeddings = field(at: 20)
        let gridShape: [Int], depth: Int, codesStart: Int
        if version == 1 {
            (gridShape, depth, codesStart) = ([field(at: 12), field(at: 16)], 1, CodesFile.headerSize)
        } else {
            let rank = field(at: 12)
            depth = field(at: 16)
            guard CodesFile.ranks.contains(rank) else { throw fail("the grid rank is \(rank); it must be 1, 2 or 3") }
            guard depth >= 1 else { throw fail("the depth is 0; every grid position needs at least 1 index") }
            codesStart = CodesFile.headerSize + 4 * rank
            guard bytes.count >= codesStart + 4 else {
                throw fail("is \(bytes.count) bytes, too short for a version-2 header of rank \(rank) and a checksum (at least \(codesStart + 4))")
            }
            gridShape = (0..<rank).map { field(at: CodesFile.headerSize + 4 * $0) }
        }
        let shape = CodesFile.describe(gridShape)
        let depthNote = depth == 1 ? "" : ", depth \(depth)"   // depth 1 (plain VQ, every version-1 file) goes unsaid
        guard gridShape.allSatisfy({ $0 >= 1 }) else { throw fail("the grid is \(shape); every side must be at least 1") }
        guard numEmbeddings >= 1 else { throw fail("the codebook size K is 0") }
        // Every field is below 2^32: the products below are checked for overflow. P·D is checked on its
        // own, so that even a file of 0 grids has a positionsPerGrid that can be computed.
        guard CodesFile.indexCount(count: 1, gridShape: gridShape, depth: depth) != nil else {
            throw fail("each grid (\(shape)\(depthNote)) holds more indices than can be counted")
        }
        let bitWidth = CodesFile.bitWidth(numEmbeddings: numEmbeddings)
        let values = CodesFile.indexCount(count: count, gridShape: gridShape, depth: depth)
        let expected = values.flatMap { BitPacking.byteCount(values: $0, bitWidth: bitWidth) }
            .map { codesStart + $0 + (hasLabels ? 4 * count : 0) + 4 }
        guard let values, let expected, expected == bytes.count else {
            let size = expected.map { "\($0) bytes" } ?? "more bytes than can exist"
            throw fail("the header (\(count) grids of \(shape)\(depthNote), K \(numEmbeddings)\(hasLabels ? ", labels" : "")) needs \(size), the file has \(bytes.count)\(expected.map { $0 > bytes.count ? " (truncated)" : "" } ?? "")")
        }
        let stored = UInt32(readLittleEndian(bytes, at: bytes.count - 4, byteCount: 4))
        let computed = CodesFile.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else {
            throw fail("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is corrupted")
        }
        let packedEnd = bytes.count - 4 - (hasLabels ? 4 * count : 0)
        let (unpacked, paddingIsZero) = BitPacking.unpack(bytes[codesStart..<packedEnd], count: values, bitWidth: bitWidth)
        if let offset = unpacked.firstIndex(where: { Int($0) >= numEmbeddings }) {
            let positions = gridShape.reduce(1, *)
            let (item, position, stage) = (offset / (positions * depth), offset / depth % positions, offset % depth)
            throw fail("code \(unpacked[offset]) (item \(item), position \(position), stage \(stage)) is not below K = \(numEmbeddings)")
        }
        guard paddingIsZero else { throw fail("the padding bits after the last code are not zero") }
        let labels = hasLabels
            ? (0..<count).map { Int32(bitPattern: UInt32(readLittleEndian(bytes, at: packedEnd + 4 * $0, byteCount: 4))) }
            : []
        self.init(count: count, gridShape: gridShape, depth: depth, numEmbeddings: numEmbeddings,
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
