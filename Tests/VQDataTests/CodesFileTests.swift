import Testing
@testable import VQData
import VQEngine

@Suite struct CodesFileTests {
    /// A valid file of `count` random grids of `gridShape` (3×5 unless asked), `depth` indices per
    /// position, under K codes, with labels when asked.
    static func sample(count: Int = 3, gridShape: [Int] = [3, 5], depth: Int = 1, numEmbeddings: Int = 512,
                       labels: Bool = true, speakers: Bool = false, seed: UInt64 = 1) -> CodesFile {
        var generator = RandomGenerator(seed: seed)
        let indices = (0..<(count * gridShape.reduce(1, *) * depth)).map { _ in Int32(generator.nextIndex(below: numEmbeddings)) }
        return CodesFile(count: count, gridShape: gridShape, depth: depth, numEmbeddings: numEmbeddings, indices: indices,
                         labels: labels ? (0..<count).map { Int32($0) - 1 } : [],
                         speakers: speakers ? (0..<count).map { Int32(2 * $0) - 3 } : [])
    }

    /// A valid ragged file of sequences of `lengths` positions (random indices), `depth` per position,
    /// under K codes, with labels and speakers when asked.
    static func raggedSample(lengths: [Int], depth: Int = 1, numEmbeddings: Int = 512, labels: Bool = true,
                             speakers: Bool = true, seed: UInt64 = 1) -> CodesFile {
        var generator = RandomGenerator(seed: seed)
        let indices = (0..<(lengths.reduce(0, +) * depth)).map { _ in Int32(generator.nextIndex(below: numEmbeddings)) }
        return CodesFile(count: lengths.count, lengths: lengths, depth: depth, numEmbeddings: numEmbeddings, indices: indices,
                         labels: labels ? lengths.indices.map { Int32($0 % 10) } : [],
                         speakers: speakers ? lengths.indices.map { Int32(2 * $0) - 3 } : [])
    }

    /// The version-1 bytes of a rank-2, depth-1 file, laid out by hand from FORMATS.md (the writer
    /// only writes version 2 now), for the tests that version 1 still reads.
    static func versionOne(_ file: CodesFile) -> [UInt8] {
        precondition(file.gridShape.count == 2 && file.depth == 1)
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var bytes = Array("VQC1".utf8) + [1, 0, file.labels.isEmpty ? 0 : 1, 0]
        bytes += le32(file.count) + le32(file.height) + le32(file.width) + le32(file.numEmbeddings)
        bytes += BitPacking.pack(file.indices.map { UInt32($0) }, bitWidth: max(1, BitPacking.bitWidth(forCount: file.numEmbeddings)))
        for label in file.labels { bytes += le32(Int(UInt32(bitPattern: label))) }
        return restamped(bytes + [0, 0, 0, 0])
    }

    /// Every rank, depth 1 and 4, with and without labels: the file reads back equal, is version 2,
    /// and is as long as FORMATS.md says (24 + 4r header bytes, ⌈N·P·D·b / 8⌉ of codes, 4N, 4).
    @Test(arguments: [1, 2, 3, 512, 1000, 65536])
    func roundTrip(numEmbeddings: Int) throws {
        let bits = [1: 1, 2: 1, 3: 2, 512: 9, 1000: 10, 65536: 16][numEmbeddings]!
        for gridShape in [[7], [3, 5], [2, 3, 4]] {
            for depth in [1, 4] {
                for labels in [false, true] {
                    let file = CodesFileTests.sample(count: 3, gridShape: gridShape, depth: depth, numEmbeddings: numEmbeddings, labels: labels)
                    let bytes = file.encoded()
                    #expect(Array(bytes[4..<6]) == [2, 0])
                    let values = 3 * gridShape.reduce(1, *) * depth
                    #expect(bytes.count == 24 + 4 * gridShape.count + (values * bits + 7) / 8 + (labels ? 12 : 0) + 4)
                    let read = try CodesFile(parsing: bytes, path: "c")
                    #expect(read == file)
                    #expect(read.gridShape == gridShape && read.depth == depth && read.indices.count == values)
                }
            }
        }
    }

    @Test func shapesAndTheTwoDimensionalInitializer() {
        let sequence = CodesFile(count: 2, gridShape: [5], depth: 2, numEmbeddings: 4, indices: [Int32](repeating: 1, count: 20))
        #expect(sequence.height == 1 && sequence.width == 5 && sequence.positionsPerGrid == 5)
        let image = CodesFile(count: 1, height: 3, width: 4, numEmbeddings: 4, indices: [Int32](repeating: 2, count: 12))
        #expect(image.gridShape == [3, 4] && image.depth == 1 && image.height == 3 && image.width == 4 && image.positionsPerGrid == 12)
        #expect(image == CodesFile(count: 1, gridShape: [3, 4], numEmbeddings: 4, indices: [Int32](repeating: 2, count: 12)))
        let volume = CodesFile(count: 1, gridShape: [2, 3, 4], numEmbeddings: 2, indices: [Int32](repeating: 0, count: 24))
        #expect(volume.height == 3 && volume.width == 4 && volume.positionsPerGrid == 24)
    }

