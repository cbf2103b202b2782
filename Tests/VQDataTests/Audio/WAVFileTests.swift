import Foundation
import Testing
@testable import VQData
import _VQTestSupport

/// The folder of WAV fixtures made by Fixtures/wav/make_wav_fixtures.py.
let wavFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/wav").path

@Suite struct WAVFileTests {
    // MARK: The fixtures' sample formulas (restated from make_wav_fixtures.py)

    /// Integer PCM code of frame i at b bits: the extremes and small values first, then a scramble.
    static func code(_ i: Int, bits: Int) -> Int {
        let extremes = [-(1 << (bits - 1)), (1 << (bits - 1)) - 1, 0, -1, 1]
        if i < extremes.count { return extremes[i] }
        return (i * 2_654_435_761) % (1 << bits) - (1 << (bits - 1))
    }

    /// IEEE float value of frame i: range edges and out-of-range values first, then k/128.
    static func real(_ i: Int) -> Double {
        let first = [-1.0, 0.0, 0.5, -0.25, 1.0, 1.5, -3.0, 1.0 - 0x1p-24]
        return i < first.count ? first[i] : Double((i * 37) % 255 - 127) / 128
    }

    /// What the reader must give for a fixture: frame i, channel c holds formula(i + 7c), as a Float in
    /// [-1, 1): code / 2^(b−1) (32 bits: rounded to Float, at most 1 − 2^−24), floats clipped.
    static func expectedSamples(frames: Int, channels: Int, encoding: WAVSampleEncoding) -> [Float] {
        let top = Float(1).nextDown
        return (0..<frames).flatMap { i in
            (0..<channels).map { c -> Float in
                let index = i + 7 * c
                switch encoding {
                case .float32, .float64: return min(max(Float(real(index)), -1), top)
                default:
                    let bits = 8 * encoding.bytesPerSample
                    return min(Float(code(index, bits: bits)) / Float(1 << (bits - 1)), top)
                }
            }
        }
    }

    @Test func formulasGiveTheValuesTheScriptChecked() {
        // A few values worked by hand, so the Swift formula is seen to match the Python one.
        // Printed by Python: [(i * 2654435761) % 2**b - 2**(b-1) for i in range(5, 9)] for b = 16 and 8.
        #expect((0..<9).map { WAVFileTests.code($0, bits: 16) } == [-32768, 32767, 0, -1, 1, -8075, 23078, -11305, 19848])
        #expect((5..<9).map { WAVFileTests.code($0, bits: 8) } == [-11, -90, 87, 8])
        let reals: [Double] = [1 - 0x1p-24, -86.0 / 128, -49.0 / 128]
        #expect((7..<10).map { WAVFileTests.real($0) } == reals)
    }

    /// Every fixture: the format read from its fmt chunk and every sample, exactly.
    @Test(arguments: [
        ("pcm8_mono.wav", WAVSampleEncoding.unsigned8, 8000, 1, 33, false),  // odd data, no pad byte at the end
        ("pcm16_mono.wav", .signed16, 16000, 1, 40, false),
        ("pcm24_mono.wav", .signed24, 44100, 1, 36, false),
        ("pcm32_mono.wav", .signed32, 48000, 1, 36, false),
        ("pcm16_stereo.wav", .signed16, 22050, 2, 24, false),
        ("float32_mono.wav", .float32, 16000, 1, 30, false),  // scipy: fmt of 18 bytes, fact chunk
        ("float64_stereo.wav", .float64, 11025, 2, 20, false),
        ("extensible_pcm24_3ch.wav", .signed24, 32000, 3, 20, true),
        ("extensible_float32_mono.wav", .float32, 24000, 1, 25, true),
        ("list_chunk.wav", .signed16, 16000, 1, 30, false),  // odd LIST before data, LIST after
        ("odd_chunk.wav", .unsigned8, 8000, 1, 27, false),  // odd chunks with pad bytes, then cue
    ])
    func readsEveryFixtureExactly(name: String, encoding: WAVSampleEncoding, rate: Int, channels: Int, frames: Int, extensible: Bool) throws {
        let file = try WAVFile(contentsOf: wavFixtures + "/" + name)
        #expect(file.format == WAVFormat(encoding: encoding, channelCount: channels, sampleRate: rate, isExtensible: extensible))
        #expect(file.frameCount == frames)
        let expected = WAVFileTests.expectedSamples(frames: frames, channels: channels, encoding: encoding)
        #expect(file.samples == expected)
        #expect(file.samples.allSatisfy { $0 >= -1 && $0 < 1 })
    }

