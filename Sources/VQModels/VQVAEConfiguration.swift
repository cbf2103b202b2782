import Foundation
import VQNN

/// Every size of a VQ-VAE, stored in checkpoints (`__metadata__`) so a model can be rebuilt.
///
/// The same network serves images and sequences: `spatialRank` 2 takes (N, C, H, W) and gives a code
/// grid of (H/F, W/F); 1 takes (N, C, T) and gives (T/F) codes, F = `downsampling`.
public struct VQVAEConfiguration: Codable, Equatable, Sendable {
    /// 2 for images (N, C, H, W), 1 for sequences (N, C, T).
    public var spatialRank: Int
    /// Input channels: 1 (gray) or 3 (RGB) for images; 1 for mono audio.
    public var inputChannels: Int
    /// Channels of the encoder's and decoder's main path (the first strided layers use half).
    public var hiddenChannels: Int
    /// Channels inside each residual block.
    public var residualChannels: Int
    /// Residual blocks in each stack.
    public var residualBlocks: Int
    /// Residual blocks after each strided layer of the encoder but the last, and after each transposed
    /// layer of the decoder but the last (at the intermediate resolutions, half the hidden channels,
    /// residual channels a quarter): 0 for the paper's image model; audio decoders need them to shape
    /// the waveform between the codes' rate and the sample rate (SoundStream, EnCodec).
    public var stageResidualBlocks: Int
    /// Block i of each residual stack is dilated by dilationGrowth^i: 1 (the paper's image model) or
    /// 3 (1, 3, 9, …: the dilated stacks of audio models).
    public var dilationGrowth: Int
    /// F, how much the encoder shrinks each spatial side: a power of two from 2 to 256 (log₂ F strided
    /// convolutions); 2, 4, 8 or 16 for images, 64 for speech as in the paper.
    public var downsampling: Int
    /// Labels the decoder is conditioned on (speakers, classes): a learnt vector per label enters every
    /// decoder block (`ConditionEmbedding`); 0: unconditional.
    public var conditionClasses: Int
    /// D, the length of a code vector: the channels of the encoder's output and the decoder's input
    /// (except for FSQ, whose codes have one value per level count: see `latentChannels`).
    public var embeddingDim: Int
    /// Whether the encoder's output has each item's mean over the grid removed, channel by channel, before
    /// it is quantized (an instance normalisation without scaling, as the voice-conversion VQ-VAEs use):
    /// what is constant over an utterance, the speaker's timbre above all, then cannot reach the codes
    /// and must come from the decoder's condition. Off for images.
    public var centersLatents: Bool = false
    /// The weight of the speaker-adversarial term (`SpeakerAdversary`): a classifier naming the speaker
    /// of every code frame, whose gradient reaches the encoder reversed and times this weight, so the
    /// codes keep what was said and lose who said it. 0 (the default): no adversary. Needs a
    /// conditioned decoder over sequences (the labels are the speakers).
    public var speakerAdversaryWeight: Float = 0
    /// A pitch source for a speech decoder (`PitchSource`): F0 per code frame beside the codes, its
    /// harmonics as carriers the decoder's last layer gives amplitudes for. nil (the default): none.
    /// Needs mono sequences.
    public var pitchSource: PitchSourceConfiguration? = nil
    /// Peak normalisation of audio clips (`AudioDataset.peakNormalized(to:)`): every clip the model
    /// is trained on, encodes or reconstructs is first scaled so its largest magnitude is this level,
    /// and what the model gives back is scaled back by the same gain, so outputs keep the input's
    /// loudness. The model then spends nothing on loudness, and a quiet speaker weighs in the loss as
    /// much as a loud one. nil (the default): clips as they are. Needs mono sequences.
    public var clipPeak: Float? = nil
    /// The quantizer between them.
    public var quantizer: QuantizerConfiguration
    /// What training compares the output with the input by: MSE (images) or waveform + STFT (audio).
    public var reconstructionLoss: ReconstructionLoss

    /// The downsampling factors the encoder can be built with.
    public static let downsamplingFactors = [2, 4, 8, 16, 32, 64, 128, 256]

    public init(spatialRank: Int = 2, inputChannels: Int = 1, hiddenChannels: Int = 128, residualChannels: Int = 32,
                residualBlocks: Int = 2, stageResidualBlocks: Int = 0, dilationGrowth: Int = 1, downsampling: Int = 4,
                embeddingDim: Int = 64,
                conditionClasses: Int = 0, quantizer: QuantizerConfiguration = .default,
                reconstructionLoss: ReconstructionLoss = .meanSquaredError) {
        self.spatialRank = spatialRank
        self.inputChannels = inputChannels
        self.hiddenChannels = hiddenChannels
        self.residualChannels = residualChannels
        self.residualBlocks = residualBlocks
        self.stageResidualBlocks = stageResidualBlocks
        self.dilationGrowth = dilationGrowth
        self.downsampling = downsampling
        self.conditionClasses = conditionClasses
        self.embeddingDim = embeddingDim
        self.quantizer = quantizer
        self.reconstructionLoss = reconstructionLoss
    }