    /// One rank-1 grid of 3 positions, depth 2, K 8: every header byte as FORMATS.md gives it, then the
    /// indices in (position, stage) order, the label and zlib's CRC-32 (Python's `zlib.crc32`).
    @Test func layoutMatchesTheDocumentation() {
        let file = CodesFile(count: 1, gridShape: [3], depth: 2, numEmbeddings: 8, indices: [5, 1, 7, 0, 2, 3], labels: [9])
        let bytes = file.encoded()
        #expect(Array(bytes[0..<8]) == [0x56, 0x51, 0x43, 0x31, 2, 0, 1, 0])   // "VQC1", version 2, labels flag
        #expect(Array(bytes[8..<24]) == [1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0])   // N 1, rank 1, depth 2, K 8
        #expect(Array(bytes[24..<28]) == [3, 0, 0, 0])   // t = 3
        // 3 bits each, MSB first: 101 001 111 000 010 011 → 1010 0111, 1000 0100, 1100 0000.
        #expect(Array(bytes[28..<31]) == [0b1010_0111, 0b1000_0100, 0b1100_0000])
        #expect(Array(bytes[31..<35]) == [9, 0, 0, 0])
        #expect(Array(bytes[35..<39]) == [174, 28, 145, 159])
        #expect(bytes.count == 39)
        // A rank-3 grid: the sides follow K outermost first, and the codes start at 24 + 12.
        let volume = CodesFile(count: 0, gridShape: [2, 3, 300], depth: 4, numEmbeddings: 2, indices: []).encoded()
        #expect(Array(volume[12..<24]) == [3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0])
        #expect(Array(volume[24..<36]) == [2, 0, 0, 0, 3, 0, 0, 0, 0x2C, 1, 0, 0])
        #expect(volume.count == 40)
    }

    /// Version 1 bytes (the layout the version-1 writer produced, checksum from Python's `zlib.crc32`)
    /// still read, as a grid of shape [h, w] and depth 1.
    @Test func versionOneBytesRead() throws {
        let bytes: [UInt8] = [0x56, 0x51, 0x43, 0x31, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0,
                              0b1010_0111, 0b1000_0000, 9, 0, 0, 0, 17, 216, 166, 168]
        let file = try CodesFile(parsing: bytes, path: "c")
        #expect(file == CodesFile(count: 1, gridShape: [1, 3], depth: 1, numEmbeddings: 8, indices: [5, 1, 7], labels: [9]))
        #expect(CodesFileTests.versionOne(file) == bytes)
        // Read again and written, it becomes version 2 with the same values.
        #expect(try CodesFile(parsing: file.encoded(), path: "c") == file && file.encoded()[4] == 2)
    }

