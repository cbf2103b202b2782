import CZlib

/// A `.vqc` file: the code grids of a set of items (images, sequences) under one quantizer of K codes,
/// `depth` indices per grid position (1 for plain VQ or FSQ, N for an N-stage residual VQ), with
/// optional labels and speakers. Either every grid has the same shape (a regular file), or the grids
/// are sequences of different lengths (a ragged file: speech units of clips of different durations).
///
/// Layout of version 2, the one written (all integers little-endian, offsets in bytes; FORMATS.md):
///
///     0   4  magic "VQC1" (56 51 43 31)
///     4   2  version, 2
///     6   2  flags: bit 0 labels, bit 1 ragged, bit 2 speakers; every other bit must be 0
///     8   4  count N, the number of grids (UInt32)
///    12   4  rank r of a grid (UInt32, 1...3): 1 for sequences (t), 2 for images (h, w); 1 when ragged
///    16   4  depth D, indices per grid position (UInt32, at least 1)
///    20   4  K, the codebook size of every stage (UInt32, at least 1)
///    24  4r  the grid's sides, outermost first (UInt32 each, at least 1); P = their product. Ragged:
///             the one side is L, the longest length (1 when N = 0)
///  24+4r 4N  ragged only: each grid's length (UInt32 each, 1...L); S = their sum (regular: S = N·P)
///     …  …   S·D indices in (item, position row-major, stage) order, each max(1, ceil(log2 K)) bits,
///             packed most significant bit first (`BitPacking`), the last byte padded with zero bits
///     …  4N  labels, Int32 each, only when flag bit 0 is set
///     …  4N  speakers, Int32 each, only when flag bit 2 is set
///     …   4  CRC-32 (zlib's, as in PNG and gzip) of every byte before it
///
/// A regular file without speakers has flags 0 or 1 and the same bytes as before ragged files existed;
/// readers older than flag bits 1 and 2 refuse the others as "unknown flags".
///
/// Version 1 (still read, no longer written) has the same first 12 bytes, then grid height h at 12,
/// width w at 16 and K at 20 (UInt32 each), the indices from byte 24, flag bit 0 only: it reads as
/// gridShape [h, w], depth 1.
///
/// The reader checks, in this order, and throws `DataError(path, problem)` at the first failure: the
/// file holds at least 28 bytes, the magic, the version (1 or 2), the flags; for version 2 the rank in
/// 1...3, the depth at least 1, rank 1 when ragged, the file long enough for the sides and the
/// checksum; every side at least 1, K at least 1; P·D fits in an `Int`; when ragged, the file long
/// enough for the lengths table and the checksum, then every length in 1...L, L the longest of them,
/// their sum (overflow-checked) times D fits in an `Int`; the length the header (and the lengths
/// table) implies, computed without overflow, equals the file's length; the checksum; every index below
/// K; zero padding bits. No memory is reserved from a header field before a length check has tied it
/// to the bytes actually present (the rank, at most 3, sizes the only other array; the lengths table
/// is read only once the file holds its 4N bytes); since every index takes at least one bit (even for
/// K = 1), the indices read never outnumber 8 × the file's bytes.
public struct CodesFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("VQC1".utf8)
    /// The version `encoded()` writes; the reader also accepts version 1.
    public static let version: UInt16 = 2
    /// The fixed part of the header; version 2 adds 4 bytes per side of the grid.
    public static let headerSize = 24
    /// The ranks a grid may have: 1 (t), 2 (h, w) or 3.
    public static let ranks = 1...3
    /// Flag bit 0: a table of N labels follows the codes.
    public static let labelsFlag: UInt16 = 1 << 0
    /// Flag bit 1 (version 2, rank 1 only): the grids are sequences of their own lengths, given in a
    /// table of N lengths after the header.
    public static let raggedFlag: UInt16 = 1 << 1
    /// Flag bit 2 (version 2): a table of N speakers follows the codes (after the labels, if any).
    public static let speakersFlag: UInt16 = 1 << 2

    /// The number of grids N.
    public let count: Int
    /// The sides of one grid, outermost first: [h, w] for images (the image size / 4 for the project's
    /// VQ-VAE), [t] for sequences; rank 1...3, every side at least 1. For a ragged file, [L]: the
    /// longest of `lengths` (1 when there are no grids).
    public let gridShape: [Int]
    /// D, the indices per grid position: 1 for plain VQ or FSQ, N for N-stage residual VQ.
    public let depth: Int
    /// K, the codebook size (of every stage); every index is below it.
    public let numEmbeddings: Int
    /// S·D indices, S the positions of all grids (N·P for a regular file, the sum of `lengths` for a
    /// ragged one): item, then position (row-major), then stage.
    public let indices: [Int32]
    /// N labels, or empty.
    public let labels: [Int32]
    /// N speaker indices (into a list of names the model or the dataset keeps), or empty.
    public let speakers: [Int32]
    /// Each grid's number of positions (each in 1...L) for a ragged file of sequences; nil for a regular
    /// file, whose grids all have `positionsPerGrid` positions.
    public let lengths: [Int]?
    /// Ragged files: N + 1 prefix sums of `lengths` (the positions before each grid, then S); empty
    /// for regular files. Derived from `lengths`, so it never makes two files unequal on its own.
    private let starts: [Int]

    /// The grid's height: the second-to-last side (`gridShape[0]` for rank 2), 1 for a rank-1 grid.
    /// For rank 3, height·width is one slice of the grid, not `positionsPerGrid`.
    public var height: Int { gridShape.count >= 2 ? gridShape[gridShape.count - 2] : 1 }
    /// The grid's width: its last side (t for a rank-1 grid, L for a ragged file).
    public var width: Int { gridShape[gridShape.count - 1] }
    /// P, the positions in one grid: the product of `gridShape`; for a ragged file L, the longest grid's
    /// (`positions(ofItem:)` gives each grid's). Always representable for a file that was read (the
    /// reader refuses grids whose P·D overflows); an empty file built in memory with sides near 2^32 can
    /// overflow, and then this traps.
    public var positionsPerGrid: Int { gridShape.reduce(1, *) }
    /// Whether the grids are sequences of their own lengths (`lengths` is not nil).
    public var isRagged: Bool { lengths != nil }

    /// Wraps code grids of one shape; `indices` must hold count·product(gridShape)·depth values in
    /// 0..<numEmbeddings, (item, position, stage) row-major.
    public init(count: Int, gridShape: [Int], depth: Int = 1, numEmbeddings: Int, indices: [Int32], labels: [Int32] = [],
                speakers: [Int32] = []) {
        let field = 1...Int(UInt32.max)
        precondition(CodesFile.ranks.contains(gridShape.count), "CodesFile: grid rank \(gridShape.count) is not in 1...3")
        precondition((0...Int(UInt32.max)).contains(count) && gridShape.allSatisfy(field.contains) && field.contains(depth)
                     && field.contains(numEmbeddings),
                     "CodesFile: bad sizes \(count) grids of \(CodesFile.describe(gridShape)), depth \(depth), K \(numEmbeddings)")
        let implied = CodesFile.indexCount(count: count, gridShape: gridShape, depth: depth)
        precondition(implied == indices.count,
                     "CodesFile: \(indices.count) indices for \(count) grids of \(CodesFile.describe(gridShape)), depth \(depth)")
        CodesFile.checkItems(count: count, numEmbeddings: numEmbeddings, indices: indices, labels: labels, speakers: speakers)
        self.count = count
        self.gridShape = gridShape
        self.depth = depth
        self.numEmbeddings = numEmbeddings
        self.indices = indices
        self.labels = labels
        self.speakers = speakers
        self.lengths = nil
        self.starts = []
    }

    /// Wraps 2-D code grids of one index per position: gridShape [height, width], depth 1.
    public init(count: Int, height: Int, width: Int, numEmbeddings: Int, indices: [Int32], labels: [Int32] = []) {
        self.init(count: count, gridShape: [height, width], depth: 1, numEmbeddings: numEmbeddings, indices: indices, labels: labels)
    }

    /// Wraps sequences of different lengths (a ragged file): `lengths` holds `count` lengths, each at
    /// least 1, and `indices` sum(lengths)·depth values in 0..<numEmbeddings, (item, position, stage)
    /// row-major with each item's own positions only. `gridShape` becomes [the longest length] (1 for
    /// no items).
    public init(count: Int, lengths: [Int], depth: Int = 1, numEmbeddings: Int, indices: [Int32], labels: [Int32] = [],
                speakers: [Int32] = []) {
        let field = 1...Int(UInt32.max)
        precondition((0...Int(UInt32.max)).contains(count) && lengths.count == count && field.contains(depth)
                     && field.contains(numEmbeddings),
                     "CodesFile: bad sizes \(count) grids of \(lengths.count) lengths, depth \(depth), K \(numEmbeddings)")
        precondition(lengths.allSatisfy(field.contains), "CodesFile: a length is not in 1...\(UInt32.max)")
        precondition(CodesFile.indexCount(lengths: lengths, depth: depth) == indices.count,
                     "CodesFile: \(indices.count) indices for \(count) grids of lengths summing to \(lengths.reduce(0, &+)), depth \(depth)")
        CodesFile.checkItems(count: count, numEmbeddings: numEmbeddings, indices: indices, labels: labels, speakers: speakers)
        var starts = [0]
        starts.reserveCapacity(count + 1)
        for length in lengths { starts.append(starts[starts.count - 1] + length) }
        self.count = count
        self.gridShape = [lengths.max() ?? 1]
        self.depth = depth
        self.numEmbeddings = numEmbeddings
        self.indices = indices
        self.labels = labels
        self.speakers = speakers
        self.lengths = lengths
        self.starts = starts
    }

    private static func checkItems(count: Int, numEmbeddings: Int, indices: [Int32], labels: [Int32], speakers: [Int32]) {
        precondition(indices.allSatisfy { $0 >= 0 && Int($0) < numEmbeddings }, "CodesFile: an index is outside 0..<\(numEmbeddings)")
        precondition(labels.isEmpty || labels.count == count, "CodesFile: \(labels.count) labels for \(count) grids")
        precondition(speakers.isEmpty || speakers.count == count, "CodesFile: \(speakers.count) speakers for \(count) grids")
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

    /// sum(lengths)·depth, or nil when the sum or the product does not fit in an `Int`.
    static func indexCount(lengths: some Sequence<Int>, depth: Int) -> Int? {
        var total = 0
        for length in lengths {
            let (sum, overflow) = total.addingReportingOverflow(length)
            if overflow { return nil }
            total = sum
        }
        let (product, overflow) = total.multipliedReportingOverflow(by: depth)
        return overflow ? nil : product
    }

    /// "7", "3x5" or "2x3x4".
    static func describe(_ gridShape: [Int]) -> String { gridShape.map(String.init).joined(separator: "x") }

    /// Bits per index: ceil(log2 K), at least 1.
    public var bitWidth: Int { CodesFile.bitWidth(numEmbeddings: numEmbeddings) }

    /// Bits per index for a codebook of K codes: ceil(log2 K), at least 1 (so the count of indices
    /// is always tied to the file's length).
    public static func bitWidth(numEmbeddings: Int) -> Int { max(1, BitPacking.bitWidth(forCount: numEmbeddings)) }

    /// The positions of grid `item` (0..<count): its length in a ragged file, `positionsPerGrid` otherwise.
    public func positions(ofItem item: Int) -> Int {
        precondition((0..<count).contains(item), "CodesFile.positions: item \(item) is not in 0..<\(count)")
        return lengths?[item] ?? positionsPerGrid
    }

    /// The indices of grid `item` (0..<count), positions(ofItem: item)·D of them, (position, stage) row-major.
    public func grid(_ item: Int) -> ArraySlice<Int32> {
        precondition((0..<count).contains(item), "CodesFile.grid: item \(item) is not in 0..<\(count)")
        if isRagged { return indices[(starts[item] * depth)..<(starts[item + 1] * depth)] }
        let size = positionsPerGrid * depth
        return indices[(item * size)..<((item + 1) * size)]
    }

    /// The first `stages` indices of every position, as a residual model decoded at lower depth would use
    /// them; `stages` in 1...depth. Count, grid shape (or lengths), K, labels and speakers are kept.
    public func truncated(toDepth stages: Int) -> CodesFile {
        precondition((1...depth).contains(stages), "CodesFile.truncated: depth \(stages) is not in 1...\(depth)")
        guard stages < depth else { return self }
        var kept: [Int32] = []
        kept.reserveCapacity(indices.count / depth * stages)
        for start in stride(from: 0, to: indices.count, by: depth) { kept += indices[start..<(start + stages)] }
        if let lengths {
            return CodesFile(count: count, lengths: lengths, depth: stages, numEmbeddings: numEmbeddings, indices: kept,
                             labels: labels, speakers: speakers)
        }
        return CodesFile(count: count, gridShape: gridShape, depth: stages, numEmbeddings: numEmbeddings, indices: kept,
                         labels: labels, speakers: speakers)
    }

    /// The file's bytes, version 2.
    public func encoded() -> [UInt8] {
        var flags: UInt16 = 0
        if !labels.isEmpty { flags |= CodesFile.labelsFlag }
        if isRagged { flags |= CodesFile.raggedFlag }
        if !speakers.isEmpty { flags |= CodesFile.speakersFlag }
        var bytes = CodesFile.magic
        appendLittleEndian(UInt64(CodesFile.version), byteCount: 2, to: &bytes)
        appendLittleEndian(UInt64(flags), byteCount: 2, to: &bytes)
        for field in [count, gridShape.count, depth, numEmbeddings] + gridShape + (lengths ?? []) {
            appendLittleEndian(UInt64(field), byteCount: 4, to: &bytes)
        }
        bytes += BitPacking.pack(indices.map { UInt32($0) }, bitWidth: bitWidth)
        for value in labels + speakers { appendLittleEndian(UInt64(UInt32(bitPattern: value)), byteCount: 4, to: &bytes) }
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
        let known = UInt64(version == 1 ? CodesFile.labelsFlag : CodesFile.labelsFlag | CodesFile.raggedFlag | CodesFile.speakersFlag)
        guard flags & ~known == 0 else { throw fail("unknown flags 0x\(String(flags, radix: 16)) in the header") }
        let hasLabels = flags & UInt64(CodesFile.labelsFlag) != 0
        let isRagged = flags & UInt64(CodesFile.raggedFlag) != 0
        let hasSpeakers = flags & UInt64(CodesFile.speakersFlag) != 0
        let count = field(at: 8)
        let numEmbeddings = field(at: 20)
        let gridShape: [Int], depth: Int, sidesEnd: Int
        if version == 1 {
            (gridShape, depth, sidesEnd) = ([field(at: 12), field(at: 16)], 1, CodesFile.headerSize)
        } else {
            let rank = field(at: 12)
            depth = field(at: 16)
            guard CodesFile.ranks.contains(rank) else { throw fail("the grid rank is \(rank); it must be 1, 2 or 3") }
            guard depth >= 1 else { throw fail("the depth is 0; every grid position needs at least 1 index") }
            guard !isRagged || rank == 1 else {
                throw fail("the grids are ragged (flag bit 1) but of rank \(rank); only sequences (rank 1) can be ragged")
            }
            sidesEnd = CodesFile.headerSize + 4 * rank
            guard bytes.count >= sidesEnd + 4 else {
                throw fail("is \(bytes.count) bytes, too short for a version-2 header of rank \(rank) and a checksum (at least \(sidesEnd + 4))")
            }
            gridShape = (0..<rank).map { field(at: CodesFile.headerSize + 4 * $0) }
        }
        let shape = CodesFile.describe(gridShape)
        let depthNote = depth == 1 ? "" : ", depth \(depth)"   // depth 1 (plain VQ, every version-1 file) goes unsaid
        let tablesNote = (hasLabels ? ", labels" : "") + (hasSpeakers ? ", speakers" : "")
        guard gridShape.allSatisfy({ $0 >= 1 }) else { throw fail("the grid is \(shape); every side must be at least 1") }
        guard numEmbeddings >= 1 else { throw fail("the codebook size K is 0") }
        // Every field is below 2^32: the products below are checked for overflow. P·D is checked on its
        // own, so that even a file of 0 grids has a positionsPerGrid that can be computed (for a ragged
        // file, P = L bounds every grid's length, so no grid's length·D overflows either).
        guard CodesFile.indexCount(count: 1, gridShape: gridShape, depth: depth) != nil else {
            throw fail("each grid (\(shape)\(depthNote)) holds more indices than can be counted")
        }
        // Ragged: the lengths table (4N bytes, N < 2^32) must be present before a length is read; each
        // length is checked as it is summed, and nothing is allocated until the total length is checked.
        let codesStart = isRagged ? sidesEnd + 4 * count : sidesEnd
        let values: Int?
        let header: String   // what the header (and lengths table) claims, for the length check's message
        if isRagged {
            let longest = gridShape[0]
            guard bytes.count >= codesStart + 4 else {
                throw fail("is \(bytes.count) bytes, too short for the lengths of \(count) ragged grids and a checksum (at least \(codesStart + 4))")
            }
            var (total, longestRead, totalOverflows) = (0, 0, false)
            for item in 0..<count {
                let length = field(at: sidesEnd + 4 * item)
                guard length >= 1 else { throw fail("item \(item) has length 0; every ragged grid has at least 1 position") }
                guard length <= longest else {
                    throw fail("item \(item) has length \(length), more than the longest length \(longest) in the header")
                }
                longestRead = max(longestRead, length)
                let (sum, overflow) = total.addingReportingOverflow(length)
                (total, totalOverflows) = (sum, totalOverflows || overflow)
            }
            guard longestRead == longest || (count == 0 && longest == 1) else {
                throw fail(count == 0 ? "the header's longest length is \(longest) for 0 ragged grids (it must be 1)"
                                      : "the header's longest length is \(longest), the longest grid has \(longestRead) positions")
            }
            let (product, overflow) = total.multipliedReportingOverflow(by: depth)
            values = totalOverflows || overflow ? nil : product
            header = "header and lengths (\(count) ragged grids of at most \(longest), \(totalOverflows ? "too many" : String(total)) positions in all"
        } else {
            values = CodesFile.indexCount(count: count, gridShape: gridShape, depth: depth)
            header = "header (\(count) grids of \(shape)"
        }
        let bitWidth = CodesFile.bitWidth(numEmbeddings: numEmbeddings)
        let tables = 4 * count * ((hasLabels ? 1 : 0) + (hasSpeakers ? 1 : 0))   // labels and speakers after the codes
        let expected = values.flatMap { BitPacking.byteCount(values: $0, bitWidth: bitWidth) }
            .flatMap { packed -> Int? in
                let (sum, overflow) = packed.addingReportingOverflow(codesStart + tables + 4)
                return overflow ? nil : sum
            }
        guard let values, let expected, expected == bytes.count else {
            let size = expected.map { "\($0) bytes" } ?? "more bytes than can exist"
            let verb = isRagged ? "need" : "needs"
            throw fail("the \(header)\(depthNote), K \(numEmbeddings)\(tablesNote)) \(verb) \(size), the file has \(bytes.count)\(expected.map { $0 > bytes.count ? " (truncated)" : "" } ?? "")")
        }
        let stored = UInt32(readLittleEndian(bytes, at: bytes.count - 4, byteCount: 4))
        let computed = CodesFile.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else {
            throw fail("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is corrupted")
        }
        let lengths = isRagged ? (0..<count).map { field(at: sidesEnd + 4 * $0) } : nil
        let packedEnd = bytes.count - 4 - tables
        let (unpacked, paddingIsZero) = BitPacking.unpack(bytes[codesStart..<packedEnd], count: values, bitWidth: bitWidth)
        if let offset = unpacked.firstIndex(where: { Int($0) >= numEmbeddings }) {
            var (item, position) = (0, offset / depth)   // the position among all grids' positions, then within its own
            if let lengths {
                while position >= lengths[item] { position -= lengths[item]; item += 1 }
            } else {
                let positions = gridShape.reduce(1, *)
                (item, position) = (position / positions, position % positions)
            }
            throw fail("code \(unpacked[offset]) (item \(item), position \(position), stage \(offset % depth)) is not below K = \(numEmbeddings)")
        }
        guard paddingIsZero else { throw fail("the padding bits after the last code are not zero") }
        func table(at start: Int) -> [Int32] {
            (0..<count).map { Int32(bitPattern: UInt32(readLittleEndian(bytes, at: start + 4 * $0, byteCount: 4))) }
        }
        let labels = hasLabels ? table(at: packedEnd) : []
        let speakers = hasSpeakers ? table(at: packedEnd + (hasLabels ? 4 * count : 0)) : []
        let indices = unpacked.map { Int32(bitPattern: $0) }
        if let lengths {
            self.init(count: count, lengths: lengths, depth: depth, numEmbeddings: numEmbeddings, indices: indices,
                      labels: labels, speakers: speakers)
        } else {
            self.init(count: count, gridShape: gridShape, depth: depth, numEmbeddings: numEmbeddings, indices: indices,
                      labels: labels, speakers: speakers)
        }
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