    /// An image model with one codebook of `numEmbeddings` codes learnt by loss, or by EMA with
    /// `movingAverageCodebook` (the settings of `vqvae-model/1`), downsampling 4.
    public init(inputChannels: Int = 1, hiddenChannels: Int = 128, residualChannels: Int = 32, residualBlocks: Int = 2,
                numEmbeddings: Int, embeddingDim: Int = 64, commitmentCost: Float = 0.25,
                movingAverageCodebook: Bool = false, decay: Float = 0.99) {
        self.init(inputChannels: inputChannels, hiddenChannels: hiddenChannels, residualChannels: residualChannels,
                  residualBlocks: residualBlocks, embeddingDim: embeddingDim,
                  quantizer: QuantizerConfiguration(kind: movingAverageCodebook ? .ema : .vq, codebookSize: numEmbeddings,
                                                    commitmentCost: commitmentCost, decay: decay))
    }

    /// K, the codes of each quantizer stage.
    public var numEmbeddings: Int { quantizer.codebookSize }
    /// β, the commitment cost.
    public var commitmentCost: Float { quantizer.commitmentCost }
    /// The channels of the encoder's output, the quantizer's rows and the decoder's input: D, or the
    /// number of FSQ levels.
    public var latentChannels: Int { quantizer.rowDimension(embeddingDim: embeddingDim) }
    /// Channels of the decoder's last layer: the input's, and with a pitch source one amplitude per carrier.
    public var outputChannels: Int { inputChannels + 2 * (pitchSource?.harmonics ?? 0) }
    /// Indices per grid position: the residual quantizer's stages, else 1.
    public var depth: Int { quantizer.depth }
    /// The number of strided convolutions in the encoder (and transposed ones in the decoder): log₂ F.
    public var downsamplingLayers: Int { downsampling.trailingZeroBitCount }

    /// What is wrong with these settings, or nil: every problem, joined by "; ".
    public var problems: String? {
        var found: [String] = []
        if spatialRank != 1 && spatialRank != 2 { found.append("the spatial rank must be 1 (sequences) or 2 (images), not \(spatialRank)") }
        if !VQVAEConfiguration.downsamplingFactors.contains(downsampling) {
            found.append("the downsampling factor must be a power of two from 2 to 256, not \(downsampling)")
        }
        if dilationGrowth < 1 { found.append("the dilation growth must be at least 1") }
        if stageResidualBlocks < 0 { found.append("the stage residual blocks must be 0 or more") }
        if stageResidualBlocks > 0 && hiddenChannels < 4 { found.append("stage residual blocks need at least 4 hidden channels") }
        if conditionClasses < 0 { found.append("the condition classes must be 0 or more") }
        if !(speakerAdversaryWeight >= 0 && speakerAdversaryWeight.isFinite) {
            found.append("the speaker adversary's weight must be 0 or more, not \(speakerAdversaryWeight)")
        } else if speakerAdversaryWeight > 0 && (conditionClasses < 2 || spatialRank != 1) {
            found.append("a speaker adversary needs sequences with at least two speakers to condition on")
        }
        if let pitchSource {
            if let problem = pitchSource.problems { found.append(problem) }
            if spatialRank != 1 || inputChannels != 1 { found.append("a pitch source needs mono sequences") }
        }
        if let clipPeak {
            if !(clipPeak > 0 && clipPeak <= 1) { found.append("the clip peak must be above 0 and at most 1, not \(clipPeak)") }
            if spatialRank != 1 || inputChannels != 1 { found.append("a clip peak needs mono sequences") }
        }
        if inputChannels < 1 || hiddenChannels < 2 || residualChannels < 1 || residualBlocks < 0 || embeddingDim < 1 {
            found.append("channel counts must be positive (hidden at least 2)")
        }
        if let quantizerProblems = quantizer.problems { found.append(quantizerProblems) }
        return found.isEmpty ? nil : found.joined(separator: "; ")
    }

    /// The code grid of an input whose spatial sides are `sides` ([H, W] or [T]): each side / F.
    /// nil when a side is not a positive multiple of F.
    public func gridShape(forInput sides: [Int]) -> [Int]? {
        guard sides.count == spatialRank, sides.allSatisfy({ $0 > 0 && $0 % downsampling == 0 }) else { return nil }
        return sides.map { $0 / downsampling }
    }

    /// Named configurations.
    public enum Preset: String, CaseIterable, Sendable {
        /// The widely used Sonnet example (and `torch_ref.py`): hidden 128, residual 32, 2 blocks, D 64, K 512.
        case sonnet
        /// The paper's image model: hidden 256, K 512 (residual 32, 2 blocks, D 64).
        case paper
        /// A very small model for smoke tests and quick trials: hidden 16, residual 8, 1 block, D 8, K 32.
        case tiny
    }

