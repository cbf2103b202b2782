import Foundation
import Testing
import VQData
import VQEngine
import VQModels

/// A small speech model on clips of any length, its metadata, and its evaluation.
@Suite struct AudioModelTests {
    static func model(speakers: Int = 2) -> VQVAE {
        var configuration = VQVAEConfiguration.speech(sampleRate: 8000, speakers: speakers, downsampling: 8)
        configuration.hiddenChannels = 8
        configuration.residualChannels = 4
        configuration.residualBlocks = 2
        configuration.embeddingDim = 4
        configuration.quantizer.codebookSize = 16
        configuration.pitchSource = nil      // PitchSourceTests has the recipe's pitch source
        var generator = RandomGenerator(seed: 2)
        return VQVAE(configuration, generator: &generator)
    }

    /// A clip of any length is padded to a multiple of F (8): 13 samples → 2 positions, and the output
    /// has the clip's own length; decode(encode) is the reconstruction.
    @Test func clipsOfAnyLengthComeBackAtTheirLength() {
        let model = Self.model()
        let clip: [Float] = (0..<13).map { Float($0) / 13 - 0.5 }
        let codes = model.encode(clip: clip[...])
        #expect(codes.count == 2)
        let output = model.reconstruct(clip: clip[...], condition: 1)
        #expect(output.count == 13)
        let gain = model.inputGain(clip[...])      // the recipe's clip peak: outputs come back at the clip's loudness
        #expect(model.decode(clipCodes: codes, length: 13, condition: 1).map { $0 / gain } == output)
    }

    /// `centersLatents`: the encoder's output has mean 0 over time for every item and channel (to float
    /// rounding), and differs from the uncentred encoder's by exactly that mean; the setting survives the
    /// configuration's JSON, and configurations without the key read as uncentred.
    @Test func centredLatentsHaveZeroMeanOverTime() throws {
        var centred = Self.model()
        var configuration = centred.configuration
        configuration.centersLatents = true
        var generator = RandomGenerator(seed: 2)
        centred = VQVAE(configuration, generator: &generator)
        let plain = Self.model()
        var input = RandomGenerator(seed: 3)
        let x = Tensor(uniform: [3, 1, 64], low: -0.5, high: 0.5, generator: &input)
        let (a, b) = (centred.encoder(x), plain.encoder(x))   // (3, 4, 8) each
        let means = a.mean(alongAxes: [2]).scalars
        #expect(means.allSatisfy { abs($0) < 1e-6 }, "\(means)")
        let expected = b - b.mean(alongAxes: [2], keepingDimensions: true)
        #expect(zip(a.scalars, expected.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
        let json = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(VQVAEConfiguration.self, from: json).centersLatents)
        #expect(try !JSONDecoder().decode(VQVAEConfiguration.self, from: JSONEncoder().encode(plain.configuration)).centersLatents)
    }

    @Test func metadataRoundTripAndSpeakerErrors() throws {
        let info = AudioModelInfo(sampleRate: 8000, speakers: ["ann", "bob"], classes: ["0", "1"])
        let read = try AudioModelInfo(metadata: info.metadata.merging(["seed": "1"]) { $1 }, path: "m")
        #expect(read == info)
        #expect(try info.speaker(named: "bob", path: "m") == 1)
        #expect(throws: DataError("m", "speaker 'eve' is unknown to the model (it knows ann, bob)")) { _ = try info.speaker(named: "eve", path: "m") }
        #expect(throws: DataError("m", "not a speech model: the metadata has no sample_rate (train one with vqvae audio train)")) {
            _ = try AudioModelInfo(metadata: [:], path: "m")
        }
        var dataset = AudioDataset(clips: [[0, 1]], sampleRate: 8000, speakers: [0])
        dataset.speakerNames = ["bob"]
        #expect(try info.speakerMap(for: dataset, source: "d") == [1])
        dataset.speakerNames = ["carl"]
        #expect(throws: DataError("d", "speaker 'carl' is unknown to the model (it knows ann, bob)")) { _ = try info.speakerMap(for: dataset, source: "d") }
    }

    /// The evaluation's arithmetic on a model whose output is exactly zero (all decoder weights zero):
    /// SNR = 10·log₁₀(Σx²/Σx²) = 0 dB; bit rate = 8000/8 positions per second × ⌈log₂ 16⌉ bits = 4000.
    @Test func evaluationFigures() throws {
        var model = Self.model()
        var tensors = model.namedTensors
        for name in tensors.keys where name.hasPrefix("decoder.") { tensors[name] = Tensor(zeros: tensors[name]!.shape) }
        try model.loadNamedTensors(tensors)
        var generator = RandomGenerator(seed: 5)
        let clips = (0..<4).map { _ in (0..<(40 + generator.nextIndex(below: 20))).map { _ in Float(generator.nextUniformDouble()) - 0.5 } }
        let dataset = AudioDataset(clips: clips, sampleRate: 8000, labels: [0, 1, 0, 1], speakers: [0, 1, 1, 0])
        let report = model.evaluateAudio(on: dataset, training: dataset)
        #expect(abs(report.snrDecibels) < 1e-9)
        #expect(report.bitsPerSecond == 4000)
        #expect(report.clips == 4 && report.unitLabelAccuracy != nil && report.unitLabelMutualInformation != nil)
        #expect(report.codebookUsage > 0 && report.codebookUsage <= 1)
        #expect(report.unitSpeakerAccuracy.map { (0...1).contains($0) } == true)
        let unnamed = AudioDataset(clips: clips, sampleRate: 8000, labels: [0, 1, 0, 1])
        #expect(model.evaluateAudio(on: dataset, training: unnamed).unitSpeakerAccuracy == nil)   // no speakers to learn from
    }
}
