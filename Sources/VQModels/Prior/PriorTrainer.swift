import VQEngine
import VQNN

/// What one step of prior training measured.
public struct PriorTrainingStepReport: Codable, Equatable, Sendable {
    /// The step just completed, from 1.
    public var step: Int
    /// Mean cross-entropy of the batch's codes, in nats per code.
    public var loss: Float
    /// The same in bits per code.
    public var bitsPerCode: Float { loss / Float(0.6931471805599453) }
    public var learningRate: Float
    /// Code grids per second over this step (forward, backward, update).
    public var gridsPerSecond: Double
}

/// The gated PixelCNN as a `TrainableModel`: the mean cross-entropy of a batch of grids.
extension PixelCNN: TrainableModel {
    /// The mean cross-entropy over the share's positions (a mean over items, so shares combine).
    public func trainingLoss(on batch: CodeBatch, share: BatchShare, generator: inout RandomGenerator) -> TrainingLoss<Void> {
        let loss = self.loss(for: batch)
        return TrainingLoss(total: loss, parts: [("prior", loss.item)], output: ())
    }

    public static func itemCount(of batch: CodeBatch) -> Int { batch.count }

    /// Grids `items` of the batch, with their labels.
    public static func items(_ items: Range<Int>, of batch: CodeBatch) -> CodeBatch {
        let size = batch.height * batch.width
        return CodeBatch(codes: Array(batch.codes[(items.lowerBound * size)..<(items.upperBound * size)]), count: items.count,
                         height: batch.height, width: batch.width, labels: batch.labels.map { Array($0[items]) },
                         context: batch.context.map { $0.sliced(alongAxis: 0, items) })
    }
}

/// Trains a prior on code grids with Adam, one step at a time, deterministically for a seed.
///
/// Each step draws `batchSize` grids uniformly with replacement (with their labels when the prior is
/// conditional) and hands them to the generic `ModelTrainer.step(on:)`, which with several processes
/// trains each on its share of the batch and sums their gradients.
public struct PriorTrainer<Prior: CodePrior & TrainableModel> where Prior.Batch == CodeBatch {
    public private(set) var core: ModelTrainer<Prior>
    public let grids: CodeGrids
    public let batchSize: Int
    public var prior: Prior { core.model }
    /// Steps completed so far.
    public var step: Int { core.step }

    /// `communicator`: the processes training this prior together (data parallelism), each drawing the
    /// same global batches of `batchSize` grids and training on its share of each.
    public init(prior: Prior, grids: CodeGrids, batchSize: Int = 32, schedule: LearningRateSchedule = .constant(1e-3),
                seed: UInt64 = 0, communicator: any Communicator = SingleProcessCommunicator.shared) {
        precondition(!prior.isConditional || grids.labels.count == grids.count,
                     "PriorTrainer: a conditional prior needs labelled code grids")
        precondition(grids.count > 0, "PriorTrainer: no code grids")
        precondition(grids.contextChannels == prior.contextChannels,
                     "PriorTrainer: grids with \(grids.contextChannels) context channels for a prior of \(prior.contextChannels)")
        self.grids = grids
        self.batchSize = batchSize
        core = ModelTrainer(model: prior, optimizer: Adam(learningRate: schedule.learningRate(at: 0)), schedule: schedule,
                            generator: RandomGenerator(seed: seed &+ 0x9121_0E), communicator: communicator)
    }

    /// Makes every process's trainer equal to process 0's before the first step (`ModelTrainer.synchronize`).
    public mutating func synchronize() throws { try core.synchronize() }

    /// Whether every process holds the same prior, optimizer state and generator (`ModelTrainer.processesAgree`).
    public func processesAgree() throws -> Bool { try core.processesAgree() }

    /// One training step on a drawn batch; throws `NonFiniteLossError` (leaving the prior untouched)
    /// if the loss is not finite.
    public mutating func trainStep() throws -> PriorTrainingStepReport {
        let count = grids.count
        let indices = (0..<batchSize).map { _ in core.generator.nextIndex(below: count) }
        let drawn = grids.batch(indices)
        let batch = CodeBatch(codes: drawn.codes, count: batchSize, height: grids.height, width: grids.width,
                              labels: prior.isConditional ? drawn.labels : nil, context: grids.context(of: indices))
        let (report, _) = try core.step(on: batch)
        return PriorTrainingStepReport(step: report.step, loss: report.losses["prior"]!, learningRate: report.learningRate,
                                       gridsPerSecond: report.itemsPerSecond)
    }
}
