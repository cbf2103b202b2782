import VQEngine

/// A model `ModelTrainer` can train: it says what its loss on a batch is, and what it learns without
/// gradients after each update.
public protocol TrainableModel: Layer {
    /// What one step trains on (images, code grids, …), drawn by the caller.
    associatedtype Batch
    /// What the forward pass leaves for `update(after:generator:)` and for the caller's report.
    associatedtype StepOutput

    /// The training loss on `batch`. Called on a copy whose parameters are watched on a tape, so
    /// everything recorded leads back to them. `generator` is the trainer's (for per-step random
    /// choices such as quantizer dropout).
    func trainingLoss(on batch: Batch, generator: inout RandomGenerator) -> TrainingLoss<StepOutput>

    /// The non-gradient part of a step, after the optimizer's update: moving averages, dead-code
    /// restarts, … Returns named figures for the step's report. The default does nothing.
    mutating func update(after output: StepOutput, generator: inout RandomGenerator) -> [String: Double]

    /// The items in a batch (images, grids), for items per second.
    static func itemCount(of batch: Batch) -> Int
}

extension TrainableModel {
    public mutating func update(after output: StepOutput, generator: inout RandomGenerator) -> [String: Double] { [:] }
}

/// A model's training loss on one batch.
public struct TrainingLoss<StepOutput> {
    /// The number minimised, rank 0.
    public var total: Tensor
    /// Its named parts (before any weighting the total applies), in the order reports show them.
    public var parts: [(name: String, value: Float)]
    /// What the forward pass leaves for the update and the report.
    public var output: StepOutput

    public init(total: Tensor, parts: [(name: String, value: Float)], output: StepOutput) {
        self.total = total
        self.parts = parts
        self.output = output
    }
}

/// Training stopped because a loss was NaN or infinite; the model was not updated at that step.
public struct NonFiniteLossError: Error, CustomStringConvertible, Equatable {
    public let step: Int
    public let losses: [String: Float]

    public init(step: Int, losses: [String: Float]) {
        self.step = step
        self.losses = losses
    }

    public var description: String {
        let listed = losses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "training stopped at step \(step): the loss is not finite (\(listed)); the model was not updated"
    }
}
