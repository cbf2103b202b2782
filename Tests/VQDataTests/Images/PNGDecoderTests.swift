import Foundation
import Testing
@testable import VQData

/// The folder of PNG fixtures made by Fixtures/make_png_fixtures.py.
let pngFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/png").path

@Suite struct PNGDecoderTests {
    /// Every fixture the script wrote: the expected pixels are what Pillow decodes (the script checks them
    /// against the arrays it encoded; 16-bit samples as their high byte). Pillow wrote gray8, gray_alpha8,
    /// rgb8 (adaptive Sub/Paeth filters), rgba8, palette8, palette4 (4-bit), palette_trns (RGBA out),
    /// gray16 and gray1; the script wrote by hand, and Pillow read back, rgb16, gray2, filters_rgb8 (row
    /// filters 0, 1, 2, 3, 4 in turn) and three Adam7-interlaced files.
    @Test func decodesEveryPillowFixtureExactly() throws {
        let json = try JSONSerialization.jsonObject(with: Data(FileIO.read(pngFixtures + "/expected.json"))) as! [String: Any]
        let names = json.keys.filter { $0.hasSuffix(".png") }.sorted()
        #expect(names.count == 15)
        for name in names {
            let entry = json[name] as! [String: Any]
            let image = try PNGDecoder.read(pngFixtures + "/" + name)
            #expect(image.width == entry["width"] as! Int, "\(name) width")
            #expect(image.height == entry["height"] as! Int, "\(name) height")
            #expect(image.channels == entry["channels"] as! Int, "\(name) channels")
            #expect(image.pixels == (entry["pixels"] as! [Int]).map(UInt8.init), "\(name) pixels")
        }
    }

