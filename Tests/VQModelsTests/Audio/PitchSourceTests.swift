import Foundation
import Testing
import VQData
import VQEngine
import VQModels

/// The pitch source: quantised F0, the harmonic carriers, and a speech model decoding with them.
@Suite struct PitchSourceTests {
    static let source = PitchSource(PitchSourceConfiguration(harmonics: 10, sampleRate: 8000), hop: 8)

    /// A small speech model (F 8) with the recipe's pitch source at 4 harmonics.
    static func model(speakers: Int = 2) -> VQVAE {
        var configuration = AudioModelTests.model(speakers: speakers).configuration
        configuration.pitchSource = PitchSourceConfiguration(harmonics: 4, sampleRate: 8000)
        var generator = RandomGenerator(seed: 2)
        return VQVAE(configuration, generator: &generator)
    }

    /// Code 0 is unvoiced; 1 … 63 are log-spaced from 60 to 400 Hz (a step of (400/60)^(1/62) = 1.0311),
    /// out-of-range frequencies clamp, and every level's frequency codes back to itself.
    @Test func quantisedF0() {
        let s = Self.source
        #expect(s.code(of: 0) == 0 && s.frequency(ofCode: 0) == 0)
        #expect(s.code(of: 60) == 1 && s.code(of: 400) == 63 && s.code(of: 30) == 1 && s.code(of: 1000) == 63)
        #expect(abs(s.frequency(ofCode: 1) - 60) < 1e-3 && abs(s.frequency(ofCode: 63) - 400) < 1e-2)
        #expect(abs(s.frequency(ofCode: 2) / s.frequency(ofCode: 1) - 1.0311) < 1e-4)
        for code in 1...63 { #expect(s.code(of: s.frequency(ofCode: code)) == code) }
    }

    /// Converting moves the voiced frames' mean ln F0 to the target's (to within the half-step of
    /// quantisation) and keeps the unvoiced ones: [100, 0, 200] (geometric mean 141.4 Hz) → about [200, 0, 400].
    @Test func shiftingKeepsIntonation() {
        let shifted = Self.source.shifted([100, 0, 200], toMeanLog: log(2 * 141.42136))
        #expect(shifted[1] == 0)
        #expect(abs(shifted[0] / 200 - 1) < 0.016 && abs(shifted[2] / 400 - 1) < 0.016, "\(shifted)")
        #expect(Self.source.shifted([0, 0], toMeanLog: 5) == [0, 0])
    }

    /// Carriers of 500 Hz (item 0): sin and cos of k·2π·500·t/8000 for k = 1 … 7, zero from k = 8 (4000 Hz,
    /// the Nyquist frequency). Item 1, frames [0, 200 Hz, 0, 200 Hz]: zero in unvoiced frames, where the
    /// phase stands still, so at t = 24 it has run 8 samples of 200 Hz: 0.2 of a cycle.
    @Test func carriersFollowThePhase() {
        let s = Self.source
        let carriers = s.carriers(contour: [500, 500, 500, 500, 0, 200, 0, 200], items: 2, length: 32)
        #expect(carriers.shape == [2, 20, 32])
        let values = carriers.scalars
        func at(_ item: Int, _ channel: Int, _ t: Int) -> Float { values[(item * 20 + channel) * 32 + t] }
        for t in 0..<32 {
            for k in 1...10 {
                let angle = 2 * Double.pi * Double(k) * 500 * Double(t) / 8000
                let (sine, cosine) = k < 8 ? (Float(sin(angle)), Float(cos(angle))) : (0, 0)
                #expect(abs(at(0, 2 * (k - 1), t) - sine) < 1e-4 && abs(at(0, 2 * k - 1, t) - cosine) < 1e-4, "k \(k) t \(t)")
            }
        }
        #expect((0..<20).allSatisfy { c in (0..<8).allSatisfy { at(1, c, $0) == 0 } && (16..<24).allSatisfy { at(1, c, $0) == 0 } })
        #expect(at(1, 0, 8) == 0 && at(1, 1, 8) == 1)
        #expect(abs(at(1, 0, 24) - Float(sin(2 * Double.pi * 0.2))) < 1e-5)
        #expect(abs(at(1, 3, 24) - Float(cos(4 * Double.pi * 0.2))) < 1e-5)
    }

    /// The pitch source adds one output channel per carrier to the last transposed convolution, needs
    /// mono sequences and 1-64 harmonics, and survives the configuration's JSON (absent when off).
    @Test func configuration() throws {
        let model = Self.model()
        #expect(model.configuration.outputChannels == 9)
        #expect(model.namedTensors["decoder.conv_transpose3.weight"]?.shape == [4, 9, 4])
        #expect(model.namedTensors["speaker_pitch"]?.shape == [2])
        var wrong = model.configuration
        wrong.pitchSource?.harmonics = 0
        #expect(wrong.problems == "the pitch source needs 1 to 64 harmonics, not 0")
        var images = VQVAEConfiguration(preset: .tiny, inputChannels: 1)
        images.pitchSource = PitchSourceConfiguration(harmonics: 4, sampleRate: 8000)
        #expect(images.problems == "a pitch source needs mono sequences")
        let json = try JSONEncoder().encode(model.configuration)
        #expect(try JSONDecoder().decode(VQVAEConfiguration.self, from: json) == model.configuration)
        #expect(try !String(decoding: JSONEncoder().encode(AudioModelTests.model().configuration), as: UTF8.self).contains("pitchSource"))
    }

    /// Each speaker's mean ln F0 over its clips (tones of 100 Hz for speaker 0, 200 Hz for speaker 1:
    /// ln 100 = 4.605, ln 200 = 5.298) goes into the `speaker_pitch` buffer, which the checkpoint keeps.
    @Test func speakerPitchIsMeasuredAndSaved() throws {
        var model = Self.model()
        let clips = [100.0, 200, 100, 200].map { f0 in (0..<2000).map { Float(0.4 * sin(2 * Double.pi * f0 * Double($0) / 8000)) } }
        model.measureSpeakerPitch(on: AudioDataset(clips: clips, sampleRate: 8000, speakers: [0, 1, 0, 1]))
        let means = model.speakerPitch!.scalars
        #expect(abs(means[0] - log(100)) < 0.01 && abs(means[1] - log(200)) < 0.01, "\(means)")
        let loaded = try VQVAE(checkpoint: SafeTensors(parsing: model.checkpoint().encoded(), path: "m"), path: "m")
        #expect(loaded.speakerPitch?.scalars == means)
        #expect(loaded.configuration == model.configuration)
    }

    /// A clip's reconstruction decodes its codes with its own quantised F0; its conversion with the F0
    /// moved to the target's mean; and the F0 matters (decoding the codes unvoiced gives another output).
    @Test func reconstructionAndConversionUseTheF0() {
        var model = Self.model()
        let clips = [110.0, 220].map { f0 in (0..<800).map { Float(0.4 * sin(2 * Double.pi * f0 * Double($0) / 8000)) } }
        model.measureSpeakerPitch(on: AudioDataset(clips: clips, sampleRate: 8000, speakers: [0, 1]))
        let clip = clips[0][...]
        let codes = model.encode(clip: clip), pitch = model.pitch(clip: clip)!
        #expect(pitch.count == 100 && pitch[20...80].allSatisfy { abs($0 / 110 - 1) < 0.016 })
        let gain = model.inputGain(clip)       // the recipe's clip peak: outputs come back at the clip's loudness
        #expect(model.reconstruct(clip: clip, condition: 0) == model.decode(clipCodes: codes, length: 800, condition: 0, pitch: pitch).map { $0 / gain })
        let moved = model.pitchSource!.shifted(pitch, toMeanLog: model.speakerPitch!.scalars[1])
        #expect(model.convert(clip: clip, to: 1) == model.decode(clipCodes: codes, length: 800, condition: 1, pitch: moved).map { $0 / gain })
        #expect(moved[20...80].allSatisfy { abs($0 / 220 - 1) < 0.02 })
        let unvoiced = model.decode(clipCodes: codes, length: 800, condition: 0, pitch: [Float](repeating: 0, count: 100)).map { $0 / gain }
        #expect(unvoiced != model.reconstruct(clip: clip, condition: 0))
    }

    /// The bit rate counts the F0 sent beside the codes: 8000/8 positions per second × (4 bits of K 16
    /// + 6 bits of F0) = 10000 bit/s, 6000 of them F0.
    @Test func bitRateCountsTheF0() {
        let model = Self.model()
        let clips = [[Float]](repeating: (0..<200).map { Float($0 % 20) / 40 - 0.25 }, count: 2)
        let report = model.evaluateAudio(on: AudioDataset(clips: clips, sampleRate: 8000, speakers: [0, 1]))
        #expect(report.bitsPerSecond == 10000 && report.pitchBitsPerSecond == 6000)
    }
}
