#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import vqvae
import VQData
import VQEngine
import VQModels

/// `vqvae audio` end to end on a tiny FSDD-named folder (two speakers, two digits, tones): train the
/// tiny preset, reconstruct, convert, evaluate, resume; and the one-line errors.
@Suite(.serialized) struct AudioCommandsTests {
    /// speakers ann and bob, digits 0 and 1, takes 0-5 (0-4 test, 5 train): a tone per digit whose
    /// pitch depends on the speaker, 0.1 s at 8 kHz.
    static func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "/vqvae-audio-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        for (s, speaker) in ["ann", "bob"].enumerated() {
            for digit in 0..<2 {
                for take in 0..<6 {
                    let frequency = Float(300 + 200 * digit) * (s == 0 ? 1 : 1.5)
                    let samples = (0..<800).map { 0.4 * sinf(2 * .pi * frequency * Float($0) / 8000 + Float(take)) }
                    try WAVFile(sampleRate: 8000, samples: samples).write(to: folder + "/data/\(digit)_\(speaker)_\(take).wav")
                }
            }
        }
        return folder
    }

    static func run(_ arguments: [String]) throws {
        var command = try VQVAECommand.parseAsRoot(arguments)
        try command.run()
    }

    static func failure(_ arguments: [String]) -> String? {
        do { try run(arguments); return nil } catch { return VQVAECommand.message(for: error) }
    }

    /// Two steps of the tiny preset on `folder`/data with `extra` options, in `folder`/`run`: the
    /// model's path and its configuration.
    static func trainTiny(in folder: String, _ extra: [String], run: String = "run") throws -> (model: String, configuration: VQVAEConfiguration) {
        try Self.run(["audio", "train", "--data", folder + "/data", "--preset", "tiny", "--batch", "4", "--window", "256",
                      "--steps", "2", "--out", folder + "/" + run] + extra)
        let model = folder + "/" + run + "/model.safetensors"
        return (model, try VQVAE(checkpoint: SafeTensors(contentsOf: model), path: model).configuration)
    }

    @Test func trainReconstructConvertEvaluateResume() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run"
        let common = ["audio", "train", "--data", folder + "/data", "--preset", "tiny", "--batch", "4", "--window", "256",
                      "--save-every", "2", "--log-every", "1"]
        try Self.run(common + ["--steps", "2", "--out", run])
        let info = try AudioModelInfo(metadata: SafeTensors(contentsOf: run + "/model.safetensors").metadata, path: "m")
        // FSDD names give the ten digits as classes whichever occur.
        #expect(info == AudioModelInfo(sampleRate: 8000, speakers: ["ann", "bob"], classes: (0..<10).map { "\($0)" }))
        #expect(FileManager.default.fileExists(atPath: run + "/spectrograms.png"))
        let picture = try PNGDecoder.read(run + "/spectrograms.png")
        #expect(picture.width > 360 * 3 && picture.height > 220)   // original, reconstruction, one conversion per row
        // --resume alone continues with the saved settings; other typed settings are refused, but --steps
        // trains the finished run further.
        #expect(Self.failure(["audio", "train", "--resume", run, "--batch", "8"])?.contains("batchSize saved 4, now 8") == true)
        try Self.run(["audio", "train", "--resume", run, "--steps", "3"])
        #expect(try SavedRun(run: RunFolder(run)).step == 3)

        let model = run + "/model.safetensors"
        let input = folder + "/data/1_ann_0.wav"
        try Self.run(["audio", "reconstruct", "--model", model, "--out", folder + "/rec", input])
        let reconstruction = try WAVFile(contentsOf: folder + "/rec/1_ann_0.wav")
        #expect(reconstruction.sampleRate == 8000 && reconstruction.frameCount == 800)
        try Self.run(["audio", "convert", "--model", model, "--speaker", "bob", "--out", folder + "/conv", input])
        #expect(try WAVFile(contentsOf: folder + "/conv/1_ann_0.wav").frameCount == 800)
        #expect(Self.failure(["audio", "convert", "--model", model, "--speaker", "eve", "--out", folder + "/conv", input])?
                    .contains("speaker 'eve' is unknown to the model (it knows ann, bob)") == true)
        // A file without a speaker in its name needs --speaker for a conditioned model.
        try FileManager.default.copyItem(atPath: input, toPath: folder + "/plain.wav")
        #expect(Self.failure(["audio", "reconstruct", "--model", model, "--out", folder + "/rec", folder + "/plain.wav"])?
                    .contains("the model decodes with a speaker (ann, bob); name one with --speaker") == true)
        try Self.run(["audio", "reconstruct", "--model", model, "--speaker", "bob", "--out", folder + "/rec", folder + "/plain.wav"])
        // The units of the test split: ragged (one sequence per clip, 800 samples / 16 = 50 units each),
        // with the digits and the model's speaker numbers.
        try Self.run(["audio", "encode", "--model", model, "--data", folder + "/data", "--out", folder + "/units.vqc"])
        let units = try CodesFile(contentsOf: folder + "/units.vqc")
        #expect(units.count == 20 && units.isRagged && units.lengths == [Int](repeating: 50, count: 20))
        #expect(Set(units.labels) == [0, 1] && Set(units.speakers) == [0, 1])
        // An image model is refused by the audio commands in one line.
        #expect(Self.failure(["audio", "eval", "--model", folder + "/nothing.safetensors", "--data", folder + "/data"])?.contains("nothing.safetensors") == true)
        // A window the model cannot take is refused before anything is written.
        #expect(Self.failure(common + ["--steps", "1", "--window", "100", "--out", folder + "/bad"])?.contains("not a multiple of the downsampling factor 16") == true)
        #expect(!FileManager.default.fileExists(atPath: folder + "/bad"))
    }

    /// `--harmonics 4`: the model has a pitch source; its evaluation counts the F0 beside the codes,
    /// 8000/16 positions per second × (5 bits of K 32 + 6 bits of F0) = 5500 bit/s, 3000 of them F0; it
    /// converts; out-of-range harmonics are refused in one line.
    @Test func pitchSourceEndToEnd() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (model, configuration) = try Self.trainTiny(in: folder, ["--harmonics", "4"])
        #expect(configuration.pitchSource == PitchSourceConfiguration(harmonics: 4, sampleRate: 8000))
        let report = try AnomalyCommandsTests.json(AnomalyCommandsTests.output(["audio", "eval", "--model", model, "--data", folder + "/data", "--json"]))
        #expect(report["bits_per_second"] as? Double == 5500 && report["pitch_bits_per_second"] as? Double == 3000, "\(report)")
        try Self.run(["audio", "convert", "--model", model, "--speaker", "bob", "--out", folder + "/conv", folder + "/data/1_ann_0.wav"])
        #expect(try WAVFile(contentsOf: folder + "/conv/1_ann_0.wav").frameCount == 800)
        #expect(Self.failure(["audio", "train", "--data", folder + "/data", "--harmonics", "65", "--out", folder + "/bad"])?
                    .contains("--harmonics must be between 0 (none) and 64") == true)
    }

    /// The recipe's clip peak (0.5) is kept with the model, and `--clip-peak 0` turns it off; a clip
    /// and its copy at a tenth of the loudness reconstruct alike, each at its own loudness (to 1% of
    /// the peak: both pass through 16-bit WAVs); a level above 1 is refused in one line.
    @Test func clipPeakEndToEnd() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (model, configuration) = try Self.trainTiny(in: folder, [])
        #expect(configuration.clipPeak == 0.5)
        #expect(try Self.trainTiny(in: folder, ["--clip-peak", "0"], run: "off").configuration.clipPeak == nil)
        let loud = try WAVFile(contentsOf: folder + "/data/1_ann_0.wav")
        try FileManager.default.createDirectory(atPath: folder + "/quiet", withIntermediateDirectories: true)
        try WAVFile(sampleRate: 8000, samples: loud.samples.map { $0 * 0.1 }).write(to: folder + "/quiet/1_ann_0.wav")
        try Self.run(["audio", "reconstruct", "--model", model, "--out", folder + "/rec-loud", folder + "/data/1_ann_0.wav"])
        try Self.run(["audio", "reconstruct", "--model", model, "--out", folder + "/rec-quiet", folder + "/quiet/1_ann_0.wav"])
        let a = try WAVFile(contentsOf: folder + "/rec-loud/1_ann_0.wav").samples
        let b = try WAVFile(contentsOf: folder + "/rec-quiet/1_ann_0.wav").samples
        let largest = a.map(abs).max()!
        #expect(largest > 0.01)
        #expect(zip(a, b).map { abs($0 * 0.1 - $1) }.max()! <= 0.01 * largest + 2.0 / 32768)
        #expect(Self.failure(["audio", "train", "--data", folder + "/data", "--clip-peak", "2", "--out", folder + "/bad"])?
                    .contains("--clip-peak must be between 0 (off) and 1") == true)
    }
}
