import VQEngine

/// Nearest-code vector quantization with a straight-through gradient (van den Oord et al. 2017).
///
/// Each row z of the input (M, D) is replaced by its nearest codebook row e (squared Euclidean
/// distance, one matrix product for all rows at once). The decoder's gradient is copied straight
/// through to z. Two losses train the codebook and the encoder:
///   codebook loss    ‖sg[z] − e‖²       (mean over elements; moves the codes)
///   commitment loss  β·‖z − sg[e]‖²     (keeps the encoder near its codes; β = 0.25)
/// With `movingAverages` set, the codebook is learned by exponential moving averages instead
/// (paper appendix A.1): no codebook loss, no codebook gradient, and the codebook is a buffer.
///
/// Optional, owned here: k-means++ initialisation on the first `kMeansBatches` batches of encoder
/// outputs, and a `DeadCodeRestarter`. Buffers: `codebook` (EMA only), `ema.cluster_sizes` (K),
/// `ema.embedding_sums` (K, D), and the restarter's `dead_codes.*`.
public struct VectorQuantizer: Quantizer {
    /// The codes, (numEmbeddings K, embeddingDim D).
    public var codebook: Tensor
    /// β, the weight of the commitment loss.
    public var commitmentCost: Float
    /// The moving-average state when the codebook is learned by EMA; `nil` when learned by loss.
    public var movingAverages: CodebookMovingAverages?
    /// Batches of encoder outputs for k-means++ before the first step (0: keep the random codebook).
    public var kMeansBatches: Int
    /// Restarts dead codes after each step when set.
    public var restarter: DeadCodeRestarter?

    public var numEmbeddings: Int { codebook.shape[0] }
    public var embeddingDim: Int { codebook.shape[1] }
    public var dimension: Int { embeddingDim }
    public var codebookSize: Int { numEmbeddings }
    public var depth: Int { 1 }
    public var codebooks: [Tensor] { [codebook.detached()] }
    public var initializationBatches: Int { kMeansBatches }

    /// A codebook learned by loss, initialised U(−1/K, 1/K) as in the Sonnet/PyTorch reference.
    public init(numEmbeddings: Int, embeddingDim: Int, commitmentCost: Float = 0.25, kMeansBatches: Int = 0,
                deadCodes: DeadCodePolicy? = nil, generator: inout RandomGenerator) {
        let bound = 1 / Float(numEmbeddings)
        codebook = Tensor(uniform: [numEmbeddings, embeddingDim], low: -bound, high: bound, generator: &generator)
        self.commitmentCost = commitmentCost
        self.kMeansBatches = kMeansBatches
        restarter = deadCodes.map { DeadCodeRestarter(codebookSize: numEmbeddings, policy: $0) }
    }

    /// A codebook learned by exponential moving averages, initialised N(0, 1) as in the reference.
    public init(movingAverageCodes numEmbeddings: Int, embeddingDim: Int, commitmentCost: Float = 0.25,
                decay: Float = 0.99, epsilon: Float = 1e-5, kMeansBatches: Int = 0, deadCodes: DeadCodePolicy? = nil,
                generator: inout RandomGenerator) {
        codebook = Tensor(normal: [numEmbeddings, embeddingDim], generator: &generator)
        self.commitmentCost = commitmentCost
        self.kMeansBatches = kMeansBatches
        movingAverages = CodebookMovingAverages(codebook: codebook, decay: decay, epsilon: epsilon)
        restarter = deadCodes.map { DeadCodeRestarter(codebookSize: numEmbeddings, policy: $0) }
    }

