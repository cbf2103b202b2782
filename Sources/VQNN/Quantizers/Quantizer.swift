import VQEngine

/// Something that replaces rows of an encoder's output by discrete codes: the bottleneck of a VQ-VAE.
///
/// A quantizer sees rows, (M, D): the autoencoder flattens its latent grid (N, D, H, W) or (N, D, T)
/// to one row per grid position. Each row gets `depth` indices below `codebookSize` (one for a vector
/// or scalar quantizer, one per stage for a residual one), and is replaced by the vector those indices
/// stand for, with a straight-through gradient (the decoder's gradient is copied to the row).
///
/// Training a quantizer has three parts besides the gradient of its losses, all owned by the quantizer:
/// a data-dependent initialisation before the first step (`initialize(from:batches:generator:)`, for
/// example k-means), a per-step choice of how many stages to use (`trainingDepth`, quantizer
/// dropout), and an update after the optimizer's (`update(after:share:generator:)`: moving averages,
/// usage statistics, dead-code restarts, from the global batch's figures when processes share it). What it keeps between steps lives in named buffers
/// (`Layer.forEachBuffer`), so checkpoints and resumes need no knowledge of the quantizer's kind.
public protocol Quantizer: Layer {
    /// D, the length of the rows.
    var dimension: Int { get }
    /// The most indices a row gets: 1, or the number of stages of a residual quantizer.
    var depth: Int { get }
    /// K, the codes of each stage; every index is in 0..<K.
    var codebookSize: Int { get }
    /// β, the weight of the commitment loss in the training loss.
    var commitmentCost: Float { get }

    /// Quantizes `rows` (M, D) with the first `depth` stages (all when nil), recording on the rows'
    /// tape: the quantized rows carry the straight-through gradient, the losses their own.
    func callAsFunction(_ rows: Tensor, depth: Int?) -> QuantizerOutput

    /// The indices of `rows` (M, D) under the first `depth` stages (all when nil): M·depth of them in
    /// (row, stage) order. Records nothing.
    func encode(_ rows: Tensor, depth: Int?) -> [Int32]

    /// The rows, (M, D), that `indices` stand for: M·depth indices in (row, stage) order, each below K.
    /// `depth` may be below the quantizer's (a residual quantizer decoded from its first stages).
    func decode(_ indices: [Int32], depth: Int) -> Tensor

    /// The indices of `rows` (M, D) under the first `depth` stages (all when nil), as `encode` gives
    /// them, and each row's squared distance to what its codes stand for, ‖row − code‖² summed over
    /// the row's values, measured where the quantizer compares rows with codes (for VQ and residual VQ
    /// the encoder's space, `decode(indices)`; FSQ overrides it to measure in its bounded space).
    /// How far an input lies from the codebook: the quantisation distance of anomaly scores. Records nothing.
    func quantizationDistances(_ rows: Tensor, depth: Int?) -> (indices: [Int32], squaredDistances: [Float])

    /// How many stages a training step uses: nil for all (the default); a residual quantizer with
    /// quantizer dropout draws it here.
    func trainingDepth(generator: inout RandomGenerator) -> Int?

    /// Batches of encoder outputs the initialisation wants before the first step (0: none, the default).
    var initializationBatches: Int { get }

    /// Initialises from encoder outputs `rows` (M, D) gathered over `batches` batches, before the
    /// first step. The default does nothing.
    mutating func initialize(from rows: Tensor, batches: Int, generator: inout RandomGenerator)

    /// The non-gradient part of a training step, after the optimizer has updated the parameters:
    /// moving averages, usage statistics and dead-code restarts. `output` is this process's share of
    /// the batch and `share` says which rows of the global batch it holds; figures are summed over
    /// the processes and random choices drawn alike on each, so that every process makes the same
    /// update. Returns the codes restarted now. The default does nothing.
    mutating func update(after output: QuantizerOutput, share: BatchShare, generator: inout RandomGenerator) throws -> Int

    /// The codebook of each stage, (K, D) each: what `vqvae info` describes.
    var codebooks: [Tensor] { get }
}

