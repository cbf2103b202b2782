import Foundation
import Testing
@testable import VQData
import _VQTestSupport

/// The folder of JPEG fixtures made by Fixtures/jpeg/make_jpeg_fixtures.py.
let jpegFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/jpeg").path

@Suite struct JPEGDecoderTests {
    /// Fixtures/jpeg/expected.json: per JPEG its size, channels and the PNG holding Pillow's pixels.
    static func manifest() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(FileIO.read(jpegFixtures + "/expected.json"))) as! [String: Any]
    }

    /// The JPEG fixtures that decode, sorted.
    static func fixtureNames() throws -> [String] {
        (try manifest()["files"] as! [String: Any]).keys.sorted()
    }

    /// Every fixture decodes to exactly Pillow's pixels. Pillow wrote baseline 4:2:0, 4:2:2 and 4:4:4
    /// files, a 13x7 4:2:0 one (partial MCUs at two edges), gray, progressive colour and progressive
    /// gray (5x11), restart markers after every MCU (4:2:0 and 4:4:4) and an RGB file stored without
    /// the YCbCr transform (Adobe marker); the PNG beside each holds what Pillow decoded from it. Pillow
    /// bundles its own libjpeg-turbo (3.x when the fixtures were made, see expected.json) and the system
    /// one here is 2.1; both use the same default islow IDCT and fancy upsampling, and agree exactly.
    @Test func decodesEveryFixtureExactlyAsPillowDoes() throws {
        let files = try JPEGDecoderTests.manifest()["files"] as! [String: Any]
        #expect(files.count == 10)
        for (name, value) in files.sorted(by: { $0.key < $1.key }) {
            let entry = value as! [String: Any]
            let image = try JPEGDecoder.read(jpegFixtures + "/" + name)
            let pillow = try PNGDecoder.read(jpegFixtures + "/" + (entry["reference"] as! String))
            #expect(image.width == entry["width"] as! Int && image.height == entry["height"] as! Int, "\(name) size")
            #expect(image.channels == entry["channels"] as! Int && pillow.channels == image.channels, "\(name) channels")
            #expect(image == pillow, "\(name): pixels differ from Pillow's")
        }
    }

    /// `ImageFile` picks the decoder by content: a JPEG named .png is read as JPEG, a PNG named .jpg as
    /// PNG, and image folders list .jpg and .jpeg in any case.
    @Test func imageFileChoosesTheDecoderByContent() throws {
        let folder = try temporaryFolder()
        let jpeg = try FileIO.read(jpegFixtures + "/rgb_444.jpg")
        let png = PNGEncoder.encode(RasterImage(width: 2, height: 1, channels: 1, pixels: [7, 9]))
        try FileIO.writeAtomically(jpeg, to: folder + "/photo.png")
        try FileIO.writeAtomically(png, to: folder + "/drawing.jpg")
        #expect(try ImageFile.read(folder + "/photo.png") == JPEGDecoder.decode(jpeg, path: "x"))
        #expect(try ImageFile.read(folder + "/drawing.jpg").pixels == [7, 9])
        for name in ["a.jpg", "b.JPG", "c.jpeg", "d.JpEg"] { #expect(ImageFile.hasImageExtension(name), "\(name)") }
        #expect(!ImageFile.hasImageExtension("e.jpe") && !ImageFile.hasImageExtension("jpg"))
        #expect(throws: DataError("z.jpg", "not a PNG, PGM, PPM or JPEG file (unrecognised first bytes)")) {
            _ = try ImageFile.decode([], path: "z.jpg")
        }
    }

    /// The JPEG's marker segments before its first scan: marker byte, offset of the 0xFF, payload length.
    static func segments(_ bytes: [UInt8]) -> [(marker: UInt8, offset: Int, length: Int)] {
        var result: [(UInt8, Int, Int)] = [], position = 2
        while position + 4 <= bytes.count, bytes[position] == 0xFF {
            let marker = bytes[position + 1], length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            result.append((marker, position, length))
            if marker == 0xDA { break }
            position += 2 + length
        }
        return result
    }

    /// `bytes` with the 16-bit big-endian value at `offset` replaced.
    static func patching(_ bytes: [UInt8], at offset: Int, _ value: Int) -> [UInt8] {
        var bytes = bytes
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
        return bytes
    }

    @Test func badInputsNameTheFileAndTheProblem() throws {
        let good = try FileIO.read(jpegFixtures + "/rgb_420.jpg")
        let parts = JPEGDecoderTests.segments(good)
        let frame = try #require(parts.first { $0.marker == 0xC0 }), scan = try #require(parts.first { $0.marker == 0xDA })
        let damaged = " (libjpeg's warning; refused rather than decoded with missing or wrong pixels)"
        let cases: [([UInt8], String)] = [
            ([], "cannot decode the JPEG: Empty input file (libjpeg)"),
            ([0xFF, 0x00, 0x01], "cannot decode the JPEG: Not a JPEG file: starts with 0xff 0x00 (libjpeg)"),
            ([0xFF, 0xD8], "damaged JPEG data: Premature end of JPEG file" + damaged),
            // Headers only: cut before the scan, or after the scan header.
            (Array(good.prefix(scan.offset)), "damaged JPEG data: Premature end of JPEG file" + damaged),
            (Array(good.prefix(scan.offset + 2 + scan.length)), "damaged JPEG data: Premature end of JPEG file" + damaged),
            // Tables only, then the end of image: no frame at all.
            (Array(good.prefix(frame.offset)) + [0xFF, 0xD9], "cannot decode the JPEG: JPEG datastream contains no image (libjpeg)"),
            (JPEGDecoderTests.patching(good, at: frame.offset + 5, 0), "cannot decode the JPEG: Empty JPEG image (DNL not supported) (libjpeg)"),
            (JPEGDecoderTests.patching(JPEGDecoderTests.patching(good, at: frame.offset + 5, 9000), at: frame.offset + 7, 8000),
             "JPEG header declares a 8000x9000 image, more than the 67108864 pixels allowed"),
            (JPEGDecoderTests.patching(good, at: frame.offset + 7, 65535),
             "cannot decode the JPEG: Maximum supported image dimension is 65500 pixels (libjpeg)"),
            (try FileIO.read(jpegFixtures + "/cmyk.jpg"), "a CMYK JPEG is not supported (only gray, YCbCr and RGB); convert it to RGB"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: DataError("f.jpg", problem)) { _ = try JPEGDecoder.decode(bytes, path: "f.jpg") }
        }
        #expect(try JPEGDecoderTests.manifest()["refused"] as? [String: String] == [
            "cmyk.jpg": "a CMYK JPEG is not supported (only gray, YCbCr and RGB); convert it to RGB"])
        // 12-bit samples: the 8-bit libjpeg-turbo refuses them.
        var twelveBit = good
        twelveBit[frame.offset + 4] = 12
        #expect(throws: DataError.self) { _ = try JPEGDecoder.decode(twelveBit, path: "f.jpg") }
        // Bytes after the end of image are ignored.
        #expect(try JPEGDecoder.decode(good + [1, 2, 3], path: "f.jpg") == JPEGDecoder.decode(good, path: "f.jpg"))
        // The progressive fixture has 10 scans: a limit of 9 refuses it, 10 reads it.
        let progressive = try FileIO.read(jpegFixtures + "/progressive_420.jpg")
        #expect(throws: DataError("p.jpg", "JPEG has more than 9 scans (refused: each scan is a pass over the whole image)")) {
            _ = try JPEGDecoder.decode(progressive, path: "p.jpg", maximumScans: 9)
        }
        #expect(try JPEGDecoder.decode(progressive, path: "p.jpg", maximumScans: 10).width == 16)
    }

    /// Every strict prefix of every fixture is refused with one line naming the file: libjpeg would
    /// decode most of them, filling the missing rows with gray.
    @Test func everyTruncationIsRefused() throws {
        var problems: Set<String> = []
        for name in try JPEGDecoderTests.fixtureNames() + ["cmyk.jpg"] {
            let bytes = try FileIO.read(jpegFixtures + "/" + name)
            for length in 0..<bytes.count {
                do {
                    _ = try ImageFile.decode(Array(bytes.prefix(length)), path: "cut.jpg")
                    Issue.record("\(name) cut to \(length) of \(bytes.count) bytes decoded")
                } catch let error as DataError {
                    #expect(error.path == "cut.jpg" && !error.description.contains("\n"))
                    problems.insert(error.problem)
                }
            }
        }
        #expect(problems.contains("damaged JPEG data: Premature end of JPEG file (libjpeg's warning; refused rather than decoded with missing or wrong pixels)"))
    }

    /// Thousands of corruptions in two families: mutations of whole files, with the frame header's
    /// fields and the segment lengths among the targets, and single bytes garbled inside the
    /// entropy-coded data. Each must decode to a consistent image or throw a one-line DataError naming
    /// the file. JPEG has no checksums, so some garbled data decodes (to other pixels) without a warning:
    /// that cannot be detected, only survived.
    @Test func garbledFilesNeverCrash() throws {
        var decoded = 0, problems: [String] = []
        var garbler = SplitMix(seed: 29)
        for (index, name) in try (JPEGDecoderTests.fixtureNames() + ["cmyk.jpg"]).enumerated() {
            let seed = try FileIO.read(jpegFixtures + "/" + name)
            let parts = JPEGDecoderTests.segments(seed)
            let frame = try #require(parts.first { [0xC0, 0xC1, 0xC2].contains($0.marker) })
            let scan = try #require(parts.first { $0.marker == 0xDA })
            // Precision, height, width, component count; every segment's length.
            let fields = [(frame.offset + 4, 1), (frame.offset + 5, 2), (frame.offset + 7, 2), (frame.offset + 9, 1)]
                + parts.map { ($0.offset + 2, 2) }
            var mutator = Mutator(seed: UInt64(100 + index), fields: fields)
            let entropyStart = scan.offset + 2 + scan.length
            for round in 0..<600 {
                var bytes = seed
                if round % 2 == 0 {
                    bytes = mutator.mutate(seed)
                } else {
                    let position = entropyStart + Int(garbler.next() % UInt64(seed.count - 2 - entropyStart))
                    bytes[position] = UInt8(truncatingIfNeeded: garbler.next())
                }
                do {
                    let image = try JPEGDecoder.decode(bytes, path: "m.jpg")
                    #expect(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * image.channels)
                    decoded += 1
                } catch let error as DataError {
                    #expect(error.path == "m.jpg" && !error.description.contains("\n"))
                    problems.append(error.problem)
                } catch { Issue.record("unexpected error \(error)") }
            }
        }
        #expect(decoded > 0)  // some changes leave a valid file
        // Both kinds of libjpeg failure are reached.
        for check in ["damaged JPEG data: Corrupt JPEG data", "damaged JPEG data: Premature end", "cannot decode the JPEG:"] {
            #expect(problems.contains { $0.hasPrefix(check) }, "no corruption reached \"\(check)\"")
        }
    }

    /// A real photo: BSDS500 test image 100007 (481x321, baseline 4:2:0). The pixels and the byte sum
    /// were computed once with Pillow 13.0.0 (libjpeg-turbo 3.x):
    /// `np.asarray(Image.open("100007.jpg").convert("RGB"))`, pixel (x, y) = `a[y, x]`, `a.sum()`.
    @Test(.enabled(if: SharedData.isAvailable("bsds500/test/100007.jpg"), "needs ../shared/data/bsds500"))
    func readsABSDS500Photo() throws {
        let image = try ImageFile.read(SharedData.path("bsds500/test/100007.jpg"))
        #expect(image.width == 481 && image.height == 321 && image.channels == 3)
        let pillow: [((Int, Int), [UInt8])] = [
            ((0, 0), [55, 73, 73]), ((480, 0), [25, 31, 27]), ((0, 320), [171, 164, 171]),
            ((480, 320), [41, 44, 35]), ((240, 160), [193, 194, 222]), ((123, 45), [60, 86, 87]),
        ]
        for ((x, y), rgb) in pillow {
            let offset = image.offset(x: x, y: y)
            #expect(Array(image.pixels[offset..<(offset + 3)]) == rgb, "pixel (\(x), \(y))")
        }
        #expect(image.pixels.reduce(0) { $0 + Int($1) } == 79_585_362)
    }
}