    /// A preset's sizes with `quantizer` (its codebook size replaced by the preset's K, except for FSQ).
    public init(preset: Preset, inputChannels: Int, spatialRank: Int = 2, downsampling: Int = 4,
                quantizer: QuantizerConfiguration = .default) {
        var quantizer = quantizer
        switch preset {
        case .sonnet, .paper:
            if quantizer.kind != .fsq { quantizer.codebookSize = 512 }
            self.init(spatialRank: spatialRank, inputChannels: inputChannels, hiddenChannels: preset == .paper ? 256 : 128,
                      downsampling: downsampling, quantizer: quantizer)
        case .tiny:
            if quantizer.kind != .fsq { quantizer.codebookSize = 32 }
            self.init(spatialRank: spatialRank, inputChannels: inputChannels, hiddenChannels: 16, residualChannels: 8,
                      residualBlocks: 1, downsampling: downsampling, embeddingDim: 8, quantizer: quantizer)
        }
    }

    // MARK: Codable, reading the configurations of `vqvae-model/1` checkpoints too

    private enum CodingKeys: String, CodingKey {
        case spatialRank, inputChannels, hiddenChannels, residualChannels, residualBlocks, stageResidualBlocks, dilationGrowth, downsampling,
             embeddingDim, conditionClasses, centersLatents, speakerAdversaryWeight, pitchSource, clipPeak, quantizer,
             reconstructionLoss
        // Version 1 (before the quantizer abstraction): the codebook's settings at the top level.
        case numEmbeddings, commitmentCost, movingAverageCodebook, decay
    }

    public init(from decoder: Swift.Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inputChannels = try container.decode(Int.self, forKey: .inputChannels)
        hiddenChannels = try container.decode(Int.self, forKey: .hiddenChannels)
        residualChannels = try container.decode(Int.self, forKey: .residualChannels)
        residualBlocks = try container.decode(Int.self, forKey: .residualBlocks)
        embeddingDim = try container.decode(Int.self, forKey: .embeddingDim)
        spatialRank = try container.decodeIfPresent(Int.self, forKey: .spatialRank) ?? 2
        downsampling = try container.decodeIfPresent(Int.self, forKey: .downsampling) ?? 4
        dilationGrowth = try container.decodeIfPresent(Int.self, forKey: .dilationGrowth) ?? 1
        stageResidualBlocks = try container.decodeIfPresent(Int.self, forKey: .stageResidualBlocks) ?? 0
        conditionClasses = try container.decodeIfPresent(Int.self, forKey: .conditionClasses) ?? 0
        centersLatents = try container.decodeIfPresent(Bool.self, forKey: .centersLatents) ?? false
        speakerAdversaryWeight = try container.decodeIfPresent(Float.self, forKey: .speakerAdversaryWeight) ?? 0
        pitchSource = try container.decodeIfPresent(PitchSourceConfiguration.self, forKey: .pitchSource)
        clipPeak = try container.decodeIfPresent(Float.self, forKey: .clipPeak)
        reconstructionLoss = try container.decodeIfPresent(ReconstructionLoss.self, forKey: .reconstructionLoss) ?? .meanSquaredError
        if let quantizer = try container.decodeIfPresent(QuantizerConfiguration.self, forKey: .quantizer) {
            self.quantizer = quantizer
        } else {
            let movingAverages = try container.decode(Bool.self, forKey: .movingAverageCodebook)
            quantizer = QuantizerConfiguration(
                kind: movingAverages ? .ema : .vq, codebookSize: try container.decode(Int.self, forKey: .numEmbeddings),
                commitmentCost: try container.decode(Float.self, forKey: .commitmentCost),
                decay: try container.decode(Float.self, forKey: .decay))
        }
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(spatialRank, forKey: .spatialRank)
        try container.encode(inputChannels, forKey: .inputChannels)
        try container.encode(hiddenChannels, forKey: .hiddenChannels)
        try container.encode(residualChannels, forKey: .residualChannels)
        try container.encode(residualBlocks, forKey: .residualBlocks)
        try container.encode(downsampling, forKey: .downsampling)
        if dilationGrowth != 1 { try container.encode(dilationGrowth, forKey: .dilationGrowth) }
        if stageResidualBlocks != 0 { try container.encode(stageResidualBlocks, forKey: .stageResidualBlocks) }
        if conditionClasses != 0 { try container.encode(conditionClasses, forKey: .conditionClasses) }
        if centersLatents { try container.encode(centersLatents, forKey: .centersLatents) }
        if speakerAdversaryWeight != 0 { try container.encode(speakerAdversaryWeight, forKey: .speakerAdversaryWeight) }
        try container.encodeIfPresent(pitchSource, forKey: .pitchSource)
        try container.encodeIfPresent(clipPeak, forKey: .clipPeak)
        try container.encode(embeddingDim, forKey: .embeddingDim)
        try container.encode(quantizer, forKey: .quantizer)
        if reconstructionLoss != .meanSquaredError { try container.encode(reconstructionLoss, forKey: .reconstructionLoss) }
    }
}
