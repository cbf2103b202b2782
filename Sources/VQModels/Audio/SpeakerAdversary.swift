import VQEngine
import VQNN

/// A speaker classifier on the quantized latents, trained adversarially against the encoder
/// (`VQVAEConfiguration.speakerAdversaryWeight`): it learns to name each latent frame's speaker, while
/// a gradient reversal between the codes and it (`Tensor.reversingGradient`) pushes the encoder to make
/// the codes useless for that. The decoder gets the speaker from its condition anyway, so codes that
/// carry none lose nothing in reconstruction and convert better: a decoder given another speaker's
/// label then meets no contradicting identity in the codes (the domain-adversarial idea of Ganin &
/// Lempitsky 2015, as voice-conversion autoencoders use it).
///
/// Two convolutions of kernel 3 over the code sequence, D → `hiddenChannels` (ReLU) → speakers:
/// (N, D, t) → logits (N, speakers, t), one verdict per frame with a context of five frames.
/// Parameter names: `conv1`, `conv2`. Training only: inference never runs it.
public struct SpeakerAdversary: Layer {
    public var hidden: ConvNd
    public var output: ConvNd

    public init(latentChannels: Int, speakers: Int, hiddenChannels: Int = 64, generator: inout RandomGenerator) {
        precondition(speakers > 1, "SpeakerAdversary: needs at least two speakers, not \(speakers)")
        hidden = ConvNd(spatialRank: 1, inputChannels: latentChannels, outputChannels: hiddenChannels, kernelSize: 3, padding: 1,
                        generator: &generator)
        output = ConvNd(spatialRank: 1, inputChannels: hiddenChannels, outputChannels: speakers, kernelSize: 3, padding: 1,
                        generator: &generator)
    }

    /// Logits (N, speakers, t) for latents (N, D, t).
    public func callAsFunction(_ latents: Tensor) -> Tensor {
        output(hidden(latents).relu())
    }

    /// The mean cross-entropy of every frame's verdict against its item's speaker, with the gradient
    /// reaching `latents` reversed and scaled by `weight`: minimising it trains this classifier, and
    /// the encoder against it. `latents` (N, D, t), `speakers` one label per item. A rank-0 tensor;
    /// ln(speakers) is chance.
    public func loss(_ latents: Tensor, speakers: [Int32], weight: Float) -> Tensor {
        let frames = latents.shape[2]
        let targets = speakers.flatMap { [Int32](repeating: $0, count: frames) }
        return Tensor.crossEntropy(logits: self(latents.reversingGradient(scale: weight)), targets: targets)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&hidden, named: "conv1", body)
        visit(&output, named: "conv2", body)
    }
}
