import Testing
@testable import VQData
import VQEngine

@Suite struct VQZFileTests {
    static let sample = VQZFile(width: 481, height: 321, channels: 3, codecIdentity: 0x0123_4567_89AB_CDEF, rate: 3,
                                entropyModel: .prior, tileSide: 16, payload: (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) })

    @Test func readsBackWhatItWrites() throws {
        let bytes = VQZFileTests.sample.encoded()
        #expect(bytes.count == VQZFile.headerSize + 300 + 4)
        #expect(Array(bytes.prefix(5)) == [0x89, 0x56, 0x51, 0x5A, 3])
        #expect(try VQZFile(parsing: bytes, path: "x.vqz") == VQZFileTests.sample)
        let histogram = VQZFile(width: 1, height: 1, channels: 1, codecIdentity: 0, rate: 1, entropyModel: .histogram, tileSide: 0, payload: [])
        #expect(try VQZFile(parsing: histogram.encoded(), path: "y") == histogram)
    }

    /// Version 1 files (tables from the generic kernel's separate multiply and add) are refused with advice.
    @Test func olderVersionIsRefusedWithAdvice() {
        var bytes = VQZFileTests.sample.encoded()
        bytes[4] = 1
        let crc = Zlib.crc32(bytes[0..<(bytes.count - 4)])
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        do {
            _ = try VQZFile(parsing: bytes, path: "old.vqz")
            Issue.record("a version 1 file was read")
        } catch let error as DataError {
            #expect(error.description == "old.vqz: a .vqz file of version 1; this tool reads version 3 (compress the image again)")
        } catch { Issue.record("\(error)") }
    }

    @Test func everyTruncationIsOneLine() {
        let bytes = VQZFileTests.sample.encoded()
        for length in 0..<bytes.count {
            #expect(throws: DataError.self) { try VQZFile(parsing: Array(bytes.prefix(length)), path: "t.vqz") }
        }
        do {
            _ = try VQZFile(parsing: Array(bytes.prefix(100)), path: "t.vqz")
        } catch let error as DataError {
            #expect(error.description == "t.vqz: truncated: the header announces 300 bytes of codes, the file holds 64")
        } catch { Issue.record("\(error)") }
    }

    /// The shared `Mutator` over the header fields, half the results with a fresh CRC so the field checks
    /// after it run: every result is a valid file or one `DataError` line, never a crash.
    @Test func mutatedFilesNeverCrash() {
        var mutator = Mutator(seed: 17, fields: [(4, 1), (5, 1), (6, 2), (8, 4), (12, 4), (16, 8), (24, 1), (25, 1), (26, 2), (28, 4)])
        var (errors, valid) = (0, 0)
        for round in 0..<4000 {
            var bytes = mutator.mutate(VQZFileTests.sample.encoded())
            if round % 2 == 1 && bytes.count >= 8 {
                let crc = Zlib.crc32(bytes[0..<(bytes.count - 4)])
                for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
            }
            if Mutator.accepts(path: "m", { _ = try VQZFile(parsing: bytes, path: "m") }) { valid += 1 } else { errors += 1 }
        }
        #expect(errors > 3000 && errors + valid == 4000)
    }

    /// A .vqz given where a picture is expected says what it is, rather than "not a PNG" (both start 0x89).
    @Test func imageCommandsNameACompressedImage() {
        do {
            _ = try ImageFile.decode(VQZFileTests.sample.encoded(), path: "p.vqz")
            Issue.record("decoded")
        } catch let error as DataError {
            #expect(error.description == "p.vqz: is a compressed image (.vqz), not a picture; turn it into one with `vqvae decompress --codec RUN`")
        } catch { Issue.record("\(error)") }
    }
}
