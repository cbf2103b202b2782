import VQData
import VQEngine
import VQNN

/// What one training step of a VQ-VAE measured.
public struct TrainingStepReport: Codable, Equatable, Sendable {
    /// The step just completed, from 1.
    public var step: Int
    public var reconstructionLoss: Float
    public var codebookLoss: Float
    /// ‖z_e − sg[e]‖², before β.
    public var commitmentLoss: Float
    /// exp(entropy) of the first stage's codes in this batch.
    public var perplexity: Float
    public var learningRate: Float
    /// Images per second over this step (forward, backward, update).
    public var imagesPerSecond: Double
    /// Dead codes restarted in this step.
    public var restartedCodes: Int
}

/// Trains a VQ-VAE on an image dataset, one step at a time, deterministically for a given seed.
///
/// Each step draws `batchSize` images uniformly with replacement and hands them to the generic
/// `ModelTrainer.step(on:)` (loss on a tape, gradients, optional clipping, Adam(W), then the
/// quantizer's own update). Before the first step, a quantizer that asks for it is initialised from
/// the encoder outputs of its `initializationBatches` batches (k-means).
public struct Trainer {
    public internal(set) var core: ModelTrainer<VQVAE>
    public let options: TrainingOptions
    public let dataset: ImageDataset

    public var model: VQVAE { core.model }
    public var optimizer: Adam { core.optimizer }
    public var generator: RandomGenerator { core.generator }
    /// Steps completed so far.
    public var step: Int { core.step }

    public init(model: VQVAE, dataset: ImageDataset, options: TrainingOptions) {
        precondition(dataset.channels == model.configuration.inputChannels,
                     "Trainer: the dataset has \(dataset.channels) channels, the model expects \(model.configuration.inputChannels)")
        self.dataset = dataset
        self.options = options
        core = ModelTrainer(model: model, optimizer: options.makeOptimizer(), schedule: options.schedule,
                            gradientClipNorm: options.gradientClipNorm, generator: RandomGenerator(seed: options.seed &+ 0x5EED))
    }

    /// Draws a batch of images, uniformly with replacement.
    mutating func nextBatch() -> Tensor {
        let count = dataset.count
        return dataset.batch((0..<options.batchSize).map { _ in core.generator.nextIndex(below: count) })
    }

    /// Initialises the quantizer from the first batches when it asks for that (call before step 1).
    public mutating func initializeQuantizer() {
        let wanted = core.model.quantizer.initializationBatches
        guard step == 0, wanted > 0 else { return }
        let batches = (0..<wanted).map { _ in nextBatch() }
        core.model.initializeQuantizer(from: batches, generator: &core.generator)
    }

    /// One training step on a drawn batch; throws `NonFiniteLossError` (leaving the model untouched)
    /// if a loss is not finite.
    public mutating func trainStep() throws -> TrainingStepReport {
        try step(on: nextBatch())
    }

    /// One training step on `images`, with the options' commitment warm-up.
    public mutating func step(on images: Tensor) throws -> TrainingStepReport {
        let batch = VQVAE.Batch(input: images, commitmentScale: options.commitmentScale(at: step))
        let (report, output) = try core.step(on: batch)
        let firstStage = output.stages[0].indices
        return TrainingStepReport(
            step: report.step, reconstructionLoss: report.losses["reconstruction"]!, codebookLoss: report.losses["codebook"]!,
            commitmentLoss: report.losses["commitment"]!,
            perplexity: codePerplexity(codeCounts(firstStage, numEmbeddings: model.configuration.numEmbeddings)),
            learningRate: report.learningRate, imagesPerSecond: report.itemsPerSecond,
            restartedCodes: Int(report.figures["restarted_codes"] ?? 0))
    }
}
