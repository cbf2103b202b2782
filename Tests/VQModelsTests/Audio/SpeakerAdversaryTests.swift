import Foundation
import Testing
import VQEngine
import VQModels
import VQNN

/// The speaker-adversarial term: where its parameters live, what it adds to the training loss, and
/// which way its gradient pushes the encoder and the classifier.
@Suite struct SpeakerAdversaryTests {
    static func configuration(weight: Float) -> VQVAEConfiguration {
        var configuration = AudioModelTests.model(speakers: 3).configuration
        configuration.speakerAdversaryWeight = weight
        return configuration
    }

    /// The adversary's parameters are drawn after every other one, so a model with it starts with the
    /// same encoder, quantizer and decoder as one without (and the PyTorch peer's initialisation
    /// stays a prefix); the weight survives the configuration's JSON and is absent from it when 0.
    @Test func parametersFollowTheModelsOwn() throws {
        var generator = RandomGenerator(seed: 4)
        let with = VQVAE(Self.configuration(weight: 0.5), generator: &generator)
        generator = RandomGenerator(seed: 4)
        let without = VQVAE(Self.configuration(weight: 0), generator: &generator)
        let added = Set(with.namedTensors.keys).subtracting(without.namedTensors.keys)
        #expect(added == ["speaker_adversary.conv1.weight", "speaker_adversary.conv1.bias",
                          "speaker_adversary.conv2.weight", "speaker_adversary.conv2.bias"])
        #expect(with.namedTensors["speaker_adversary.conv2.weight"]?.shape == [3, 64, 3])
        for (name, tensor) in without.namedTensors { #expect(with.namedTensors[name]!.scalars == tensor.scalars, "\(name)") }
        let json = try JSONEncoder().encode(with.configuration)
        #expect(try JSONDecoder().decode(VQVAEConfiguration.self, from: json).speakerAdversaryWeight == 0.5)
        #expect(try !String(decoding: JSONEncoder().encode(without.configuration), as: UTF8.self).contains("speakerAdversary"))
    }

    /// It needs sequences and at least two speakers, and a weight that is a finite number ≥ 0.
    @Test func problemsAreNamed() {
        var unconditional = Self.configuration(weight: 1)
        unconditional.conditionClasses = 0
        #expect(unconditional.problems == "a speaker adversary needs sequences with at least two speakers to condition on")
        var images = VQVAEConfiguration(preset: .tiny, inputChannels: 1)
        images.conditionClasses = 10
        images.speakerAdversaryWeight = 1
        #expect(images.problems == "a speaker adversary needs sequences with at least two speakers to condition on")
        #expect(Self.configuration(weight: -1).problems == "the speaker adversary's weight must be 0 or more, not -1.0")
        #expect(Self.configuration(weight: 0.25).problems == nil)
    }

    /// The training loss gains exactly the classifier's mean cross-entropy over every code frame (the
    /// total minus the parts of the same model without the term), reported as `speaker_adversary`.
    @Test func trainingLossAddsTheFramesCrossEntropy() throws {
        var generator = RandomGenerator(seed: 5)
        let model = VQVAE(Self.configuration(weight: 0.5), generator: &generator)
        let input = Tensor(uniform: [3, 1, 64], low: -0.5, high: 0.5, generator: &generator)
        let batch = VQVAE.Batch(input: input, condition: [2, 0, 1])
        var draw = RandomGenerator(seed: 6)
        let loss = try model.trainingLoss(on: batch, share: .whole(3), generator: &draw)
        let parts = Dictionary(loss.parts, uniquingKeysWith: { a, _ in a })
        let output = model(input, condition: [2, 0, 1])
        let latents = model.encoder(input)                                      // (3, 4, 8): quantized values below
        let quantized = Tensor(shape: latents.shape, scalars: Self.channelFirst(output.quantization.quantized.scalars, latents.shape))
        let frames = [Int32](repeating: 2, count: 8) + [Int32](repeating: 0, count: 8) + [Int32](repeating: 1, count: 8)
        let expected = Tensor.crossEntropy(logits: model.speakerAdversary!(quantized), targets: frames).item
        #expect(abs(parts["speaker_adversary"]! - expected) < 1e-6)
        #expect(abs(parts["speaker_adversary"]! - log(3)) < 0.5)                // a fresh classifier is near chance
    }

    /// Through the term, the latents get −weight times the gradient the plain cross-entropy would give
    /// them, and the classifier's own parameters get that gradient unchanged.
    @Test func gradientReachesTheLatentsReversed() {
        var generator = RandomGenerator(seed: 7)
        let adversary = SpeakerAdversary(latentChannels: 4, speakers: 3, hiddenChannels: 5, generator: &generator)
        let latents = Tensor(uniform: [2, 4, 6], low: -1, high: 1, generator: &generator)
        let speakers: [Int32] = [1, 2]
        func gradients(_ body: (SpeakerAdversary, Tensor) -> Tensor) -> (latents: [Float], weight: [Float]) {
            let tape = Tape()
            var watched = adversary
            watched.hidden.weight = tape.watch(adversary.hidden.weight)
            let x = tape.watch(latents)
            let result = tape.gradients(of: body(watched, x), withRespectTo: [x, watched.hidden.weight])
            return (result[0].scalars, result[1].scalars)
        }
        let reversed = gradients { $0.loss($1, speakers: speakers, weight: 0.25) }
        let frames = speakers.flatMap { [Int32](repeating: $0, count: 6) }
        let plain = gradients { Tensor.crossEntropy(logits: $0($1), targets: frames) }
        #expect(reversed.latents == plain.latents.map { $0 * -0.25 })
        #expect(reversed.weight == plain.weight)
        #expect(plain.latents.contains { $0 != 0 })
    }

    /// Rows (N·t, D), item-major then time, as (N, D, t).
    static func channelFirst(_ rows: [Float], _ shape: [Int]) -> [Float] {
        let (n, d, t) = (shape[0], shape[1], shape[2])
        return (0..<(n * d * t)).map { index in
            let (item, channel, time) = (index / (d * t), index / t % d, index % t)
            return rows[(item * t + time) * d + channel]
        }
    }
}
