import Testing
@testable import VQData
import VQEngine

@Suite struct CodesFileTests {
    /// A valid file of `count` random grids of 3×5 under K codes, with labels when asked.
    static func sample(count: Int = 3, numEmbeddings: Int = 512, labels: Bool = true, seed: UInt64 = 1) -> CodesFile {
        var generator = RandomGenerator(seed: seed)
        let indices = (0..<(count * 15)).map { _ in Int32(generator.nextIndex(below: numEmbeddings)) }
        return CodesFile(count: count, height: 3, width: 5, numEmbeddings: numEmbeddings, indices: indices,
                         labels: labels ? (0..<count).map { Int32($0) - 1 } : [])
    }

    @Test(arguments: [1, 2, 3, 512, 1000, 65536])
    func roundTrip(numEmbeddings: Int) throws {
        for labels in [false, true] {
            let file = CodesFileTests.sample(count: 3, numEmbeddings: numEmbeddings, labels: labels)
            #expect(try CodesFile(parsing: file.encoded(), path: "c") == file)
        }
    }

    @Test func layoutMatchesTheDocumentation() {
        let file = CodesFile(count: 1, height: 1, width: 3, numEmbeddings: 8, indices: [5, 1, 7], labels: [9])
        let bytes = file.encoded()
        #expect(Array(bytes[0..<8]) == [0x56, 0x51, 0x43, 0x31, 1, 0, 1, 0])   // "VQC1", version 1, labels flag
        #expect(Array(bytes[8..<24]) == [1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0])
        // 3 bits each, MSB first: 101 001 111 → 1010 0111, 1000 0000.
        #expect(Array(bytes[24..<26]) == [0b1010_0111, 0b1000_0000])
        #expect(Array(bytes[26..<30]) == [9, 0, 0, 0])
        #expect(bytes.count == 34)
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
    }

    @Test func emptyFileRoundTrips() throws {
        let file = CodesFile(count: 0, height: 2, width: 2, numEmbeddings: 4, indices: [])
        #expect(try CodesFile(parsing: file.encoded(), path: "c") == file)
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

    @Test func validationNamesEachProblem() {
        let good = CodesFileTests.sample(count: 2, numEmbeddings: 1000).encoded()
        func problem(_ bytes: [UInt8]) -> String? {
            do { _ = try CodesFile(parsing: bytes, path: "c.vqc"); return nil } catch let error as DataError {
                #expect(error.path == "c.vqc")
                return error.problem
            } catch { return "unexpected \(error)" }
        }
        #expect(problem(Array(good[0..<10])) == "is 10 bytes, too short for a codes file (at least 28)")
        #expect(problem([0x50] + good.dropFirst()) == "not a codes file (the first bytes are not 'VQC1')")
        #expect(problem(CodesFileTests.edited(good, at: 4, 2, byteCount: 2)) == "codes file version 2 is not supported (only 1)")
        #expect(problem(CodesFileTests.edited(good, at: 6, 3, byteCount: 2)) == "unknown flags 0x3 in the header")
        #expect(problem(CodesFileTests.edited(good, at: 12, 0)) == "the grid is 0x5; both sides must be at least 1")
        #expect(problem(CodesFileTests.edited(good, at: 20, 0)) == "the codebook size K is 0")
        #expect(problem(Array(good.dropLast(3))) == "the header (2 grids of 3x5, K 1000, labels) needs 74 bytes, the file has 71 (truncated)")
        #expect(problem(CodesFileTests.edited(good, at: 8, 0xFFFF_FFFF))?.hasPrefix("the header (4294967295 grids of 3x5") == true)
        var flipped = good
        flipped[30] ^= 0x10
        #expect(problem(flipped)?.hasPrefix("checksum mismatch") == true)
        // K lowered to 600 keeps 10 bits per code, so the length still fits; a code ≥ 600 is refused.
        let lowered = CodesFile(count: 1, height: 1, width: 2, numEmbeddings: 1000, indices: [3, 999]).encoded()
        #expect(problem(CodesFileTests.edited(lowered, at: 20, 600)) == "code 999 at position 1 is not below K = 600")
        // A one-code codebook still takes one bit per index, so a short file cannot claim many indices.
        let single = CodesFile(count: 1, height: 1, width: 1, numEmbeddings: 1, indices: [0]).encoded()
        #expect(single.count == 29)
        #expect(problem(CodesFileTests.edited(single, at: 8, 1 << 20)) == "the header (1048576 grids of 1x1, K 1) needs 131100 bytes, the file has 29 (truncated)")
        var padded = CodesFile(count: 1, height: 1, width: 1, numEmbeddings: 4, indices: [1]).encoded()
        padded[24] |= 1
        #expect(problem(CodesFileTests.restamped(padded)) == "the padding bits after the last code are not zero")
    }

    @Test func missingFileIsNamed() {
        #expect(throws: DataError.self) { _ = try CodesFile(contentsOf: "/nonexistent/codes.vqc") }
    }

    /// Thousands of seeded random mutations of valid files: every outcome is a `DataError` or a file
    /// that passes its own invariants (which `CodesFile.init` checks with preconditions).
    @Test func fuzzedFilesThrowDataErrorOrDecodeValidly() {
        var generator = RandomGenerator(seed: 2024)
        let originals = [CodesFileTests.sample(count: 3, numEmbeddings: 512), CodesFileTests.sample(count: 1, numEmbeddings: 3, labels: false),
                         CodesFileTests.sample(count: 4, numEmbeddings: 65536), CodesFileTests.sample(count: 2, numEmbeddings: 1)]
            .map { $0.encoded() }
        var (errors, valid) = (0, 0)
        for round in 0..<6000 {
            var bytes = originals[round % originals.count]
            switch generator.nextIndex(below: 5) {
            case 0:  // flip random bits
                for _ in 0...generator.nextIndex(below: 4) { bytes[generator.nextIndex(below: bytes.count)] ^= UInt8(1 << generator.nextIndex(below: 8)) }
            case 1:  // truncate
                bytes = Array(bytes[0..<generator.nextIndex(below: bytes.count)])
            case 2:  // append garbage
                bytes += (0...generator.nextIndex(below: 8)).map { _ in UInt8(generator.nextIndex(below: 256)) }
            case 3:  // random header field value, checksum re-stamped so deeper checks run
                let offset = [4, 6, 8, 12, 16, 20][generator.nextIndex(below: 6)]
                let value = [0, 1, 2, 3, 0xFFFF_FFFF, 0x8000_0000, UInt32(generator.nextIndex(below: 1 << 20))][generator.nextIndex(below: 7)]
                bytes = CodesFileTests.edited(bytes, at: offset, value, byteCount: offset < 8 ? 2 : 4)
            default:  // random bytes anywhere, checksum re-stamped
                for _ in 0...generator.nextIndex(below: 3) { bytes[generator.nextIndex(below: bytes.count)] = UInt8(generator.nextIndex(below: 256)) }
                bytes = CodesFileTests.restamped(bytes)
            }
            do {
                let file = try CodesFile(parsing: bytes, path: "fuzz")
                #expect(file.indices.count == file.count * file.height * file.width)
                #expect(file.indices.allSatisfy { $0 >= 0 && Int($0) < file.numEmbeddings })
                valid += 1
            } catch let error as DataError {
                #expect(error.path == "fuzz" && !error.problem.isEmpty && !error.problem.contains("\n"))
                errors += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(errors > 4000 && errors + valid == 6000)
    }
}
