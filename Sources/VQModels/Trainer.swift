import VQData
import VQEngine
import VQNN

/// What one training step measured.
public struct TrainingStepReport: Codable, Equatable, Sendable {
    /// The step just completed, from 1.
    public var step: Int
    public var reconstructionLoss: Float
    public var codebookLoss: Float
    /// ‖z_e − sg[e]‖², before β.
    public var commitmentLoss: Float
    /// exp(entropy) of the codes used in this batch.
    public var perplexity: Float
    public var learningRate: Float
    /// Images per second over this step (forward, backward, update).
    public var imagesPerSecond: Double
    /// Dead codes restarted in this step.
    public var restartedCodes: Int
}

/// Training stopped because a loss was NaN or infinite; the model was not updated at that step.
public struct NonFiniteLossError: Error, CustomStringConvertible, Equatable {
    public let step: Int
    public let losses: [String: Float]
    public var description: String {
        let listed = losses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "training stopped at step \(step): the loss is not finite (\(listed)); the model was not updated"
    }
}

/// Trains a VQ-VAE on an image dataset, one step at a time, deterministically for a given seed.
///
/// Each step draws `batchSize` images uniformly with replacement, runs the model on a tape, adds
/// the three losses, computes all gradients, optionally clips them, and updates with Adam(W); an EMA
/// codebook is then moved towards its assigned vectors, and dead codes are restarted if enabled.
public struct Trainer {
    public internal(set) var model: VQVAE
    public internal(set) var optimizer: Adam
    public internal(set) var generator: RandomGenerator
    public internal(set) var restarter: DeadCodeRestarter?
    public let options: TrainingOptions
    public let dataset: ImageDataset
    /// Steps completed so far.
    public var step: Int { optimizer.step }

    public init(model: VQVAE, dataset: ImageDataset, options: TrainingOptions) {
        precondition(dataset.channels == model.configuration.inputChannels,
                     "Trainer: the dataset has \(dataset.channels) channels, the model expects \(model.configuration.inputChannels)")
        self.model = model
        self.dataset = dataset
        self.options = options
        generator = RandomGenerator(seed: options.seed &+ 0x5EED)
        optimizer = options.weightDecay > 0
            ? Adam.adamW(learningRate: options.learningRate, weightDecay: options.weightDecay)
            : Adam(learningRate: options.learningRate)
        restarter = options.deadCodePatience.map {
            DeadCodeRestarter(numEmbeddings: model.configuration.numEmbeddings, patience: $0)
        }
    }

    /// Draws a batch of images, uniformly with replacement.
    mutating func nextBatch() -> Tensor {
        let count = dataset.count
        return dataset.batch((0..<options.batchSize).map { _ in generator.nextIndex(below: count) })
    }

    /// Runs k-means++ on the encoder outputs of `options.kMeansBatches` batches (call before step 1).
    public mutating func initializeCodebookByKMeans() {
        let batches = (0..<max(options.kMeansBatches, 1)).map { _ in nextBatch() }
        let d = model.configuration.embeddingDim
        let vectors = Tensor.concatenated(batches.map {
            model.encoder($0).permuted([0, 2, 3, 1]).reshaped(to: [-1, d])
        }, alongAxis: 0)
        model.quantizer.initializeByKMeans(vectors, batchesSeen: batches.count, generator: &generator)
    }

    /// One training step; throws `NonFiniteLossError` (leaving the model untouched) if a loss is not finite.
    public mutating func trainStep() throws -> TrainingStepReport {
        let started = ContinuousClock.now
        let images = nextBatch()
        let tape = Tape()
        var tracked = model
        tracked.watchParameters(on: tape)
        let output = tracked(images)
        let reconstructionLoss = Tensor.mseLoss(output.reconstruction, images)
        let beta = model.quantizer.commitmentCost * options.commitmentScale(at: step)
        let quantization = output.quantization
        let loss = reconstructionLoss + quantization.codebookLoss + beta * quantization.commitmentLoss
        let losses = ["reconstruction": reconstructionLoss.item, "codebook": quantization.codebookLoss.item,
                      "commitment": quantization.commitmentLoss.item]
        guard losses.values.allSatisfy(\.isFinite) else { throw NonFiniteLossError(step: step + 1, losses: losses) }

        var gradients = tape.gradients(of: loss, withRespectTo: tracked.parameters)
        if let maximumNorm = options.gradientClipNorm { GradientClipping.clip(&gradients, maximumNorm: maximumNorm) }
        optimizer.learningRate = options.schedule.learningRate(at: step)
        optimizer.update(&model, gradients: gradients)
        model.quantizer.updateMovingAverages(quantization)
        let restarted = restarter?.step(&model.quantizer, output: quantization, generator: &generator) ?? 0

        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        return TrainingStepReport(
            step: step, reconstructionLoss: losses["reconstruction"]!, codebookLoss: losses["codebook"]!,
            commitmentLoss: losses["commitment"]!,
            perplexity: codePerplexity(codeCounts(quantization.indices, numEmbeddings: model.configuration.numEmbeddings)),
            learningRate: optimizer.learningRate, imagesPerSecond: Double(options.batchSize) / max(seconds, 1e-9),
            restartedCodes: restarted)
    }
}
