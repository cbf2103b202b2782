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

/// Trains a PixelCNN prior on code grids with Adam, one step at a time, deterministically for a seed.
///
/// Each step draws `batchSize` grids uniformly with replacement, computes the mean cross-entropy of
/// their codes (with their labels when the prior is class-conditional), and updates every parameter.
public struct PriorTrainer {
    public private(set) var prior: PixelCNN
    public private(set) var optimizer: Adam
    public private(set) var generator: RandomGenerator
    public let grids: CodeGrids
    public let batchSize: Int
    public let schedule: LearningRateSchedule
    /// Steps completed so far.
    public var step: Int { optimizer.step }

    public init(prior: PixelCNN, grids: CodeGrids, batchSize: Int = 32, schedule: LearningRateSchedule = .constant(1e-3),
                seed: UInt64 = 0) {
        precondition(!prior.configuration.isClassConditional || grids.labels.count == grids.count,
                     "PriorTrainer: a class-conditional prior needs labelled code grids")
        precondition(grids.count > 0, "PriorTrainer: no code grids")
        self.prior = prior
        self.grids = grids
        self.batchSize = batchSize
        self.schedule = schedule
        generator = RandomGenerator(seed: seed &+ 0x9121_0E)
        optimizer = Adam(learningRate: schedule.learningRate(at: 0))
    }

    /// One training step; throws `NonFiniteLossError` (leaving the prior untouched) if the loss is not finite.
    public mutating func trainStep() throws -> PriorTrainingStepReport {
        let started = ContinuousClock.now
        let count = grids.count
        let batch = grids.batch((0..<batchSize).map { _ in generator.nextIndex(below: count) })
        let labels = prior.configuration.isClassConditional ? batch.labels : nil
        let tape = Tape()
        var tracked = prior
        tracked.watchParameters(on: tape)
        let loss = tracked.loss(batch.codes, batch: batchSize, height: grids.height, width: grids.width, labels: labels)
        guard loss.item.isFinite else { throw NonFiniteLossError(step: step + 1, losses: ["prior": loss.item]) }
        let gradients = tape.gradients(of: loss, withRespectTo: tracked.parameters)
        optimizer.learningRate = schedule.learningRate(at: step)
        optimizer.update(&prior, gradients: gradients)
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        return PriorTrainingStepReport(step: step, loss: loss.item, learningRate: optimizer.learningRate,
                                       gridsPerSecond: Double(batchSize) / max(seconds, 1e-9))
    }
}