    /// Only a loss-learned codebook is a parameter; an EMA codebook is a buffer.
    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        if movingAverages == nil { body("codebook", &codebook) }
    }

    public mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) {
        if var averages = movingAverages {
            body("codebook", &codebook)
            body("ema.cluster_sizes", &averages.clusterSizes)
            body("ema.embedding_sums", &averages.embeddingSums)
            movingAverages = averages
        }
        if restarter != nil { visitBuffers(&restarter!, named: "dead_codes", body) }
    }

    /// Quantizes `rows` (M, D); `depth` must be nil or 1.
    public func callAsFunction(_ rows: Tensor, depth: Int?) -> QuantizerOutput {
        _ = resolvedDepth(depth)
        precondition(rows.rank == 2 && rows.shape[1] == embeddingDim,
                     "VectorQuantizer: rows \(rows.shape) are not (M, \(embeddingDim))")
        let inputs = rows.detached()
        let indices = inputs.nearestRows(in: codebook.detached()).indices
        let chosen = codebook.gathered(rows: indices)                                   // (M, D)
        let codebookLoss = movingAverages == nil ? Tensor.mseLoss(chosen, inputs) : Tensor(0)
        let commitmentLoss = Tensor.mseLoss(rows, chosen.detached())
        let straightThrough = rows + (chosen - rows).detached()
        return QuantizerOutput(quantized: straightThrough, stages: [QuantizationStage(inputs: inputs, indices: indices)],
                               codebookLoss: codebookLoss, commitmentLoss: commitmentLoss)
    }

    /// The code of each row of `rows` (M, D); nothing is recorded.
    public func encode(_ rows: Tensor, depth: Int?) -> [Int32] {
        _ = resolvedDepth(depth)
        return rows.detached().nearestRows(in: codebook.detached()).indices
    }

    /// The code vectors of `indices`, (M, D).
    public func decode(_ indices: [Int32], depth: Int) -> Tensor {
        precondition(depth == 1, "VectorQuantizer.decode: depth \(depth) is not 1")
        return codebook.detached().gathered(rows: indices)
    }

    /// k-means++ on the encoder outputs, when `kMeansBatches` asks for it.
    public mutating func initialize(from rows: Tensor, batches: Int, generator: inout RandomGenerator) {
        guard kMeansBatches > 0 else { return }
        initializeByKMeans(rows, batchesSeen: batches, generator: &generator)
    }

    /// Moves an EMA codebook towards the mean of its assigned rows, then restarts dead codes, from
    /// the global batch's figures: this process's per-code counts (and sums, for EMA) are summed over
    /// the processes sharing the batch (`share`, in rows) in one call, so every process makes the same
    /// update and the same restarts.
    public mutating func update(after output: QuantizerOutput, share: BatchShare, generator: inout RandomGenerator) throws -> Int {
        guard movingAverages != nil || restarter != nil else { return 0 }
        let stage = output.stages[0]
        let k = numEmbeddings
        var statistics = movingAverages != nil
            ? CodebookMovingAverages.batchStatistics(of: stage.inputs, indices: stage.indices, codes: k)
            : DeadCodeRestarter.counts(of: stage.indices, codes: k)
        try share.sum(&statistics)
        if var averages = movingAverages {
            averages.update(statistics: statistics, codebook: &codebook)
            movingAverages = averages
        }
        guard var restarter else { return 0 }
        let restarted = try restarter.step(&self, counts: Array(statistics[0..<k]), inputs: stage.inputs, share: share, generator: &generator)
        self.restarter = restarter
        return restarted
    }

    /// The EMA update alone (no restarts): codes move towards the mean of the rows that chose them.
    public mutating func updateMovingAverages(_ stage: QuantizationStage) {
        guard var averages = movingAverages else { return }
        averages.update(with: stage.inputs, indices: stage.indices, codebook: &codebook)
        movingAverages = averages
    }

    /// Replaces the vectors of `codes` by the rows of `vectors` (one per code). An EMA codebook's
    /// state follows: each restarted code gets the cluster size `clusterSize` (when nil, the mean
    /// cluster size, at least 1e-3), and a sum to match, so its vector holds until rows choose it.
    mutating func reseed(codes: [Int], from vectors: Tensor, clusterSize: Float? = nil) {
        let d = embeddingDim
        let z = vectors.scalars
        var values = codebook.detached().scalars
        for (position, code) in codes.enumerated() {
            for j in 0..<d { values[code * d + j] = z[position * d + j] }
        }
        codebook = Tensor(shape: codebook.shape, scalars: values)
        guard var averages = movingAverages else { return }
        var sizes = averages.clusterSizes.scalars, sums = averages.embeddingSums.scalars
        let typicalSize = clusterSize ?? max(sizes.reduce(0, +) / Float(sizes.count), 1e-3)
        for (position, code) in codes.enumerated() {
            sizes[code] = typicalSize
            for j in 0..<d { sums[code * d + j] = z[position * d + j] * typicalSize }
        }
        averages.clusterSizes = Tensor(shape: averages.clusterSizes.shape, scalars: sizes)
        averages.embeddingSums = Tensor(shape: averages.embeddingSums.shape, scalars: sums)
        movingAverages = averages
    }
}
