import Testing
import VQData
import _VQTestSupport

@Suite struct IDXFileTests {
    let sample = IDXFile(shape: [2, 3, 2], bytes: Array(0..<12))

    @Test func encodeParseRoundTrip() throws {
        // Header worked by hand: 00 00 08 03, then 2, 3, 2 as big-endian UInt32.
        #expect(Array(sample.encoded.prefix(16)) == [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2])
        #expect(try IDXFile(parsing: sample.encoded, path: "x") == sample)
    }

    @Test func readsGzipAndRawFiles() throws {
        let folder = try temporaryFolder()
        try FileIO.writeAtomically(Zlib.compress(sample.encoded), to: folder + "/a.gz")
        try FileIO.writeAtomically(sample.encoded, to: folder + "/a")
        #expect(try IDXFile(contentsOf: folder + "/a.gz") == sample)
        #expect(try IDXFile(contentsOf: folder + "/a") == sample)
    }

    @Test func badInputsNameTheFileAndTheProblem() {
        let good = sample.encoded
        let cases: [([UInt8], String)] = [
            ([0, 0], "too short for an IDX header (2 bytes)"),
            ([1] + good.dropFirst(), "not an IDX file (magic bytes 01 00, expected 00 00)"),
            ([0, 0, 0x0d] + good.dropFirst(3), "IDX element type 0d is not supported (only 0x08, unsigned bytes)"),
            ([0, 0, 8, 9] + good.dropFirst(4), "IDX header declares 9 dimensions (1 to 4 supported)"),
            (Array(good.prefix(10)), "truncated IDX header (10 of 16 bytes)"),
            (Array(good.dropLast()), "truncated: shape [2, 3, 2] needs 12 data bytes, the file holds 11"),
            (good + [7], "has 1 unexpected trailing bytes: shape [2, 3, 2] needs 12 data bytes, the file holds 13"),
            ([0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 2],
             "IDX header declares shape [4294967295] but the file holds only 0 data bytes"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: DataError("f.idx", problem)) { _ = try IDXFile(parsing: bytes, path: "f.idx") }
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: DataError("/nonexistent/x", "cannot open (No such file or directory)")) {
            _ = try IDXFile(contentsOf: "/nonexistent/x")
        }
    }

    /// Thousands of corruptions (Mutator: flips, byte changes, truncation, insertion, deletion, and
    /// rewrites of the type, rank and dimension fields), of the raw file and of its gzip form (which
    /// must fail in zlib or parse): every outcome is a consistent file or a DataError.
    @Test func mutatedFilesNeverCrash() throws {
        let good = IDXFile(shape: [3, 4, 4], bytes: (0..<48).map(UInt8.init)).encoded
        let compressed = Zlib.compress(good)
        var mutator = Mutator(seed: 1, fields: [(2, 1), (3, 1), (4, 4), (8, 4), (12, 4)])
        for round in 0..<6000 {
            do {
                let parsed: IDXFile
                if round % 4 == 3 {
                    let bytes = try Zlib.decompress(mutator.mutate(compressed), path: "m.gz", limit: 1 << 16)
                    parsed = try IDXFile(parsing: bytes, path: "m.gz")
                } else {
                    parsed = try IDXFile(parsing: mutator.mutate(good), path: "m")
                }
                #expect(parsed.shape.reduce(1, *) == parsed.bytes.count)
            } catch is DataError {} catch { Issue.record("unexpected error \(error)") }
        }
    }
}

/// A tiny deterministic generator for mutation tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
