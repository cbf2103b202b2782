import Testing
import VQData

@Suite struct PNMDecoderTests {
    @Test func binaryAndASCIIGrayAndColour() throws {
        // P5, 3x1, maxval 255, with a comment in the header: bytes as they are.
        let p5 = Array("P5\n# made by hand\n3 1\n255\n".utf8) + [0, 128, 255]
        #expect(try PNMDecoder.decode(p5, path: "a.pgm") == RasterImage(width: 3, height: 1, channels: 1, pixels: [0, 128, 255]))
        // P6, 1x2, maxval 255: two RGB pixels.
        let p6 = Array("P6 1 2 255 ".utf8) + [1, 2, 3, 4, 5, 6]
        #expect(try PNMDecoder.decode(p6, path: "a.ppm") == RasterImage(width: 1, height: 2, channels: 3, pixels: [1, 2, 3, 4, 5, 6]))
        // P2, maxval 15: round(v·255/15) = v·17 exactly.
        let p2 = Array("P2\n2 2\n15\n0 1\n# a comment between rows\n14 15\n".utf8)
        #expect(try PNMDecoder.decode(p2, path: "a.pgm").pixels == [0, 17, 238, 255])
        // P3, maxval 100: round(v·255/100): 50 → 127.5 → 128 (half up), 33 → 84.15 → 84, 1 → 2.55 → 3.
        let p3 = Array("P3 1 1 100\n50 33 1".utf8)
        #expect(try PNMDecoder.decode(p3, path: "a.ppm").pixels == [128, 84, 3])
    }

    /// 16-bit samples (maxval ≥ 256) are two big-endian bytes, scaled by round(v·255/maxval):
    /// 65535 → 255, 32768 → 127.50 → 128, 256 → 0.996 → 1, 0 → 0.
    @Test func sixteenBitSamplesAreScaledToEightBits() throws {
        let p5 = Array("P5 4 1 65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00, 0x01, 0x00, 0, 0]
        #expect(try PNMDecoder.decode(p5, path: "w.pgm").pixels == [255, 128, 1, 0])
        // maxval 1000 in ASCII: 1000 → 255, 500 → 127.5 → 128.
        #expect(try PNMDecoder.decode(Array("P2 2 1 1000 1000 500".utf8), path: "w.pgm").pixels == [255, 128])
    }

    @Test func badInputsNameTheFileAndTheProblem() {
        let cases: [(String, [UInt8], String)] = [
            ("x", [0x89, 0x50], "not a PGM/PPM file (it does not start with P2, P3, P5 or P6)"),
            ("x", Array("P4 1 1 ".utf8), "PBM bitmaps (P1, P4) are not supported; convert to PGM"),
            ("x", Array("P5 3 ".utf8), "truncated: the file ends before height"),
            ("x", Array("P5 3 x 255 ".utf8), "expected a number for height, found byte 120"),
            ("x", Array("P5 0 3 255 ".utf8), "header declares a 0x3 image"),
            ("x", Array("P5 100000 100000 255 ".utf8), "header declares a 100000x100000 image, more than the 67108864 pixels allowed"),
            ("x", Array("P5 1 1 70000 ".utf8), "maxval 70000 is outside 1...65535"),
            ("x", Array("P5 1 1 1234567890 ".utf8), "maxval has more than 9 digits"),
            ("x", Array("P5 2 2 255 ".utf8) + [1, 2, 3], "truncated: a 2x2 image at maxval 255 needs 4 raster bytes, the file holds 3"),
            ("x", Array("P5 2 1 65535 ".utf8) + [1, 2, 3], "truncated: a 2x1 image at maxval 65535 needs 4 raster bytes, the file holds 3"),
            ("x", Array("P5 2 1 255".utf8), "truncated: no raster after the header"),
            ("x", Array("P5 2 1 100 ".utf8) + [100, 101], "sample 1 is 101, above maxval 100"),
            ("x", Array("P3 1 1 255 1 2".utf8), "truncated: a 1x1 image needs 3 samples, the file is too short to hold them"),
            ("x", Array("P3 1 1 255 1 2      ".utf8), "truncated: the file ends before sample 2 of 3"),
            ("x", Array("P2 1 1 9 10".utf8), "sample 0 is 10, above maxval 9"),
        ]
        for (_, bytes, problem) in cases {
            #expect(throws: DataError("f.pgm", problem)) { _ = try PNMDecoder.decode(bytes, path: "f.pgm") }
        }
    }

    /// Thousands of corruptions of binary and ASCII, 8- and 16-bit files: a consistent image or DataError.
    @Test func mutatedFilesNeverCrash() {
        let seeds: [[UInt8]] = [
            Array("P5\n# c\n4 3\n255\n".utf8) + (0..<12).map { UInt8($0 * 20) },
            Array("P6 2 2 65535\n".utf8) + (0..<24).map { UInt8($0 * 10) },
            Array("P2\n3 2\n300\n0 1 2\n300 299 7\n".utf8),
            Array("P3 2 1 255\n255 0 0  0 255 0\n".utf8),
        ]
        var mutator = Mutator(seed: 5, fields: [(1, 1), (3, 1), (5, 1), (7, 1)])
        for round in 0..<4000 {
            let bytes = mutator.mutate(seeds[round % seeds.count])
            do {
                let image = try PNMDecoder.decode(bytes, path: "m")
                #expect(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * image.channels)
            } catch is DataError {} catch { Issue.record("unexpected error \(error)") }
        }
    }
}
