import VQEngine
import VQNN

/// The VQ-VAE as a `TrainableModel`: the loss of a batch, and the quantizer's own learning after
/// each update.
extension VQVAE: TrainableModel {
    /// What one step trains on: inputs (N, C, H, W) or (N, C, T), their labels for a conditioned
    /// decoder (the speaker of each clip), and the factor on β this step (the commitment warm-up; 1
    /// without one).
    public struct Batch {
        public var input: Tensor
        public var condition: [Int32]?
        public var commitmentScale: Float

        public init(input: Tensor, condition: [Int32]? = nil, commitmentScale: Float = 1) {
            self.input = input
            self.condition = condition
            self.commitmentScale = commitmentScale
        }
    }

    /// reconstruction loss (MSE, or waveform + STFT for audio: `ReconstructionLoss`) + codebook loss
    /// + β·scale·commitment loss, with the quantizer's training depth (quantizer dropout) drawn from
    /// `generator`. Parts: reconstruction, codebook, commitment (before β), and for audio the
    /// reconstruction's own parts (waveform, spectral_convergence, log_magnitude), and with a speaker
    /// adversary its cross-entropy (`speaker_adversary`, added as is: the adversary descends on it, the
    /// encoder ascends on it times `speakerAdversaryWeight` through the reversal). Every term is a
    /// mean over the share's items except the spectral convergence, which `share` makes the global
    /// batch's.
    public func trainingLoss(on batch: Batch, share: BatchShare, generator: inout RandomGenerator) throws -> TrainingLoss<QuantizerOutput> {
        let depth = quantizer.trainingDepth(generator: &generator)
        let output = self(batch.input, depth: depth, condition: batch.condition)
        let reconstruction = try configuration.reconstructionLoss.terms(output.reconstruction, batch.input, spectral: spectralLoss,
                                                                        share: share.isWhole ? nil : share)
        let quantization = output.quantization
        let beta = quantizer.commitmentCost * batch.commitmentScale
        var total = reconstruction.total + quantization.codebookLoss + beta * quantization.commitmentLoss
        var parts = [reconstruction.parts[0], ("codebook", quantization.codebookLoss.item),
                     ("commitment", quantization.commitmentLoss.item)] + reconstruction.parts.dropFirst()
        if let adversary = speakerAdversary, let speakers = batch.condition {
            let latents = VQVAE.latents(from: quantization.quantized, batch: batch.input.shape[0], gridShape: output.gridShape)
            let adversarial = adversary.loss(latents, speakers: speakers, weight: configuration.speakerAdversaryWeight)
            total = total + adversarial
            parts.append(("speaker_adversary", adversarial.item))
        }
        return TrainingLoss(total: total, parts: parts, output: quantization)
    }

    /// The quantizer's update (EMA codebooks, restarts) from the global batch's figures (`share`
    /// counted in latent rows); reports `restarted_codes`.
    public mutating func update(after output: QuantizerOutput, share: BatchShare, generator: inout RandomGenerator) throws -> [String: Double] {
        let rowsPerItem = share.items.isEmpty ? 0 : (output.stages.first?.inputs.shape[0] ?? 0) / share.items.count
        return ["restarted_codes": Double(try quantizer.update(after: output, share: share.rows(perItem: rowsPerItem), generator: &generator))]
    }

    public static func itemCount(of batch: Batch) -> Int { batch.input.shape[0] }

    /// Items `items` of the inputs and of their labels, with the same commitment scale.
    public static func items(_ items: Range<Int>, of batch: Batch) -> Batch {
        Batch(input: batch.input.sliced(alongAxis: 0, items), condition: batch.condition.map { Array($0[items]) },
              commitmentScale: batch.commitmentScale)
    }

    /// Initialises the quantizer from the encoder outputs of `batches` (what its
    /// `initializationBatches` asked for), before the first step.
    public mutating func initializeQuantizer(from batches: [Tensor], generator: inout RandomGenerator) {
        guard !batches.isEmpty else { return }
        let rows = Tensor.concatenated(batches.map { VQVAE.rows(of: encoder($0.detached())) }, alongAxis: 0)
        quantizer.initialize(from: rows, batches: batches.count, generator: &generator)
    }
}

extension VQVAE {
    /// Dead codes restarted since training began, over every quantizer stage (its `dead_codes.restarts` buffers).
    public var restartCount: Int {
        namedTensors.filter { $0.key.hasSuffix("dead_codes.restarts") }.values.reduce(0) { $0 + Int($1.scalars[0]) }
    }
}
