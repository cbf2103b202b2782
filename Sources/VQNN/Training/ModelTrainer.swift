import VQEngine

/// What one step of `ModelTrainer` did.
public struct StepReport: Sendable {
    /// The step just completed, from 1.
    public var step: Int
    /// The loss's named parts (`TrainingLoss.parts`).
    public var losses: [String: Float]
    /// The figures `TrainableModel.update(after:share:generator:)` returned.
    public var figures: [String: Double]
    public var learningRate: Float
    /// Wall-clock seconds of the step (forward, backward, update).
    public var seconds: Double
    /// Items of the (global) batch per second.
    public var itemsPerSecond: Double
}

/// One training step for any `TrainableModel`, given its batch: forward on a tape, gradients,
/// optional clipping to a global norm, Adam(W) at the schedule's rate, then the model's own update.
///
/// Drawing batches is the caller's business, so a test can hand in a fixed batch and get exactly the
/// step training takes. Deterministic: the same model, batch and generator give the same result.
///
/// Data parallelism: with a `communicator` of N processes, every process is handed the same global
/// batch (drawn from the same generator) and trains on its share (`BatchShare`: items
/// ⌊r·B/N⌋ ..< ⌊(r+1)·B/N⌋); the loss parts and the w-weighted gradients are summed over the
/// processes in a few bucketed all-reduce calls (`GradientBuckets`), so every process applies the
/// gradient of the global batch's loss, and the model's update works from global counts and sums.
/// Every process then ends the step with the same weights, equal to one process's training on the
/// whole batch up to the order of the sums.
public struct ModelTrainer<Model: TrainableModel> {
    public var model: Model
    public var optimizer: Adam
    /// The generator of the steps' random choices (the caller may draw its batches from it too).
    public var generator: RandomGenerator
    public var schedule: LearningRateSchedule
    public var gradientClipNorm: Float?
    /// The processes training this model together; a single process unless given.
    public let communicator: any Communicator
    /// Where gradients are summed across processes, kept between steps.
    var gradientBuckets: GradientBuckets
    /// Steps completed so far.
    public var step: Int { optimizer.step }

    public init(model: Model, optimizer: Adam, schedule: LearningRateSchedule, gradientClipNorm: Float? = nil,
                generator: RandomGenerator, communicator: any Communicator = SingleProcessCommunicator.shared,
                bucketCapacity: Int = GradientBuckets.defaultCapacity) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.gradientClipNorm = gradientClipNorm
        self.generator = generator
        self.communicator = communicator
        gradientBuckets = GradientBuckets(capacity: bucketCapacity)
    }

    /// This process's share of a global batch `batch`.
    public func share(of batch: Model.Batch) -> BatchShare {
        BatchShare(communicator: communicator, globalCount: Model.itemCount(of: batch))
    }

    /// The first half of a step: the loss on `batch` and the gradient of every parameter (in
    /// `forEachParameter` order), before clipping; the model is not changed (the generator is, when
    /// the loss draws from it). With several processes, `batch` is the global batch, and the loss
    /// parts and gradients returned are the global batch's (summed over processes; the total is then
    /// a plain number, not on a tape). Throws `NonFiniteLossError` when a part of the loss is not
    /// finite (on every process alike), `CommunicationError` when a collective call fails.
    public mutating func lossAndGradients(on batch: Model.Batch) throws -> (loss: TrainingLoss<Model.StepOutput>, gradients: [Tensor]) {
        try lossAndGradients(on: batch, share: share(of: batch))
    }

    mutating func lossAndGradients(on batch: Model.Batch, share: BatchShare) throws -> (loss: TrainingLoss<Model.StepOutput>, gradients: [Tensor]) {
        let local = share.isWhole ? batch : Model.items(share.items, of: batch)
        let tape = Tape()
        var tracked = model
        tracked.watchParameters(on: tape)
        var loss = try tracked.trainingLoss(on: local, share: share, generator: &generator)
        if share.isWhole {
            try checkFinite(loss)
            return (loss, tape.gradients(of: loss.total, withRespectTo: tracked.parameters))
        }
        // Gradients first, checked after the sum: a part that is not finite on one process is not
        // finite in the sum, so every process stops at the same step.
        var gradients = tape.gradients(of: loss.total, withRespectTo: tracked.parameters)
        var scalars = [loss.total.item] + loss.parts.map(\.value)
        try gradientBuckets.sum(scalars: &scalars, tensors: &gradients, weight: share.weight, communicator: communicator)
        loss.total = Tensor(scalars[0])
        for index in loss.parts.indices { loss.parts[index].value = scalars[index + 1] }
        try checkFinite(loss)
        return (loss, gradients)
    }

    /// Throws `NonFiniteLossError` when the total or a part of `loss` is NaN or infinite.
    private func checkFinite(_ loss: TrainingLoss<Model.StepOutput>) throws {
        guard loss.total.item.isFinite, loss.parts.allSatisfy({ $0.value.isFinite }) else {
            let parts = Dictionary(loss.parts.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            throw NonFiniteLossError(step: step + 1, losses: parts.isEmpty ? ["total": loss.total.item] : parts)
        }
    }

    /// Trains on `batch` (with several processes: the global batch, the same on every process);
    /// throws `NonFiniteLossError` (changing nothing but the generator) when a part of the loss is not
    /// finite, `CommunicationError` when a collective call fails. Returns the report (the global
    /// batch's losses; items per second of the whole group) and this process's step output.
    @discardableResult
    public mutating func step(on batch: Model.Batch) throws -> (report: StepReport, output: Model.StepOutput) {
        let started = ContinuousClock.now
        let share = share(of: batch)
        var (loss, gradients) = try lossAndGradients(on: batch, share: share)
        let losses = Dictionary(loss.parts.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        if let gradientClipNorm { GradientClipping.clip(&gradients, maximumNorm: gradientClipNorm) }
        optimizer.learningRate = schedule.learningRate(at: step)
        optimizer.update(&model, gradients: gradients)
        let figures = try model.update(after: loss.output, share: share, generator: &generator)
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        let report = StepReport(step: step, losses: losses, figures: figures, learningRate: optimizer.learningRate,
                                seconds: seconds, itemsPerSecond: Double(share.globalCount) / max(seconds, 1e-9))
        return (report, loss.output)
    }
}