    @Test func valuesAtTheEdgesOfTheRange() throws {
        let pcm32 = try WAVFile(contentsOf: wavFixtures + "/pcm32_mono.wav")
        let top = Float(1).nextDown
        let pcm32Edges: [Float] = [-1, top, 0, -0x1p-31, 0x1p-31]  // 2^31 − 1 rounds to 1, kept below
        #expect(Array(pcm32.samples.prefix(5)) == pcm32Edges)
        let pcm8 = try WAVFile(contentsOf: wavFixtures + "/pcm8_mono.wav")
        let pcm8Edges: [Float] = [-1, 127.0 / 128, 0, -1.0 / 128, 1.0 / 128]
        #expect(Array(pcm8.samples.prefix(5)) == pcm8Edges)
        let float32 = try WAVFile(contentsOf: wavFixtures + "/float32_mono.wav")
        let floatEdges: [Float] = [-1, 0, 0.5, -0.25, top, top, -1, top]  // 1.0, 1.5, −3 clipped
        #expect(Array(float32.samples.prefix(8)) == floatEdges)
    }

    @Test func channelsAndMono() throws {
        let stereo = try WAVFile(contentsOf: wavFixtures + "/pcm16_stereo.wav")
        let left = (0..<24).map { Float(WAVFileTests.code($0, bits: 16)) / 32768 }
        let right = (0..<24).map { Float(WAVFileTests.code($0 + 7, bits: 16)) / 32768 }
        #expect(stereo.channel(0) == left)
        #expect(stereo.channel(1) == right)
        #expect(stereo.mono == zip(left, right).map { min(($0 + $1) * 0.5, Float(1).nextDown) })
        let three = try WAVFile(contentsOf: wavFixtures + "/extensible_pcm24_3ch.wav")
        for (frame, value) in three.mono.enumerated() {
            let sum = (0..<3).map { three.samples[3 * frame + $0] }.reduce(0, +)
            #expect(value == min(sum * (1 / Float(3)), Float(1).nextDown))
        }
        let mono = try WAVFile(contentsOf: wavFixtures + "/pcm16_mono.wav")
        #expect(mono.mono == mono.samples && mono.channel(0) == mono.samples)
    }

    // MARK: Writing

    @Test func writeThenReadIsWithinOneStep() throws {
        var generator = SplitMix(seed: 5)
        let folder = try temporaryFolder()
        for channels in [1, 2, 5] {
            let samples = (0..<(97 * channels)).map { _ in Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }  // [-1, 1)
            let audio = WAVFile(sampleRate: 16000, channelCount: channels, samples: samples)
            let path = folder + "/round-\(channels).wav"
            try audio.write(to: path)
            let read = try WAVFile(contentsOf: path)
            #expect(read.format == audio.format)
            #expect(read.frameCount == 97)
            let worst = zip(read.samples, samples).map { abs($0 - $1) }.max()!
            #expect(worst <= 1 / 32768, "\(channels) channels: error \(worst)")
            // What was read is on the 16-bit grid: writing it again gives the same bytes.
            #expect(read.encoded == (try FileIO.read(path)))
            #expect(try WAVFile(parsing: read.encoded, path: "again") == read)
        }
    }

