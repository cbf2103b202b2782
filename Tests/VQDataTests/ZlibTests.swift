import Testing
import VQData

@Suite struct ZlibTests {
    @Test(arguments: [Zlib.Format.gzip, .zlib])
    func roundTrip(format: Zlib.Format) throws {
        let input = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let compressed = Zlib.compress(input, format: format)
        #expect(compressed.count < input.count / 4)
        #expect(try Zlib.decompress(compressed, format: format, path: "memory") == input)
        #expect(try Zlib.decompress(Zlib.compress([], format: format), format: format, path: "memory") == [])
    }

    /// gzip files may be several members back to back (`cat a.gz b.gz`); all are read.
    @Test func concatenatedGzipMembers() throws {
        let joined = Zlib.compress([1, 2, 3]) + Zlib.compress([4, 5])
        #expect(try Zlib.decompress(joined, path: "memory") == [1, 2, 3, 4, 5])
    }

    @Test func truncatedStreamIsAnError() {
        let compressed = Zlib.compress((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        #expect(throws: DataError("cut.gz", "compressed data ends early (truncated file)")) {
            _ = try Zlib.decompress(Array(compressed.prefix(compressed.count / 2)), path: "cut.gz")
        }
    }

    @Test func outputLimitIsEnforced() {
        let bomb = Zlib.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: DataError.self) { _ = try Zlib.decompress(bomb, path: "bomb.gz", limit: 1000) }
    }
}
