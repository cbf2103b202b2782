import VQEngine

/// What one step of `ModelTrainer` did.
public struct StepReport: Sendable {
    /// The step just completed, from 1.
    public var step: Int
    /// The loss's named parts (`TrainingLoss.parts`).
    public var losses: [String: Float]
    /// The figures `TrainableModel.update(after:generator:)` returned.
    public var figures: [String: Double]
    public var learningRate: Float
    /// Wall-clock seconds of the step (forward, backward, update).
    public var seconds: Double
    /// Items of the batch per second.
    public var itemsPerSecond: Double
}

/// One training step for any `TrainableModel`, given its batch: forward on a tape, gradients,
/// optional clipping to a global norm, Adam(W) at the schedule's rate, then the model's own update.
///
/// Drawing batches is the caller's business, so a test can hand in a fixed batch and get exactly the
/// step training takes. Deterministic: the same model, batch and generator give the same result.
public struct ModelTrainer<Model: TrainableModel> {
    public var model: Model
    public var optimizer: Adam
    /// The generator of the steps' random choices (the caller may draw its batches from it too).
    public var generator: RandomGenerator
    public var schedule: LearningRateSchedule
    public var gradientClipNorm: Float?
    /// Steps completed so far.
    public var step: Int { optimizer.step }

    public init(model: Model, optimizer: Adam, schedule: LearningRateSchedule, gradientClipNorm: Float? = nil,
                generator: RandomGenerator) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.gradientClipNorm = gradientClipNorm
        self.generator = generator
    }

    /// The first half of a step: the loss on `batch` and the gradient of every parameter (in
    /// `forEachParameter` order), before clipping; the model is not changed (the generator is, when
    /// the loss draws from it). Throws `NonFiniteLossError` when a part of the loss is not finite.
    public mutating func lossAndGradients(on batch: Model.Batch) throws -> (loss: TrainingLoss<Model.StepOutput>, gradients: [Tensor]) {
        let tape = Tape()
        var tracked = model
        tracked.watchParameters(on: tape)
        let loss = tracked.trainingLoss(on: batch, generator: &generator)
        guard loss.total.item.isFinite, loss.parts.allSatisfy({ $0.value.isFinite }) else {
            let parts = Dictionary(loss.parts.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            throw NonFiniteLossError(step: step + 1, losses: parts.isEmpty ? ["total": loss.total.item] : parts)
        }
        return (loss, tape.gradients(of: loss.total, withRespectTo: tracked.parameters))
    }

    /// Trains on `batch`; throws `NonFiniteLossError` (changing nothing but the generator) when a
    /// part of the loss is not finite. Returns the report and the model's step output.
    @discardableResult
    public mutating func step(on batch: Model.Batch) throws -> (report: StepReport, output: Model.StepOutput) {
        let started = ContinuousClock.now
        var (loss, gradients) = try lossAndGradients(on: batch)
        let losses = Dictionary(loss.parts.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        if let gradientClipNorm { GradientClipping.clip(&gradients, maximumNorm: gradientClipNorm) }
        optimizer.learningRate = schedule.learningRate(at: step)
        optimizer.update(&model, gradients: gradients)
        let figures = model.update(after: loss.output, generator: &generator)
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        let report = StepReport(step: step, losses: losses, figures: figures, learningRate: optimizer.learningRate,
                                seconds: seconds, itemsPerSecond: Double(Model.itemCount(of: batch)) / max(seconds, 1e-9))
        return (report, loss.output)
    }
}