    /// The 44-byte header worked by hand, and the writer's rounding and clipping.
    @Test func encodedLayout() {
        let audio = WAVFile(sampleRate: 8000, channelCount: 2, samples: [0.5, -1, 1, 2, .nan, -3, 0x1p-16, -0x1p-16 - 0x1p-20])
        let expected: [UInt8] = [
            0x52, 0x49, 0x46, 0x46, 52, 0, 0, 0, 0x57, 0x41, 0x56, 0x45,  // RIFF, 36 + 16, WAVE
            0x66, 0x6D, 0x74, 0x20, 16, 0, 0, 0,  // fmt , 16 bytes
            1, 0, 2, 0, 0x40, 0x1F, 0, 0, 0x00, 0x7D, 0, 0, 4, 0, 16, 0,  // PCM, 2 channels, 8000 Hz, 32000 B/s, align 4, 16 bits
            0x64, 0x61, 0x74, 0x61, 16, 0, 0, 0,  // data, 16 bytes
            0x00, 0x40, 0x00, 0x80, 0xFF, 0x7F, 0xFF, 0x7F,  // 16384, −32768, 32767 (1 clipped), 32767 (2 clipped)
            0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0xFF, 0xFF,  // NaN → 0, −3 → −32768, 2^−16 → 1 (ties away from 0), −1.0625·2^−16 → −1
        ]
        #expect(audio.encoded == expected)
    }

    /// The size limit (not exercised: it would take 4 GiB of samples) and the smallest file.
    @Test func sizeLimitAndEmptyAudio() throws {
        #expect(WAVFile.maximumDataSize == 4_294_967_259)
        let folder = try temporaryFolder()
        try WAVFile(sampleRate: 8000, samples: []).write(to: folder + "/empty.wav")
        let empty = try WAVFile(contentsOf: folder + "/empty.wav")
        #expect(empty.frameCount == 0 && empty.samples.isEmpty)
    }

    // MARK: Malformed files

    /// A WAV file from parts: RIFF header (size computed unless given), then the chunks as given (id,
    /// payload; odd payloads padded unless `pad` is false).
    static func wav(_ chunks: [(String, [UInt8])], riffSize: Int? = nil, form: String = "WAVE", magic: String = "RIFF", pad: Bool = true) -> [UInt8] {
        var body = Array(form.utf8)
        for (id, payload) in chunks {
            body += Array(id.utf8) + le32(payload.count) + payload
            if pad && payload.count % 2 == 1 { body.append(0) }
        }
        return Array(magic.utf8) + le32(riffSize ?? body.count) + body
    }