    /// (x·29 + y·53 + c·97 + x·y) mod 256: the same pattern make_png_fixtures.py expects.
    static func encoderPattern(width: Int, height: Int, channels: Int) -> RasterImage {
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(UInt8((x * 29 + y * 53 + c * 97 + x * y) % 256)) } } }
        return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Pillow opens what our encoder writes: encoder_1..4.png were written by PNGEncoder (this test, run
    /// once with VQDATA_WRITE_ENCODER_FIXTURES=1), then make_png_fixtures.py opened them with Pillow,
    /// compared the pixels with the pattern and listed them in expected.json. Here we check those files
    /// are still exactly what the encoder produces: same header, and the IDAT inflates to the encoder's
    /// filtered rows (compressed bytes may differ between zlib versions, so they are not compared).
    @Test func encoderFilesMatchWhatPillowChecked() throws {
        let json = try JSONSerialization.jsonObject(with: Data(FileIO.read(pngFixtures + "/expected.json"))) as! [String: Any]
        let checkedByPillow = json["pillow_read_encoder_files"] as! [String]
        for (channels, width, height) in [(1, 7, 5), (2, 3, 9), (3, 10, 4), (4, 1, 6)] {
            let image = PNGDecoderTests.encoderPattern(width: width, height: height, channels: channels)
            let name = "encoder_\(channels).png", path = pngFixtures + "/" + name
            if ProcessInfo.processInfo.environment["VQDATA_WRITE_ENCODER_FIXTURES"] != nil {
                try PNGEncoder.write(image, to: path)
            }
            #expect(checkedByPillow.contains(name), "\(name) was not checked by make_png_fixtures.py")
            let file = try FileIO.read(path)
            let encoded = PNGEncoder.encode(image)
            #expect(Array(file.prefix(33)) == Array(encoded.prefix(33)), "\(name): signature and IHDR")
            let chunks = try PNGChunks(parsing: file, path: path)
            #expect(try Zlib.decompress(chunks.compressedData, format: .zlib, path: path) == PNGEncoder.filteredRows(image))
            #expect(try PNGDecoder.decode(file, path: path) == image)
        }
    }

    @Test func encoderToDecoderRoundTripForEveryChannelCountAndOddSizes() throws {
        var generator = SplitMix(seed: 11)
        for channels in 1...4 {
            for (width, height) in [(1, 1), (3, 7), (17, 5), (2, 33), (64, 3)] {
                // Half random bytes, half smooth ramps, so the encoder uses both of its filters.
                let pixels = (0..<(width * height * channels)).map { index in
                    index % 2 == 0 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(truncatingIfNeeded: index / channels)
                }
                let image = RasterImage(width: width, height: height, channels: channels, pixels: pixels)
                #expect(try PNGDecoder.decode(PNGEncoder.encode(image), path: "memory") == image, "\(width)x\(height)x\(channels)")
            }
        }
    }

    /// Hand-worked: estimate p = left + up − upperLeft, pick the nearest, ties to left, then up.
    @Test func paethPredictor() {
        #expect(PNGDecoder.paeth(3, 5, 4) == 4)   // p = 4: distances 1, 1, 0
        #expect(PNGDecoder.paeth(1, 2, 0) == 2)   // p = 3: distances 2, 1, 3
        #expect(PNGDecoder.paeth(5, 5, 0) == 5)   // p = 10: distances 5, 5, 10, tie → left
        #expect(PNGDecoder.paeth(0, 9, 9) == 0)   // p = 0: distances 0, 9, 9
    }

    /// A PNG built from parts: IHDR fields, unfiltered-row bytes (filter bytes included), extra chunks.
    static func png(width: Int, height: Int, depth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0,
                    rows: [UInt8], before: [(String, [UInt8])] = [], imageData: Bool = true, end: Bool = true) -> [UInt8] {
        var header: [UInt8] = []
        PNGEncoder.appendBigEndian(UInt32(width), to: &header)
        PNGEncoder.appendBigEndian(UInt32(height), to: &header)
        header += [depth, colorType, 0, 0, interlace]
        var file = PNGChunks.signature
        PNGEncoder.appendChunk("IHDR", header, to: &file)
        for (type, data) in before { PNGEncoder.appendChunk(type, data, to: &file) }
        if imageData { PNGEncoder.appendChunk("IDAT", Zlib.compress(rows, format: .zlib), to: &file) }
        if end { PNGEncoder.appendChunk("IEND", [], to: &file) }
        return file
    }

    @Test func palettesAndSubByteGrayAreExpanded() throws {
        // 2-bit palette, 3 pixels: indices 2, 0, 1 packed as 10 00 01 00 = 0x84.
        let palette: [UInt8] = [10, 20, 30, 40, 50, 60, 70, 80, 90]
        let file = PNGDecoderTests.png(width: 3, height: 1, depth: 2, colorType: 3, rows: [0, 0x84], before: [("PLTE", palette)])
        #expect(try PNGDecoder.decode(file, path: "p").pixels == [70, 80, 90, 10, 20, 30, 40, 50, 60])
        // 4-bit gray, values 15 and 1 → ×17: 255, 17.
        let gray = PNGDecoderTests.png(width: 2, height: 1, depth: 4, colorType: 0, rows: [0, 0xF1])
        #expect(try PNGDecoder.decode(gray, path: "g").pixels == [255, 17])
    }

    @Test func badInputsNameTheFileAndTheProblem() throws {
        let good = PNGEncoder.encode(RasterImage(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4]))
        let rows: [UInt8] = [0, 1, 2, 0, 3, 4]
        let cases: [([UInt8], String)] = [
            ([1, 2, 3], "not a PNG file (the first 8 bytes are not the PNG signature)"),
            (Array(good.dropLast(12)), "no IEND chunk (truncated file)"),
            (PNGDecoderTests.png(width: 2, height: 2, rows: rows, imageData: false), "no IDAT chunk (the file holds no image data)"),
            (PNGDecoderTests.png(width: 100_000, height: 100_000, rows: rows),
             "PNG header declares a 100000x100000 image, more than the 67108864 pixels allowed"),
            (PNGDecoderTests.png(width: 0, height: 2, rows: rows), "PNG header declares a 0x2 image (each side must be 1 to 2^31-1)"),
            (PNGDecoderTests.png(width: 2, height: 2, depth: 3, rows: rows),
             "PNG bit depth 3 is not allowed for colour type 0 (allowed: [1, 2, 4, 8, 16])"),
            (PNGDecoderTests.png(width: 2, height: 2, colorType: 5, rows: rows), "PNG colour type 5 is not defined (0, 2, 3, 4 or 6)"),
            (PNGDecoderTests.png(width: 2, height: 2, interlace: 2, rows: rows), "PNG interlace method 2 is not defined (0 or 1)"),
            (PNGDecoderTests.png(width: 8, height: 8, rows: rows), "image data inflates to 6 bytes, a 8x8 image of this type needs 72"),
            (PNGDecoderTests.png(width: 2, height: 2, rows: [0, 1, 2, 7, 3, 4]), "image data row 1 uses filter type 7 (only 0 to 4 are defined)"),
            (PNGDecoderTests.png(width: 2, height: 2, colorType: 3, rows: rows, before: [("PLTE", [9, 9, 9, 8, 8, 8])]),
             "pixel (1, 0) uses palette entry 2, the PLTE chunk has 2"),
            (PNGDecoderTests.png(width: 2, height: 2, colorType: 3, rows: rows), "palette image without a PLTE chunk"),
            (PNGDecoderTests.png(width: 2, height: 2, rows: rows, before: [("ABCD", [])]), "unknown critical chunk ABCD (cannot decode this file)"),
            (PNGDecoderTests.png(width: 2, height: 2, colorType: 3, rows: rows, before: [("PLTE", [1, 2])]),
             "PLTE chunk is 2 bytes, expected 3 to 768 and a multiple of 3"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: DataError("f.png", problem)) { _ = try PNGDecoder.decode(bytes, path: "f.png") }
        }
        // An unknown ancillary chunk (lower-case first letter) is skipped.
        let ancillary = PNGDecoderTests.png(width: 2, height: 2, rows: rows, before: [("abCD", [1, 2, 3])])
        #expect(try PNGDecoder.decode(ancillary, path: "f.png").pixels == [1, 2, 3, 4])
        // A changed byte inside IHDR breaks its CRC; a file cut inside IDAT declares more than remains.
        var corrupt = good
        corrupt[20] ^= 1
        #expect(throws: DataError.self) { _ = try PNGDecoder.decode(corrupt, path: "f.png") }
        do { _ = try PNGDecoder.decode(corrupt, path: "f.png") } catch let error as DataError {
            #expect(error.problem.hasPrefix("chunk IHDR at byte 8 has a bad CRC"))
        }
        do { _ = try PNGDecoder.decode(Array(good.dropLast(20)), path: "f.png") } catch let error as DataError {
            #expect(error.problem.hasPrefix("truncated: chunk IDAT at byte 33 declares"))
        }
    }

    /// Thousands of corrupted files, in three families: raw mutations of whole files (mostly caught by
    /// the CRCs), mutations with every CRC repaired afterwards (reaching the header and chunk checks),
    /// and mutations of the inflated rows and header fields, recompressed (reaching filters, palette
    /// indices and sizes). Each must decode to a consistent image or throw DataError.
    @Test func mutatedFilesNeverCrash() throws {
        let seeds: [[UInt8]] = try ["rgb8.png", "palette8.png", "palette_trns.png", "gray16.png", "interlaced_gray2.png", "gray1.png"]
            .map { try FileIO.read(pngFixtures + "/" + $0) }
        // IHDR fields: width, height, depth, colour type, compression, filter, interlace; first chunk length.
        var mutator = Mutator(seed: 3, fields: [(16, 4), (20, 4), (24, 1), (25, 1), (26, 1), (27, 1), (28, 1), (8, 4), (33, 4)])
        var decoded = 0, problems: [String] = []
        for round in 0..<4500 {
            let seed = seeds[(round / 3) % seeds.count]  // every family meets every seed
            var bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = mutator.mutate(seed)
            case 1: bytes = PNGDecoderTests.repairingCRCs(mutator.mutate(seed))
            default:
                let chunks = try PNGChunks(parsing: seed, path: "seed")
                var rows = try Zlib.decompress(chunks.compressedData, format: .zlib, path: "seed")
                rows = mutator.mutate(rows)
                var header = Array(seed[16..<29])
                if mutator.below(2) == 0 { header[mutator.below(13)] = UInt8(truncatingIfNeeded: mutator.generator.next() % 20) }
                var file = PNGChunks.signature
                PNGEncoder.appendChunk("IHDR", header, to: &file)
                if !chunks.palette.isEmpty { PNGEncoder.appendChunk("PLTE", chunks.palette, to: &file) }
                if let alpha = chunks.transparency { PNGEncoder.appendChunk("tRNS", alpha, to: &file) }
                PNGEncoder.appendChunk("IDAT", Zlib.compress(rows, format: .zlib), to: &file)
                PNGEncoder.appendChunk("IEND", [], to: &file)
                bytes = file
            }
            do {
                let image = try PNGDecoder.decode(bytes, path: "m.png")
                #expect(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * image.channels)
                decoded += 1
            } catch let error as DataError { problems.append(error.problem) } catch { Issue.record("unexpected error \(error)") }
        }
        #expect(decoded > 0)  // some mutations (e.g. of pixel bytes) leave a valid file
        // The families reach the deep checks, not only the signature and CRCs.
        for check in ["bad CRC", "PNG bit depth", "uses filter type", "uses palette entry", "image data inflates to", "corrupt compressed data"] {
            #expect(problems.contains { $0.contains(check) }, "no mutation reached the check \"\(check)\"")
        }
    }

    /// Recomputes each chunk's CRC where the chunk structure is still readable.
    static func repairingCRCs(_ file: [UInt8]) -> [UInt8] {
        var bytes = file, position = 8
        while position + 12 <= bytes.count {
            let length = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - position - 12 else { break }
            let crc = PNGEncoder.crc32Checksum(Array(bytes[(position + 4)..<(position + 8 + length)]))
            for i in 0..<4 { bytes[position + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> UInt32(24 - 8 * i)) }
            position += 12 + length
        }
        return bytes
    }
}
