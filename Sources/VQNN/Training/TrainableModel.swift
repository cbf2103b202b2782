import VQEngine

/// A model `ModelTrainer` can train: it says what its loss on a batch is, and what it learns without
/// gradients after each update.
public protocol TrainableModel: Layer {
    /// What one step trains on (images, code grids, …), drawn by the caller.
    associatedtype Batch
    /// What the forward pass leaves for `update(after:share:generator:)` and for the caller's report.
    associatedtype StepOutput

    /// The training loss on `batch`, this process's share of the step's global batch (all of it in a
    /// single process): a mean over the share's items, so that the w-weighted sum over processes
    /// (`BatchShare.weight`) is the global batch's. A loss with a batch-wide statistic that is not such
    /// a mean (a ratio of norms over the whole batch) combines it across processes through `share`.
    /// Called on a copy whose parameters are watched on a tape, so everything recorded leads back to
    /// them. `generator` is the trainer's, in the same state on every process (for per-step random
    /// choices such as quantizer dropout). Throws `CommunicationError` when a collective call fails.
    func trainingLoss(on batch: Batch, share: BatchShare, generator: inout RandomGenerator) throws -> TrainingLoss<StepOutput>

    /// The non-gradient part of a step, after the optimizer's update: moving averages, dead-code
    /// restarts, … computed from global figures (`share` sums the processes' counts and sums), so that
    /// every process ends the step with the same state. Returns named figures for the step's report.
    /// The default does nothing.
    mutating func update(after output: StepOutput, share: BatchShare, generator: inout RandomGenerator) throws -> [String: Double]

    /// The items in a batch (images, grids), for items per second and for sharing it among processes.
    static func itemCount(of batch: Batch) -> Int

    /// The items `items` of `batch`, in order, as a batch of their own: one process's share.
    static func items(_ items: Range<Int>, of batch: Batch) -> Batch
}

extension TrainableModel {
    public mutating func update(after output: StepOutput, share: BatchShare, generator: inout RandomGenerator) throws -> [String: Double] { [:] }
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