extension Quantizer {
    public func callAsFunction(_ rows: Tensor) -> QuantizerOutput { self(rows, depth: nil) }
    public func encode(_ rows: Tensor) -> [Int32] { encode(rows, depth: nil) }
    public func quantizationDistances(_ rows: Tensor, depth: Int?) -> (indices: [Int32], squaredDistances: [Float]) {
        let stages = resolvedDepth(depth)
        let input = rows.detached()
        let indices = encode(input, depth: stages)
        return (indices, rowSquaredDistances(input, decode(indices, depth: stages)))
    }
    public func trainingDepth(generator: inout RandomGenerator) -> Int? { nil }
    public var initializationBatches: Int { 0 }
    public mutating func initialize(from rows: Tensor, batches: Int, generator: inout RandomGenerator) {}
    public mutating func update(after output: QuantizerOutput, share: BatchShare, generator: inout RandomGenerator) throws -> Int { 0 }

    /// `update(after:share:generator:)` in a single process, on the whole batch.
    public mutating func update(after output: QuantizerOutput, generator: inout RandomGenerator) -> Int {
        // A single process's share never communicates, so it cannot throw.
        try! update(after: output, share: .whole(output.stages.first?.inputs.shape[0] ?? 0), generator: &generator)
    }

    /// The stages `depth` asks for: all when nil, else `depth`, which must be in 1...self.depth.
    public func resolvedDepth(_ depth: Int?) -> Int {
        guard let depth else { return self.depth }
        precondition((1...self.depth).contains(depth), "Quantizer: depth \(depth) is not in 1...\(self.depth)")
        return depth
    }
}

/// One stage of a quantization: the rows it was given and the codes it chose.
public struct QuantizationStage {
    /// The rows this stage quantized, (M, D), detached: the encoder outputs, or for a residual stage
    /// what the stages before it left.
    public var inputs: Tensor
    /// The chosen code of each row, M of them.
    public var indices: [Int32]

    public init(inputs: Tensor, indices: [Int32]) {
        self.inputs = inputs
        self.indices = indices
    }
}

/// What quantizing rows gives.
public struct QuantizerOutput {
    /// The quantized rows with the straight-through gradient, (M, D).
    public var quantized: Tensor
    /// Each stage's inputs and codes, in order (one for a single-stage quantizer).
    public var stages: [QuantizationStage]
    /// Σ over stages of ‖sg[r] − e‖², each a mean over elements: moves the codes (zero when the
    /// codebook is not learnt by loss). Rank 0.
    public var codebookLoss: Tensor
    /// Σ over stages of ‖r − sg[e]‖², each a mean over elements, before β: keeps the encoder near its
    /// codes (zero for a quantizer without one). Rank 0.
    public var commitmentLoss: Tensor

    public init(quantized: Tensor, stages: [QuantizationStage], codebookLoss: Tensor, commitmentLoss: Tensor) {
        self.quantized = quantized
        self.stages = stages
        self.codebookLoss = codebookLoss
        self.commitmentLoss = commitmentLoss
    }

    /// The stages used.
    public var depth: Int { stages.count }

    /// M·depth indices in (row, stage) order.
    public var indices: [Int32] { interleavedIndices(stages.map(\.indices)) }
}

/// Interleaves per-stage indices (depth arrays of M) into (row, stage) order.
func interleavedIndices(_ perStage: [[Int32]]) -> [Int32] {
    guard perStage.count > 1 else { return perStage.first ?? [] }
    let (rows, depth) = (perStage[0].count, perStage.count)
    var result = [Int32](repeating: 0, count: rows * depth)
    for (stage, indices) in perStage.enumerated() {
        for row in 0..<rows { result[row * depth + stage] = indices[row] }
    }
    return result
}

/// The indices of one stage out of M·depth indices in (row, stage) order.
func stageIndices(_ indices: [Int32], stage: Int, depth: Int) -> [Int32] {
    guard depth > 1 else { return indices }
    return stride(from: stage, to: indices.count, by: depth).map { indices[$0] }
}

/// ‖a_i − b_i‖² for each row i of two (M, D) tensors, accumulated in Double.
func rowSquaredDistances(_ a: Tensor, _ b: Tensor) -> [Float] {
    precondition(a.shape == b.shape && a.rank == 2, "rowSquaredDistances: shapes \(a.shape) and \(b.shape)")
    let d = a.shape[1]
    return a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            (0..<a.shape[0]).map { row in
                var sum = 0.0
                for i in (row * d)..<((row + 1) * d) {
                    let difference = Double(x[i]) - Double(y[i])
                    sum += difference * difference
                }
                return Float(sum)
            }
        }
    }
}
