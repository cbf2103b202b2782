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
    /// The reconstruction loss's own parts when it has several (audio: waveform, spectral_convergence,
    /// log_magnitude, log_mel), and any further term (`speaker_adversary`); empty for MSE.
    public var reconstructionParts: [String: Float] = [:]
}

/// Trains a VQ-VAE on a training set (images, windows of audio clips), one step at a time,
/// deterministically for a given seed, in one process or shared by several (data parallelism).
///
/// Each step draws `batchSize` inputs (`TrainingSet.trainingBatch`: images uniformly with replacement,
/// random windows of random clips) and hands them, with their labels when the decoder is
/// conditioned, to the generic `ModelTrainer.step(on:)` (loss on a tape, gradients, optional
/// clipping, Adam(W), then the quantizer's own update). Before the first step, a quantizer that asks
/// for it is initialised from the encoder outputs of its `initializationBatches` batches (k-means).
public struct Trainer<Data: TrainingSet> {
    public internal(set) var core: ModelTrainer<VQVAE>
    public let options: TrainingOptions
    public let dataset: Data

    public var model: VQVAE { core.model }
    public var optimizer: Adam { core.optimizer }
    public var generator: RandomGenerator { core.generator }
    /// Steps completed so far.
    public var step: Int { core.step }

    /// `communicator`: the processes training this model together (data parallelism). Each draws the
    /// same global batches of `options.batchSize` and trains on its share of each (`ModelTrainer`).
    public init(model: VQVAE, dataset: Data, options: TrainingOptions, communicator: any Communicator = SingleProcessCommunicator.shared) {
        precondition(dataset.channels == model.configuration.inputChannels,
                     "Trainer: the dataset has \(dataset.channels) channels, the model expects \(model.configuration.inputChannels)")
        self.dataset = dataset
        self.options = options
        core = ModelTrainer(model: model, optimizer: options.makeOptimizer(), schedule: options.schedule,
                            gradientClipNorm: options.gradientClipNorm, generator: RandomGenerator(seed: options.seed &+ 0x5EED),
                            communicator: communicator)
    }

    public var communicator: any Communicator { core.communicator }

    /// Makes every process's trainer equal to process 0's (`ModelTrainer.synchronize`): call once after
    /// `initializeQuantizer()` or a resume, before the first step.
    public mutating func synchronize() throws { try core.synchronize() }

    /// Whether every process holds the same weights, buffers, optimizer state and generator (`ModelTrainer.processesAgree`).
    public func processesAgree() throws -> Bool { try core.processesAgree() }

    /// Draws a batch of inputs and their labels.
    mutating func nextBatch() -> (input: Tensor, labels: [Int32]) {
        dataset.trainingBatch(count: options.batchSize, generator: &core.generator)
    }

    /// Initialises the quantizer from the first batches when it asks for that (call before step 1).
    /// Every process draws the same batches and computes the same initialisation.
    public mutating func initializeQuantizer() {
        let wanted = core.model.quantizer.initializationBatches
        guard step == 0, wanted > 0 else { return }
        let batches = (0..<wanted).map { _ in nextBatch().input }
        core.model.initializeQuantizer(from: batches, generator: &core.generator)
    }

    /// One training step on a drawn batch; throws `NonFiniteLossError` (leaving the model untouched)
    /// if a loss is not finite.
    public mutating func trainStep() throws -> TrainingStepReport {
        let (input, labels) = nextBatch()
        return try step(on: input, labels: labels)
    }

    /// One training step on `input` (labels for a conditioned decoder), with the options' commitment warm-up.
    public mutating func step(on input: Tensor, labels: [Int32] = []) throws -> TrainingStepReport {
        let conditioned = model.configuration.conditionClasses > 0
        precondition(!conditioned || labels.count == input.shape[0], "Trainer: a conditioned decoder needs a label per input")
        let batch = VQVAE.Batch(input: input, condition: conditioned ? labels : nil, commitmentScale: options.commitmentScale(at: step))
        let (report, output) = try core.step(on: batch)
        var counts = codeCounts(output.stages[0].indices, numEmbeddings: model.configuration.numEmbeddings)
        if communicator.size > 1 {
            // The global batch's first-stage codes, for a perplexity that does not depend on the processes.
            var shared = counts.map { Double($0) }
            try communicator.allReduce(&shared, .sum)
            counts = shared.map { Int($0) }
        }
        return TrainingStepReport(
            step: report.step, reconstructionLoss: report.losses["reconstruction"]!, codebookLoss: report.losses["codebook"]!,
            commitmentLoss: report.losses["commitment"]!,
            perplexity: codePerplexity(counts),
            learningRate: report.learningRate, imagesPerSecond: report.itemsPerSecond,
            restartedCodes: Int(report.figures["restarted_codes"] ?? 0),
            reconstructionParts: report.losses.filter { !["reconstruction", "codebook", "commitment"].contains($0.key) })
    }
}