    /// Fixtures/codes-v1.vqc was written by the version-1 writer (`CodesFile.encoded()` at commit 9f24100)
    /// from exactly these values; files of that version must keep reading the same.
    @Test func versionOneFixtureReads() throws {
        let path = String(#filePath).replacingOccurrences(of: "CodesFileTests.swift", with: "Fixtures/codes-v1.vqc")
        let bytes = try FileIO.read(path, limit: 1 << 20)
        #expect(bytes.count == 66 && Array(bytes[4..<6]) == [1, 0])
        let file = try CodesFile(contentsOf: path)
        #expect(file.count == 2 && file.height == 3 && file.width == 4 && file.numEmbeddings == 1000)
        #expect(file.indices == [0, 999, 1, 512, 511, 3, 7, 998, 100, 200, 300, 400,
                                 999, 0, 42, 17, 256, 128, 64, 32, 16, 8, 4, 2])
        #expect(file.labels == [7, -1])
        #expect(file.gridShape == [3, 4] && file.depth == 1)
        #expect(CodesFileTests.versionOne(file) == bytes)   // the hand layout of the tests is the writer's
    }

    @Test func emptyFilesRoundTrip() throws {
        for (gridShape, depth) in [([2, 2], 1), ([9], 3), ([2, 1, 2], 2)] {
            let file = CodesFile(count: 0, gridShape: gridShape, depth: depth, numEmbeddings: 4, indices: [])
            #expect(try CodesFile(parsing: file.encoded(), path: "c") == file)
        }
    }

    /// Two sequences of 2 positions, 3 stages each: index 10·item + 5·position + stage.
    @Test func gridsAndTruncatedDepth() throws {
        let file = CodesFile(count: 2, gridShape: [2], depth: 3, numEmbeddings: 20,
                             indices: [0, 1, 2, 5, 6, 7, 10, 11, 12, 15, 16, 17], labels: [4, 2])
        #expect(Array(file.grid(1)) == [10, 11, 12, 15, 16, 17] && Array(file.grid(0)) == [0, 1, 2, 5, 6, 7])
        let two = file.truncated(toDepth: 2)
        #expect(two == CodesFile(count: 2, gridShape: [2], depth: 2, numEmbeddings: 20, indices: [0, 1, 5, 6, 10, 11, 15, 16], labels: [4, 2]))
        #expect(Array(two.grid(1)) == [10, 11, 15, 16])
        #expect(file.truncated(toDepth: 1).indices == [0, 5, 10, 15] && file.truncated(toDepth: 1).depth == 1)
        #expect(file.truncated(toDepth: 3) == file)
        #expect(try CodesFile(parsing: two.encoded(), path: "c") == two)
        // Truncating then truncating further is truncating once; an image grid at depth 4 keeps its shape.
        #expect(file.truncated(toDepth: 2).truncated(toDepth: 1) == file.truncated(toDepth: 1))
        let image = CodesFileTests.sample(count: 2, gridShape: [3, 5], depth: 4, numEmbeddings: 1000)
        let first = image.truncated(toDepth: 1)
        #expect(first.gridShape == [3, 5] && first.indices.count == 30 && first.labels == image.labels)
        #expect(first.indices == stride(from: 0, to: 120, by: 4).map { image.indices[$0] })
        let empty = CodesFile(count: 0, gridShape: [4], depth: 2, numEmbeddings: 3, indices: [])
        #expect(empty.truncated(toDepth: 1) == CodesFile(count: 0, gridShape: [4], depth: 1, numEmbeddings: 3, indices: []))
    }

    /// Ragged files of every combination of depth (1, 3), labels and speakers, K of 1, 512 and 65536, with an
    /// item of length 1: the file reads back equal and as long as FORMATS.md says (28 header bytes, 4N of
    /// lengths, ⌈S·D·b / 8⌉ of codes, 4N per table, 4), each item's grid being its own slice.
    @Test(arguments: [1, 512, 65536])
    func raggedRoundTrip(numEmbeddings: Int) throws {
        let bits = [1: 1, 512: 9, 65536: 16][numEmbeddings]!
        for lengths in [[5, 1, 9, 3], [1], [4, 4], [2, 1, 1, 300]] {
            for depth in [1, 3] {
                for (labels, speakers) in [(false, false), (true, false), (false, true), (true, true)] {
                    let file = CodesFileTests.raggedSample(lengths: lengths, depth: depth, numEmbeddings: numEmbeddings,
                                                           labels: labels, speakers: speakers)
                    let bytes = file.encoded()
                    let flags = 2 + (labels ? 1 : 0) + (speakers ? 4 : 0)
                    #expect(Array(bytes[4..<8]) == [2, 0, UInt8(flags), 0])
                    let (n, values) = (lengths.count, lengths.reduce(0, +) * depth)
                    #expect(bytes.count == 28 + 4 * n + (values * bits + 7) / 8 + 4 * n * ((labels ? 1 : 0) + (speakers ? 1 : 0)) + 4)
                    let read = try CodesFile(parsing: bytes, path: "c")
                    #expect(read == file)
                    #expect(read.isRagged && read.lengths == lengths && read.gridShape == [lengths.max()!] && read.depth == depth)
                    #expect(read.labels.count == (labels ? n : 0) && read.speakers.count == (speakers ? n : 0))
                    var start = 0
                    for item in 0..<n {
                        #expect(read.positions(ofItem: item) == lengths[item])
                        #expect(Array(read.grid(item)) == Array(file.indices[start..<(start + lengths[item] * depth)]))
                        start += lengths[item] * depth
                    }
                    #expect(start == read.indices.count)
                }
            }
        }
    }

    /// Speakers on a regular file: flag bit 2 and 4N bytes after the labels; without them the bytes are
    /// the ones written before speakers and ragged files existed (flags 0 or 1).
    @Test func regularFilesWithSpeakersRoundTrip() throws {
        for gridShape in [[7], [3, 5], [2, 3, 4]] {
            for labels in [false, true] {
                let plain = CodesFileTests.sample(count: 3, gridShape: gridShape, depth: 2, numEmbeddings: 1000, labels: labels)
                let file = CodesFileTests.sample(count: 3, gridShape: gridShape, depth: 2, numEmbeddings: 1000, labels: labels, speakers: true)
                let (bytes, plainBytes) = (file.encoded(), plain.encoded())
                #expect(Array(plainBytes[6..<8]) == [labels ? 1 : 0, 0] && Array(bytes[6..<8]) == [labels ? 5 : 4, 0])
                #expect(bytes.count == plainBytes.count + 12)
                #expect(Array(bytes[8..<(plainBytes.count - 4)]) == Array(plainBytes[8..<(plainBytes.count - 4)]))
                #expect(Array(bytes[(bytes.count - 16)..<(bytes.count - 4)]) == [253, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0, 0])
                let read = try CodesFile(parsing: bytes, path: "c")
                #expect(read == file && read.speakers == [-3, -1, 1] && !read.isRagged && read.lengths == nil)
                #expect(read.positions(ofItem: 2) == gridShape.reduce(1, *))
                #expect(read.truncated(toDepth: 1).speakers == [-3, -1, 1])
            }
        }
    }

    /// Two sequences of 2 and 1 positions, depth 2, K 8, labels 9 and 4, speakers 1 and 0: every byte as
    /// FORMATS.md's ragged example gives it (the indices are those of `layoutMatchesTheDocumentation`,
    /// split differently; CRC-32 from Python's `zlib.crc32`).
    @Test func raggedLayoutMatchesTheDocumentation() throws {
        let file = CodesFile(count: 2, lengths: [2, 1], depth: 2, numEmbeddings: 8, indices: [5, 1, 7, 0, 2, 3], labels: [9, 4], speakers: [1, 0])
        let bytes = file.encoded()
        #expect(Array(bytes[0..<8]) == [0x56, 0x51, 0x43, 0x31, 2, 0, 7, 0])   // "VQC1", version 2, labels + ragged + speakers
        #expect(Array(bytes[8..<24]) == [2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0])   // N 2, rank 1, depth 2, K 8
        #expect(Array(bytes[24..<28]) == [2, 0, 0, 0])   // L = 2, the longest length
        #expect(Array(bytes[28..<36]) == [2, 0, 0, 0, 1, 0, 0, 0])   // lengths 2 and 1
        #expect(Array(bytes[36..<39]) == [0xA7, 0x84, 0xC0])   // 101 001 111 000 | 010 011, 6 zero bits
        #expect(Array(bytes[39..<47]) == [9, 0, 0, 0, 4, 0, 0, 0])   // labels
        #expect(Array(bytes[47..<55]) == [1, 0, 0, 0, 0, 0, 0, 0])   // speakers
        #expect(Array(bytes[55..<59]) == [0xBE, 0x23, 0x5A, 0x9D])
        #expect(bytes.count == 59)
        #expect(try CodesFile(parsing: bytes, path: "c") == file)
        // No grids: L is 1 by convention, and nothing follows the header but the checksum.
        let empty = CodesFile(count: 0, lengths: [], depth: 3, numEmbeddings: 2, indices: [])
        #expect(empty.gridShape == [1] && Array(empty.encoded()[4..<8]) == [2, 0, 2, 0] && empty.encoded().count == 32)
        #expect(Array(empty.encoded()[24..<28]) == [1, 0, 0, 0])
        #expect(try CodesFile(parsing: empty.encoded(), path: "c") == empty)
    }

    /// Two sequences of 2 and 3 positions, 3 stages each: index 10·item + 3·position + stage.
    @Test func raggedGridsAndTruncatedDepth() throws {
        let file = CodesFile(count: 2, lengths: [2, 3], depth: 3, numEmbeddings: 20,
                             indices: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18], labels: [4, 2], speakers: [0, 5])
        #expect(file.gridShape == [3] && file.width == 3 && file.height == 1 && file.positionsPerGrid == 3)
        #expect(file.positions(ofItem: 0) == 2 && file.positions(ofItem: 1) == 3)
        #expect(Array(file.grid(0)) == [0, 1, 2, 3, 4, 5] && Array(file.grid(1)) == [10, 11, 12, 13, 14, 15, 16, 17, 18])
        let two = file.truncated(toDepth: 2)
        #expect(two == CodesFile(count: 2, lengths: [2, 3], depth: 2, numEmbeddings: 20, indices: [0, 1, 3, 4, 10, 11, 13, 14, 16, 17],
                                 labels: [4, 2], speakers: [0, 5]))
        #expect(Array(two.grid(1)) == [10, 11, 13, 14, 16, 17] && two.lengths == [2, 3])
        #expect(file.truncated(toDepth: 1).indices == [0, 3, 10, 13, 16] && file.truncated(toDepth: 1).speakers == [0, 5])
        #expect(file.truncated(toDepth: 3) == file)
        #expect(file.truncated(toDepth: 2).truncated(toDepth: 1) == file.truncated(toDepth: 1))
        #expect(try CodesFile(parsing: two.encoded(), path: "c") == two)
        // Ragged grids of equal lengths stay ragged: same indices as a regular file, other bytes, unequal.
        let even = CodesFile(count: 2, lengths: [2, 2], numEmbeddings: 4, indices: [0, 1, 2, 3])
        let regular = CodesFile(count: 2, gridShape: [2], numEmbeddings: 4, indices: [0, 1, 2, 3])
        #expect(even != regular && even.gridShape == regular.gridShape && even.encoded().count == regular.encoded().count + 8)
        #expect(Array(even.grid(1)) == Array(regular.grid(1)))
        #expect(try CodesFile(parsing: even.encoded(), path: "c").isRagged)
        let empty = CodesFile(count: 0, lengths: [], depth: 2, numEmbeddings: 3, indices: [])
        #expect(empty.truncated(toDepth: 1) == CodesFile(count: 0, lengths: [], numEmbeddings: 3, indices: []))
    }

    /// Sets a little-endian header field and re-stamps the checksum, so the later checks are reached.
    static func edited(_ bytes: [UInt8], at offset: Int, _ value: UInt32, byteCount: Int = 4) -> [UInt8] {
        var copy = bytes
        for index in 0..<byteCount { copy[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
        return restamped(copy)
    }

    static func restamped(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 4 else { return bytes }
        var copy = Array(bytes.dropLast(4))
        let crc = CodesFile.checksum(copy[...])
        copy += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        return copy
    }

    static func problem(_ bytes: [UInt8]) -> String? {
        do { _ = try CodesFile(parsing: bytes, path: "c.vqc"); return nil } catch let error as DataError {
            #expect(error.path == "c.vqc")
            return error.problem
        } catch { return "unexpected \(error)" }
    }

    @Test func validationNamesEachProblem() {
        func problem(_ bytes: [UInt8]) -> String? { CodesFileTests.problem(bytes) }
        func edited(_ bytes: [UInt8], at offset: Int, _ value: UInt32, byteCount: Int = 4) -> [UInt8] {
            CodesFileTests.edited(bytes, at: offset, value, byteCount: byteCount)
        }
        // Version 2: 2 grids of 3×5, depth 2, K 1000 (10 bits), labels: 24 + 8 + 75 + 8 + 4 = 119 bytes.
        let good = CodesFileTests.sample(count: 2, gridShape: [3, 5], depth: 2, numEmbeddings: 1000).encoded()
        #expect(good.count == 119 && problem(good) == nil)
        #expect(problem(Array(good[0..<10])) == "is 10 bytes, too short for a codes file (at least 28)")
        #expect(problem([0x50] + good.dropFirst()) == "not a codes file (the first bytes are not 'VQC1')")
        #expect(problem(edited(good, at: 4, 3, byteCount: 2)) == "codes file version 3 is not supported (only 1 and 2)")
        #expect(problem(edited(good, at: 4, 0, byteCount: 2)) == "codes file version 0 is not supported (only 1 and 2)")
        #expect(problem(edited(good, at: 6, 8, byteCount: 2)) == "unknown flags 0x8 in the header")
        #expect(problem(edited(good, at: 6, 0xFFFF, byteCount: 2)) == "unknown flags 0xffff in the header")
        #expect(problem(edited(good, at: 12, 0)) == "the grid rank is 0; it must be 1, 2 or 3")
        #expect(problem(edited(good, at: 12, 4)) == "the grid rank is 4; it must be 1, 2 or 3")
        #expect(problem(edited(good, at: 12, 0xFFFF_FFFF)) == "the grid rank is 4294967295; it must be 1, 2 or 3")
        #expect(problem(edited(good, at: 16, 0)) == "the depth is 0; every grid position needs at least 1 index")
        #expect(problem(edited(good, at: 28, 0)) == "the grid is 3x0; every side must be at least 1")
        #expect(problem(edited(good, at: 20, 0)) == "the codebook size K is 0")
        #expect(problem(Array(good.dropLast(3))) == "the header (2 grids of 3x5, depth 2, K 1000, labels) needs 119 bytes, the file has 116 (truncated)")
        #expect(problem(edited(good, at: 12, 1)) == "the header (2 grids of 3, depth 2, K 1000, labels) needs 55 bytes, the file has 119")   // 12 codes of 10 bits
        #expect(problem(edited(good, at: 12, 3))?.hasPrefix("the header (2 grids of 3x5x") == true)   // the first code bytes read as a side
        #expect(problem(edited(good, at: 8, 0xFFFF_FFFF))?.hasPrefix("the header (4294967295 grids of 3x5, depth 2") == true)
        // An absurd depth is only a length the file does not have: nothing is allocated from it.
        #expect(problem(edited(good, at: 16, 0xFFFF_FFFF)) == "the header (2 grids of 3x5, depth 4294967295, K 1000, labels) needs 161061273607 bytes, the file has 119 (truncated)")
        // N·P·D beyond Int: needs more bytes than can exist.
        let huge = edited(edited(edited(good, at: 8, 0xFFFF_FFFF), at: 24, 0x8000_0000), at: 28, 2)
        #expect(problem(huge) == "the header (4294967295 grids of 2147483648x2, depth 2, K 1000, labels) needs more bytes than can exist, the file has 119")
        // P·D beyond Int is refused even for 0 grids, so positionsPerGrid of a file read is always defined.
        let cube = CodesFile(count: 0, gridShape: [1, 1, 1], numEmbeddings: 2, indices: []).encoded()
        #expect(cube.count == 40 && problem(cube) == nil)
        let hugeCube = edited(edited(edited(cube, at: 24, 0xFFFF_FFFF), at: 28, 0xFFFF_FFFF), at: 32, 0xFFFF_FFFF)
        #expect(problem(hugeCube) == "each grid (4294967295x4294967295x4294967295) holds more indices than can be counted")
        let longLine = edited(edited(CodesFile(count: 0, gridShape: [1], depth: 2, numEmbeddings: 2, indices: []).encoded(), at: 24, 0xFFFF_FFFF), at: 16, 0xFFFF_FFFF)
        #expect(problem(longLine) == "each grid (4294967295, depth 4294967295) holds more indices than can be counted")
        // A rank that promises more sides than the file holds is refused before they are read.
        let line = CodesFile(count: 0, gridShape: [5], numEmbeddings: 2, indices: []).encoded()
        #expect(line.count == 32 && problem(line) == nil)
        #expect(problem(edited(line, at: 12, 3)) == "is 32 bytes, too short for a version-2 header of rank 3 and a checksum (at least 40)")
        var flipped = good
        flipped[40] ^= 0x10
        #expect(problem(flipped)?.hasPrefix("checksum mismatch") == true)
        // K lowered to 600 keeps 10 bits per code, so the length still fits; a code ≥ 600 is refused and located.
        let lowered = CodesFile(count: 2, gridShape: [2], depth: 2, numEmbeddings: 1000, indices: [3, 10, 20, 30, 40, 50, 60, 999]).encoded()
        #expect(problem(edited(lowered, at: 20, 600)) == "code 999 (item 1, position 1, stage 1) is not below K = 600")
        // A one-code codebook still takes one bit per index, so a short file cannot claim many indices.
        let single = CodesFile(count: 1, gridShape: [1], numEmbeddings: 1, indices: [0]).encoded()
        #expect(single.count == 33)
        #expect(problem(edited(single, at: 8, 1 << 20)) == "the header (1048576 grids of 1, K 1) needs 131104 bytes, the file has 33 (truncated)")
        var padded = CodesFile(count: 1, gridShape: [1], numEmbeddings: 4, indices: [1]).encoded()
        padded[28] |= 1
        #expect(problem(CodesFileTests.restamped(padded)) == "the padding bits after the last code are not zero")
    }

    /// The ragged checks (flag bit 1), each message once: the rank, the lengths table's presence, each
    /// length, L, the total the lengths imply, and codes located in their own item.
    @Test func raggedValidationNamesEachProblem() {
        func problem(_ bytes: [UInt8]) -> String? { CodesFileTests.problem(bytes) }
        func edited(_ bytes: [UInt8], at offset: Int, _ value: UInt32, byteCount: Int = 4) -> [UInt8] {
            CodesFileTests.edited(bytes, at: offset, value, byteCount: byteCount)
        }
        // 3 sequences of 4, 1 and 6 positions, depth 2, K 1000 (10 bits), labels and speakers:
        // 28 + 12 + ⌈22·10 / 8⌉ + 12 + 12 + 4 = 96 bytes.
        let good = CodesFileTests.raggedSample(lengths: [4, 1, 6], depth: 2, numEmbeddings: 1000).encoded()
        #expect(good.count == 96 && problem(good) == nil)
        // Only sequences can be ragged; version 1 knows no flag but bit 0.
        let image = CodesFileTests.sample(count: 2, gridShape: [3, 5], depth: 2, numEmbeddings: 1000).encoded()
        #expect(problem(edited(image, at: 6, 3, byteCount: 2)) == "the grids are ragged (flag bit 1) but of rank 2; only sequences (rank 1) can be ragged")
        let volume = CodesFileTests.sample(count: 1, gridShape: [2, 2, 2], numEmbeddings: 4, labels: false).encoded()
        #expect(problem(edited(volume, at: 6, 2, byteCount: 2)) == "the grids are ragged (flag bit 1) but of rank 3; only sequences (rank 1) can be ragged")
        let versionOne = CodesFileTests.versionOne(CodesFileTests.sample(count: 1, numEmbeddings: 4))
        #expect(problem(edited(versionOne, at: 6, 3, byteCount: 2)) == "unknown flags 0x3 in the header")
        #expect(problem(edited(versionOne, at: 6, 4, byteCount: 2)) == "unknown flags 0x4 in the header")
        // The lengths table must be there before a length is read.
        #expect(problem(Array(good[0..<40])) == "is 40 bytes, too short for the lengths of 3 ragged grids and a checksum (at least 44)")
        #expect(problem(edited(good, at: 8, 1 << 20)) == "is 96 bytes, too short for the lengths of 1048576 ragged grids and a checksum (at least 4194336)")
        #expect(problem(edited(good, at: 8, 0xFFFF_FFFF)) == "is 96 bytes, too short for the lengths of 4294967295 ragged grids and a checksum (at least 17179869212)")
        // Each length in 1...L, and L the longest.
        #expect(problem(edited(good, at: 32, 0)) == "item 1 has length 0; every ragged grid has at least 1 position")
        #expect(problem(edited(good, at: 36, 7)) == "item 2 has length 7, more than the longest length 6 in the header")
        #expect(problem(edited(good, at: 28, 0xFFFF_FFFF)) == "item 0 has length 4294967295, more than the longest length 6 in the header")
        #expect(problem(edited(good, at: 24, 5)) == "item 2 has length 6, more than the longest length 5 in the header")
        #expect(problem(edited(good, at: 24, 9)) == "the header's longest length is 9, the longest grid has 6 positions")
        #expect(problem(edited(good, at: 24, 0)) == "the grid is 0; every side must be at least 1")
        let empty = CodesFile(count: 0, lengths: [], numEmbeddings: 4, indices: []).encoded()
        #expect(empty.count == 32 && problem(empty) == nil)
        #expect(problem(edited(empty, at: 24, 2)) == "the header's longest length is 2 for 0 ragged grids (it must be 1)")
        // Lengths that do not sum to what the file holds: 4 + 2 + 6 = 12 positions need 2 more codes (20 bits more).
        #expect(problem(edited(good, at: 32, 2)) == "the header and lengths (3 ragged grids of at most 6, 12 positions in all, depth 2, K 1000, labels, speakers) need 98 bytes, the file has 96 (truncated)")
        #expect(problem(edited(good, at: 28, 1)) == "the header and lengths (3 ragged grids of at most 6, 8 positions in all, depth 2, K 1000, labels, speakers) need 88 bytes, the file has 96")
        // Lengths swapped keep the total: a valid file of other grids.
        #expect(problem(edited(edited(good, at: 28, 1), at: 32, 4)) == nil)
        #expect(problem(Array(good.dropLast(1))) == "the header and lengths (3 ragged grids of at most 6, 11 positions in all, depth 2, K 1000, labels, speakers) need 96 bytes, the file has 95 (truncated)")
        #expect(problem(edited(good, at: 6, 3, byteCount: 2)) == "the header and lengths (3 ragged grids of at most 6, 11 positions in all, depth 2, K 1000, labels) need 84 bytes, the file has 96")
        #expect(problem(edited(good, at: 6, 2, byteCount: 2)) == "the header and lengths (3 ragged grids of at most 6, 11 positions in all, depth 2, K 1000) need 72 bytes, the file has 96")
        // An absurd depth is a length the file does not have; S·D beyond Int is more bytes than can exist.
        #expect(problem(edited(good, at: 16, 0xFFFF_FFFF)) == "the header and lengths (3 ragged grids of at most 6, 11 positions in all, depth 4294967295, K 1000, labels, speakers) need 59055800375 bytes, the file has 96 (truncated)")
        let long = edited(edited(edited(edited(edited(good, at: 16, 1 << 31), at: 24, 1 << 31), at: 28, 1 << 31), at: 32, 1 << 31), at: 36, 1 << 31)
        #expect(problem(long) == "the header and lengths (3 ragged grids of at most 2147483648, 6442450944 positions in all, depth 2147483648, K 1000, labels, speakers) need more bytes than can exist, the file has 96")
        #expect(problem(edited(edited(good, at: 16, 0xFFFF_FFFF), at: 24, 0xFFFF_FFFF)) == "each grid (4294967295, depth 4294967295) holds more indices than can be counted")
        // The checksum covers the lengths table; codes are located in their own item.
        var swapped = good   // valid lengths, but not the ones the checksum was computed over
        (swapped[28], swapped[32]) = (1, 4)
        #expect(problem(swapped)?.hasPrefix("checksum mismatch") == true)
        let lowered = CodesFile(count: 3, lengths: [1, 2, 1], depth: 2, numEmbeddings: 1000, indices: [1, 2, 3, 4, 5, 999, 7, 8]).encoded()
        #expect(problem(edited(lowered, at: 20, 600)) == "code 999 (item 1, position 1, stage 1) is not below K = 600")
        var padded = CodesFile(count: 2, lengths: [1, 1], numEmbeddings: 4, indices: [1, 2]).encoded()
        #expect(padded.count == 41)
        padded[36] |= 1
        #expect(problem(CodesFileTests.restamped(padded)) == "the padding bits after the last code are not zero")
    }

    /// Version 1 keeps its checks (the grid's sides at 12 and 16, the codes at 24).
    @Test func versionOneValidationNamesEachProblem() {
        func problem(_ bytes: [UInt8]) -> String? { CodesFileTests.problem(bytes) }
        func edited(_ bytes: [UInt8], at offset: Int, _ value: UInt32, byteCount: Int = 4) -> [UInt8] {
            CodesFileTests.edited(bytes, at: offset, value, byteCount: byteCount)
        }
        let good = CodesFileTests.versionOne(CodesFileTests.sample(count: 2, numEmbeddings: 1000))
        #expect(good.count == 74 && problem(good) == nil)
        #expect(problem(Array(good[0..<27])) == "is 27 bytes, too short for a codes file (at least 28)")
        #expect(problem(edited(good, at: 6, 2, byteCount: 2)) == "unknown flags 0x2 in the header")
        #expect(problem(edited(good, at: 12, 0)) == "the grid is 0x5; every side must be at least 1")
        #expect(problem(edited(good, at: 16, 0)) == "the grid is 3x0; every side must be at least 1")
        #expect(problem(edited(good, at: 20, 0)) == "the codebook size K is 0")
        #expect(problem(Array(good.dropLast(3))) == "the header (2 grids of 3x5, K 1000, labels) needs 74 bytes, the file has 71 (truncated)")
        #expect(problem(edited(good, at: 8, 0xFFFF_FFFF))?.hasPrefix("the header (4294967295 grids of 3x5, K 1000") == true)
        var flipped = good
        flipped[30] ^= 0x10
        #expect(problem(flipped)?.hasPrefix("checksum mismatch") == true)
        let lowered = CodesFileTests.versionOne(CodesFile(count: 1, height: 1, width: 2, numEmbeddings: 1000, indices: [3, 999]))
        #expect(problem(edited(lowered, at: 20, 600)) == "code 999 (item 0, position 1, stage 0) is not below K = 600")
        let single = CodesFileTests.versionOne(CodesFile(count: 1, height: 1, width: 1, numEmbeddings: 1, indices: [0]))
        #expect(single.count == 29)
        #expect(problem(edited(single, at: 8, 1 << 20)) == "the header (1048576 grids of 1x1, K 1) needs 131100 bytes, the file has 29 (truncated)")
        // 0 grids of 4294967295×4294967295 read before version 2; the grid's size no longer fits an Int.
        let empty = CodesFileTests.versionOne(CodesFile(count: 0, height: 1, width: 1, numEmbeddings: 2, indices: []))
        #expect(problem(empty) == nil)
        #expect(problem(edited(edited(empty, at: 12, 0xFFFF_FFFF), at: 16, 0xFFFF_FFFF))
                == "each grid (4294967295x4294967295) holds more indices than can be counted")
        var padded = CodesFileTests.versionOne(CodesFile(count: 1, height: 1, width: 1, numEmbeddings: 4, indices: [1]))
        padded[24] |= 1
        #expect(problem(CodesFileTests.restamped(padded)) == "the padding bits after the last code are not zero")
    }

    @Test func missingFileIsNamed() {
        #expect(throws: DataError.self) { _ = try CodesFile(contentsOf: "/nonexistent/codes.vqc") }
    }

    /// A parsed file must satisfy what `CodesFile.init` checks with preconditions (it would have trapped
    /// otherwise) and what callers rely on.
    static func expectValid(_ file: CodesFile) {
        #expect(CodesFile.ranks.contains(file.gridShape.count) && file.depth >= 1 && file.gridShape.allSatisfy { $0 >= 1 })
        if let lengths = file.lengths {
            #expect(file.gridShape.count == 1 && lengths.count == file.count && lengths.allSatisfy { (1...file.width).contains($0) })
            #expect(file.width == lengths.max() ?? 1)
            #expect(file.indices.count == lengths.reduce(0, +) * file.depth)
        } else {
            #expect(file.indices.count == file.count * file.positionsPerGrid * file.depth)
        }
        #expect((0..<file.count).map { file.grid($0).count } == (0..<file.count).map { file.positions(ofItem: $0) * file.depth })
        #expect(file.indices.allSatisfy { $0 >= 0 && Int($0) < file.numEmbeddings })
        #expect(file.labels.isEmpty || file.labels.count == file.count)
        #expect(file.speakers.isEmpty || file.speakers.count == file.count)
    }

    static let fuzzOriginals: [[UInt8]] = [
        sample(count: 3, numEmbeddings: 512).encoded(),
        sample(count: 1, gridShape: [7], depth: 4, numEmbeddings: 3, labels: false).encoded(),
        sample(count: 4, gridShape: [2, 3, 2], depth: 2, numEmbeddings: 65536).encoded(),
        sample(count: 2, gridShape: [5], numEmbeddings: 1).encoded(),
        versionOne(sample(count: 3, numEmbeddings: 1000)),
        versionOne(sample(count: 1, numEmbeddings: 3, labels: false)),
        sample(count: 2, gridShape: [4], numEmbeddings: 3, speakers: true).encoded(),
        raggedSample(lengths: [5, 1, 9, 3], depth: 2, numEmbeddings: 512).encoded(),
        raggedSample(lengths: [1], numEmbeddings: 1, labels: false, speakers: false).encoded(),
        raggedSample(lengths: [7, 7, 2], depth: 3, numEmbeddings: 65536, labels: false).encoded(),
    ]

    /// Thousands of seeded random mutations of valid files of both versions, regular and ragged: every
    /// outcome is a `DataError` or a file that passes its own invariants.
    @Test func fuzzedFilesThrowDataErrorOrDecodeValidly() {
        var generator = RandomGenerator(seed: 2024)
        let originals = CodesFileTests.fuzzOriginals
        var (errors, valid) = (0, 0)
        for round in 0..<9000 {
            var bytes = originals[round % originals.count]
            switch generator.nextIndex(below: 5) {
            case 0:  // flip random bits
                for _ in 0...generator.nextIndex(below: 4) { bytes[generator.nextIndex(below: bytes.count)] ^= UInt8(1 << generator.nextIndex(below: 8)) }
            case 1:  // truncate
                bytes = Array(bytes[0..<generator.nextIndex(below: bytes.count)])
            case 2:  // append garbage
                bytes += (0...generator.nextIndex(below: 8)).map { _ in UInt8(generator.nextIndex(below: 256)) }
            case 3:  // random header field value (version 2: rank, depth, sides and ragged lengths too), checksum re-stamped so deeper checks run
                let offsets = [4, 6, 8, 12, 16, 20, 24, 28, 32, 36].filter { $0 + 4 <= bytes.count }
                let offset = offsets[generator.nextIndex(below: offsets.count)]
                let value = [0, 1, 2, 3, 4, 0xFFFF_FFFF, 0x8000_0000, UInt32(generator.nextIndex(below: 1 << 20))][generator.nextIndex(below: 8)]
                bytes = CodesFileTests.edited(bytes, at: offset, value, byteCount: offset < 8 ? 2 : 4)
            default:  // random bytes anywhere, checksum re-stamped
                for _ in 0...generator.nextIndex(below: 3) { bytes[generator.nextIndex(below: bytes.count)] = UInt8(generator.nextIndex(below: 256)) }
                bytes = CodesFileTests.restamped(bytes)
            }
            do {
                CodesFileTests.expectValid(try CodesFile(parsing: bytes, path: "fuzz"))
                valid += 1
            } catch let error as DataError {
                #expect(error.path == "fuzz" && !error.problem.isEmpty && !error.problem.contains("\n"))
                errors += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(errors > 7000 && valid > 500 && errors + valid == 9000)   // 7994 and 1006 when written (ragged originals included)
    }

    /// The shared `Mutator` (insertions and deletions too, header fields rewritten with awkward values),
    /// half of the results with the checksum re-stamped so the checks after it run.
    @Test func mutatedFilesNeverCrash() {
        var mutator = Mutator(seed: 7, fields: [(4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4), (24, 4), (28, 4), (32, 4), (36, 4)])
        var (errors, valid) = (0, 0)
        for round in 0..<6000 {
            var bytes = mutator.mutate(CodesFileTests.fuzzOriginals[round % CodesFileTests.fuzzOriginals.count])
            if round % 2 == 1 { bytes = CodesFileTests.restamped(bytes) }
            if Mutator.accepts(path: "m", { CodesFileTests.expectValid(try CodesFile(parsing: bytes, path: "m")) }) { valid += 1 } else { errors += 1 }
        }
        #expect(errors > 5000 && valid > 100 && errors + valid == 6000)   // 5779 and 221 when written (ragged originals included)
    }
}