    static func le32(_ value: Int) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) } }
    static func le16(_ value: Int) -> [UInt8] { [0, 8].map { UInt8(truncatingIfNeeded: value >> $0) } }

    /// A fmt payload: code, channels, rate, block align, bits (byte rate derived), then `extra` bytes.
    static func fmt(code: Int = 1, channels: Int = 1, rate: Int = 8000, blockAlign: Int? = nil, bits: Int = 16, extra: [UInt8] = []) -> [UInt8] {
        let align = blockAlign ?? channels * bits / 8
        return le16(code) + le16(channels) + le32(rate) + le32(rate * align) + le16(align) + le16(bits) + extra
    }

    /// The extension of an extensible fmt: cbSize 22, valid bits, channel mask, sub-format GUID.
    static func extensible(validBits: Int = 16, subFormat: Int = 1, guidTail: [UInt8] = WAVFormat.subFormatGUIDTail) -> [UInt8] {
        le16(22) + le16(validBits) + le32(4) + le16(subFormat) + guidTail
    }

    @Test func malformedFilesNameTheFileAndTheProblem() {
        let fmt16 = ("fmt ", WAVFileTests.fmt())
        let data4 = ("data", [UInt8](repeating: 1, count: 4))
        let good = WAVFileTests.wav([fmt16, data4])
        let cases: [([UInt8], String)] = [
            (Array(good.prefix(11)), "too short for a RIFF header (11 bytes, at least 12)"),
            (WAVFileTests.wav([fmt16, data4], magic: "RIFX"), "big-endian RIFX files are not supported"),
            (WAVFileTests.wav([fmt16, data4], magic: "RF64"), "RF64 (64-bit RIFF) files are not supported"),
            (Array("OggS".utf8) + good.dropFirst(4), "not a WAV file (the first 4 bytes are not RIFF)"),
            (WAVFileTests.wav([fmt16, data4], form: "AVI "), "not a WAV file (RIFF form type 'AVI ', expected 'WAVE')"),
            (WAVFileTests.wav([fmt16, data4], riffSize: 2), "RIFF header declares 2 bytes, fewer than the 4 of its form type"),
            (Array(good.dropLast(2)), "truncated: the RIFF header declares 40 bytes after it, the file holds 38"),
            (WAVFileTests.wav([fmt16, data4], riffSize: 33), "truncated: 5 bytes at byte 36 are too few for a chunk header"),
            (WAVFileTests.wav([fmt16, data4], riffSize: 39), "truncated: chunk 'data' at byte 36 declares 4 bytes, 3 remain"),
            (WAVFileTests.wav([fmt16, ("data", [1, 2, 3, 4, 5, 6])], riffSize: 38),
             "truncated: chunk 'data' at byte 36 declares 6 bytes, 2 remain"),
            (WAVFileTests.wav([fmt16, ("LIST", [1, 2, 3]), data4], pad: false),
             "chunk at byte 48 has an invalid id (bytes 61 74 61 04)"),
            (WAVFileTests.wav([fmt16, fmt16, data4]), "a second fmt chunk at byte 36"),
            (WAVFileTests.wav([fmt16, data4, data4]), "a second data chunk at byte 48"),
            (WAVFileTests.wav([data4]), "no fmt chunk (the file does not say how its samples are stored)"),
            (WAVFileTests.wav([fmt16, ("LIST", [])]), "no data chunk (the file holds no samples)"),
            (WAVFileTests.wav([("fmt ", Array(WAVFileTests.fmt().prefix(14))), data4]), "fmt chunk at byte 12 is 14 bytes, expected at least 16"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 2, bits: 4, extra: [0, 0])), data4]),
             "WAV format code 0x0002 (Microsoft ADPCM) is not supported (only 1 PCM, 3 IEEE float and 0xFFFE extensible)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0x55)), data4]),
             "WAV format code 0x0055 (MPEG Layer III) is not supported (only 1 PCM, 3 IEEE float and 0xFFFE extensible)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0x1234)), data4]),
             "WAV format code 0x1234 is not supported (only 1 PCM, 3 IEEE float and 0xFFFE extensible)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0xFFFE, extra: [22, 0])), data4]),
             "extensible fmt chunk at byte 12 is 18 bytes, expected at least 40"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0xFFFE, extra: WAVFileTests.extensible(subFormat: 7))), data4]),
             "extensible sub-format 0x0007 (µ-law) is not supported (only PCM and IEEE float)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0xFFFE, extra: WAVFileTests.extensible(guidTail: [UInt8](repeating: 0xAB, count: 14)))), data4]),
             "extensible sub-format GUID abab0001-abab-abab-abab-abababababab is not PCM or IEEE float"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 0xFFFE, extra: WAVFileTests.extensible(validBits: 20))), data4]),
             "extensible fmt chunk declares 20 valid bits in 16-bit samples"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(channels: 0, blockAlign: 2)), data4]), "fmt chunk declares 0 channels"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(rate: 0)), data4]), "fmt chunk declares a sample rate of 0"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(blockAlign: 2, bits: 12)), data4]),
             "PCM with 12 bits per sample is not supported (8, 16, 24 or 32)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 3, bits: 16)), data4]),
             "IEEE float with 16 bits per sample is not supported (32 or 64)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(channels: 2, blockAlign: 2)), data4]),
             "block align 2 does not match 2 channels × 2 bytes per sample (4)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(channels: 3, bits: 24)), data4]),
             "data chunk is 4 bytes, not a whole number of 9-byte frames (3 channels of 24-bit PCM)"),
            (WAVFileTests.wav([fmt16, ("data", [1, 2, 3])]), "data chunk is 3 bytes, not a whole number of 2-byte frames (1 channel of 16-bit PCM)"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 3, bits: 32)), ("data", [0, 0, 0, 0, 0, 0, 0xC0, 0x7F])]),
             "sample of frame 1, channel 0 is nan, not a finite number"),
            (WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 3, channels: 2, bits: 64)), ("data", [UInt8](repeating: 0, count: 8) + [0, 0, 0, 0, 0, 0, 0xF0, 0xFF])]),
             "sample of frame 0, channel 1 is -inf, not a finite number"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: DataError("f.wav", problem)) { _ = try WAVFile(parsing: bytes, path: "f.wav") }
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: DataError("/nonexistent/x.wav", "cannot open (No such file or directory)")) {
            _ = try WAVFile(contentsOf: "/nonexistent/x.wav")
        }
    }

    /// What is tolerated (and documented in RIFFChunks): unknown sizes from streaming writers, bytes
    /// after the RIFF form, a missing final pad byte, chunks in any order, a huge double (clipped).
    @Test func toleratedQuirks() throws {
        let fmt16 = ("fmt ", WAVFileTests.fmt())
        let samples: [UInt8] = [0x00, 0x40, 0x00, 0xC0]  // 0.5, −0.5
        // RIFF and data sizes 0xFFFFFFFF: the data run to the end of the file.
        var streamed = WAVFileTests.wav([fmt16, ("data", samples)], riffSize: 0xFFFF_FFFF)
        streamed.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try WAVFile(parsing: streamed, path: "s").samples == [0.5, -0.5])
        // A partial frame at the end is still refused, named as data to the end of the file.
        #expect(throws: DataError("s", "data (to the end of the file, size 0xFFFFFFFF) is 5 bytes, not a whole number of 2-byte frames (1 channel of 16-bit PCM)")) {
            _ = try WAVFile(parsing: streamed + [7], path: "s")
        }
        // An appended ID3 tag after the RIFF form is ignored.
        let tagged = WAVFileTests.wav([fmt16, ("data", samples)]) + Array("ID3\u{3}\0\0\0\0\0\0".utf8)
        #expect(try WAVFile(parsing: tagged, path: "t").samples == [0.5, -0.5])
        // Data before fmt; an empty data chunk is zero frames.
        #expect(try WAVFile(parsing: WAVFileTests.wav([("data", samples), fmt16]), path: "o").samples == [0.5, -0.5])
        #expect(try WAVFile(parsing: WAVFileTests.wav([fmt16, ("data", [])]), path: "e").frameCount == 0)
        // 8-bit, odd data, the pad byte missing at the very end (as Python's wave writes).
        let unpadded = WAVFileTests.wav([("fmt ", WAVFileTests.fmt(bits: 8)), ("data", [0, 128, 255])], pad: false)
        #expect(try WAVFile(parsing: unpadded, path: "u").samples == [-1, 0, 127 / 128])
        // A float64 beyond Float's range is clipped like any value beyond ±1.
        let big = WAVFileTests.wav([("fmt ", WAVFileTests.fmt(code: 3, bits: 64)), ("data", WAVFileTests.le64(Double(1e300).bitPattern))])
        #expect(try WAVFile(parsing: big, path: "b").samples == [Float(1).nextDown])
    }

    static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// Thousands of corruptions of the fixtures (Mutator: flips, byte changes, truncation, insertion,
    /// deletion, and rewrites of the RIFF size, the fmt fields and the first chunk sizes), half of them
    /// with the RIFF size and a chunk size running past the end repaired (so they reach the checks of
    /// the format and the frames): each parses to consistent audio no larger than the file's bytes
    /// allow, or throws DataError.
    @Test func mutatedFilesNeverCrash() throws {
        let names = ["pcm8_mono.wav", "pcm16_stereo.wav", "pcm24_mono.wav", "pcm32_mono.wav", "float32_mono.wav",
                     "float64_stereo.wav", "extensible_pcm24_3ch.wav", "extensible_float32_mono.wav", "list_chunk.wav", "odd_chunk.wav"]
        let seeds = try names.map { try FileIO.read(wavFixtures + "/" + $0) }
        // RIFF size, fmt size, code, channels, rate, byte rate, block align, bits, cbSize, valid bits,
        // sub-format code, the size of the chunk after fmt (data in most seeds), and the byte at 36.
        var mutator = Mutator(seed: 7, fields: [(4, 4), (16, 4), (20, 2), (22, 2), (24, 4), (28, 4), (32, 2), (34, 2),
                                                (36, 2), (38, 2), (44, 2), (40, 4), (36, 1)])
        var parsed = 0, problems: [String] = []
        for round in 0..<8000 {
            var bytes = mutator.mutate(seeds[round % seeds.count])
            if round % 2 == 1 { bytes = WAVFileTests.repairingSizes(bytes) }
            do {
                let file = try WAVFile(parsing: bytes, path: "m.wav")
                #expect(file.samples.count == file.frameCount * file.channelCount)
                #expect(file.samples.count <= bytes.count)  // never more samples than bytes
                #expect(file.samples.allSatisfy { $0 >= -1 && $0 < 1 })
                parsed += 1
            } catch let error as DataError {
                problems.append(error.problem)
            } catch { Issue.record("unexpected error \(error)") }
        }
        #expect(parsed > 0)
        for check in ["not a WAV file", "truncated", "invalid id", "is not supported", "block align", "not a whole number of",
                      "0 channels", "sample rate of 0", "no data chunk", "no fmt chunk", "not a finite number"] {
            #expect(problems.contains { $0.contains(check) }, "no mutation reached the check \"\(check)\"")
        }
    }

    /// `bytes` with the RIFF size set to the bytes after it and the first chunk that runs past the end
    /// cut to what remains.
    static func repairingSizes(_ file: [UInt8]) -> [UInt8] {
        guard file.count >= 12 else { return file }
        var bytes = file
        bytes.replaceSubrange(4..<8, with: le32(bytes.count - 8))
        var position = 12
        while position + 8 <= bytes.count {
            let size = (0..<4).reduce(0) { $0 | Int(bytes[position + 4 + $1]) << (8 * $1) }
            if size > bytes.count - position - 8 {
                bytes.replaceSubrange((position + 4)..<(position + 8), with: le32(bytes.count - position - 8))
                break
            }
            position += 8 + size + size % 2
        }
        return bytes
    }

    // MARK: A real file

    /// Free Spoken Digit Dataset: 8000 Hz, mono, 16-bit; values as scipy.io.wavfile reads them.
    @Test(.enabled(if: SharedData.isAvailable("fsdd/recordings/0_jackson_0.wav"), "needs ../shared/data/fsdd"))
    func readsARealRecording() throws {
        let file = try WAVFile(contentsOf: SharedData.path("fsdd/recordings/0_jackson_0.wav"))
        #expect(file.format == WAVFormat(encoding: .signed16, channelCount: 1, sampleRate: 8000))
        #expect(file.frameCount == 5148)
        #expect(Array(file.samples.prefix(8)) == [-369, -431, -475, -543, -571, -557, -528, -455].map { Float($0) / 32768 })
        #expect(Array(file.samples.suffix(4)) == [260, 301, 324, 304].map { Float($0) / 32768 })
        #expect(file.samples.map { Int($0 * 32768) }.reduce(0, +) == -1222)
        #expect(file.samples.max() == 24163 / 32768 && file.samples.min() == -21657 / 32768 && file.samples[2677] == 24163 / 32768)
    }
}
