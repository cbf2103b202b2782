import Foundation
import Testing
import VQData
import VQEngine
import VQModels

/// A speech model with a clip peak (`VQVAEConfiguration.clipPeak`): loudness goes in through one gain
/// and comes back out through it.
@Suite struct ClipPeakTests {
    /// AudioModelTests' small speech model with `clipPeak`.
    static func model(clipPeak: Float? = 0.5) -> VQVAE {
        var configuration = AudioModelTests.model().configuration
        configuration.clipPeak = clipPeak
        var generator = RandomGenerator(seed: 2)
        return VQVAE(configuration, generator: &generator)
    }

    /// A 300 Hz tone of peak 0.1 and 37 samples past a multiple of F.
    static let clip: [Float] = (0..<837).map { Float(0.1 * sin(2 * Double.pi * 300 * Double($0) / 8000)) }

    /// The model sees the tone at 0.1 and at 0.01 alike (both brought to 0.5), and the reconstruction
    /// comes back at the input's loudness: the quiet clip's is the loud one's times 0.1 (to float
    /// rounding; the gains are 5 and 50, applied in Float). The decoder's biases and ReLUs make it
    /// far from homogeneous, so this holds only because the two inputs it saw were the same.
    @Test func codesIgnoreLoudnessAndOutputsKeepIt() {
        let model = Self.model()
        let quiet = Self.clip.map { $0 * 0.1 }
        #expect(model.encode(clip: Self.clip[...]) == model.encode(clip: quiet[...]))
        let loud = model.reconstruct(clip: Self.clip[...], condition: 0), soft = model.reconstruct(clip: quiet[...], condition: 0)
        #expect(loud.count == 837 && soft.count == 837)
        let largest = loud.map(abs).max()!
        #expect(largest > 0)
        for (a, b) in zip(loud, soft) { #expect(abs(a * 0.1 - b) <= 1e-5 * largest) }
    }

    /// The reconstruction is the decoded codes divided by the gain (0.5 / 0.1 = 5 for this clip, to
    /// float rounding of the peak); conversion too.
    @Test func outputsAreDividedByTheInputGain() {
        let model = Self.model()
        let gain = model.inputGain(Self.clip[...])
        #expect(abs(gain - 5) < 1e-4)
        let codes = model.encode(clip: Self.clip[...])
        let decoded = model.decode(clipCodes: codes, length: 837, condition: 1)
        #expect(model.reconstruct(clip: Self.clip[...], condition: 1) == decoded.map { $0 / gain })
        #expect(model.convert(clip: Self.clip[...], to: 1) == decoded.map { $0 / gain })
    }

    /// Without a clip peak the gain is 1 and the model sees the clip as it is: the quiet tone's
    /// reconstruction is then not the loud one's times 0.1 (by more than 1% of the loud one's peak).
    @Test func withoutAClipPeakTheClipIsAsItIs() {
        let model = Self.model(clipPeak: nil)
        #expect(model.inputGain(Self.clip[...]) == 1)
        let loud = model.reconstruct(clip: Self.clip[...], condition: 0)
        let soft = model.reconstruct(clip: Self.clip.map { $0 * 0.1 }[...], condition: 0)
        let largest = loud.map(abs).max()!
        #expect(zip(loud, soft).map { abs($0 * 0.1 - $1) }.max()! > 0.01 * largest)
    }

    /// The level must be in (0, 1] and needs mono sequences; it survives the configuration's JSON, and a
    /// configuration written without it (every model before it) reads as nil.
    @Test func configuration() throws {
        var configuration = Self.model().configuration
        let json = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(VQVAEConfiguration.self, from: json).clipPeak == 0.5)
        configuration.clipPeak = nil
        let older = try JSONEncoder().encode(configuration)
        #expect(!String(decoding: older, as: UTF8.self).contains("clipPeak"))
        #expect(try JSONDecoder().decode(VQVAEConfiguration.self, from: older).clipPeak == nil)
        configuration.clipPeak = 1.5
        #expect(configuration.problems == "the clip peak must be above 0 and at most 1, not 1.5")
        var images = VQVAEConfiguration(preset: .tiny, inputChannels: 1)
        images.clipPeak = 0.5
        #expect(images.problems == "a clip peak needs mono sequences")
    }

    /// Training windows are cut from the peak-normalised clips (the same draws as from the clips as
    /// read, each window times its clip's gain), while the set's identity is that of the clips as read.
    @Test func trainingWindowsComeFromNormalisedClips() {
        let clips: [[Float]] = [(0..<300).map { Float($0 % 7) * 0.01 }, (0..<500).map { Float($0 % 5) * -0.1 }]
        let raw = AudioDataset(clips: clips, sampleRate: 8000, speakers: [0, 1])
        let plain = AudioWindowSet(dataset: raw, windowLength: 128)
        let peaked = AudioWindowSet(dataset: raw, windowLength: 128, clipPeak: 0.5)
        var first = RandomGenerator(seed: 9), second = RandomGenerator(seed: 9)
        let a = plain.trainingBatch(count: 6, generator: &first), b = peaked.trainingBatch(count: 6, generator: &second)
        #expect(a.labels == b.labels)
        var third = RandomGenerator(seed: 9)
        let check = raw.windows(count: 6, length: 128, generator: &third)
        for row in 0..<6 {
            let gain = AudioDataset.peakGain(of: raw.clip(check.clips[row]), level: 0.5)
            #expect(Array(b.input.scalars[(row * 128)..<(row * 128 + 128)]) == a.input.scalars[(row * 128)..<(row * 128 + 128)].map { $0 * gain })
        }
        #expect(peaked.identity(name: "x") == plain.identity(name: "x"))
    }
}
