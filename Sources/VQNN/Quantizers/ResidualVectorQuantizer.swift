import VQEngine

/// Residual vector quantization (as in SoundStream and EnCodec): N `VectorQuantizer` stages, stage s
/// quantizing the residual r_s that the stages before it left, r_0 = z, r_{s+1} = r_s − e_s, and the
/// output Σ_s e_s. Depth k < N decodes from the first k stages only: a coarser reconstruction from
/// fewer bits.
///
///   output     z + sg[Σ_s e_s − z]            (one straight-through estimator for the sum)
///   codebook   Σ_s ‖sg[r_s] − e_s‖²            (each stage's codes towards its residuals)
///   commitment Σ_s ‖r_s − sg[e_s]‖²,  r_s = z − Σ_{j<s} sg[e_j]   (the encoder towards every stage)
///
/// With quantizer dropout each training step uses the first k stages, k drawn uniformly in 1...N
/// (one k per batch), so one model decodes well from any depth. Every stage has the settings of the
/// configuration (codebook by loss or EMA, k-means++ initialisation on its residuals, dead-code
/// restarts); its parameters and buffers are named `stages.<s>.…`.
public struct ResidualVectorQuantizer: Quantizer {
    public var stages: [VectorQuantizer]
    /// Whether a training step draws its depth (quantizer dropout).
    public var quantizerDropout: Bool

    public var dimension: Int { stages[0].embeddingDim }
    public var depth: Int { stages.count }
    public var codebookSize: Int { stages[0].numEmbeddings }
    public var commitmentCost: Float { stages[0].commitmentCost }
    public var codebooks: [Tensor] { stages.map { $0.codebook.detached() } }
    public var initializationBatches: Int { stages[0].kMeansBatches }

    public init(stages: [VectorQuantizer], quantizerDropout: Bool = false) {
        precondition(!stages.isEmpty, "ResidualVectorQuantizer: no stages")
        precondition(stages.allSatisfy { $0.embeddingDim == stages[0].embeddingDim && $0.numEmbeddings == stages[0].numEmbeddings },
                     "ResidualVectorQuantizer: the stages differ in K or D")
        self.stages = stages
        self.quantizerDropout = quantizerDropout
    }

    /// `configuration.depth` stages of rows of `embeddingDim`, each with the configuration's codebook settings.
    public init(_ configuration: QuantizerConfiguration, embeddingDim: Int, generator: inout RandomGenerator) {
        let c = configuration
        let stages = (0..<max(c.depth, 1)).map { _ in
            c.movingAverageStages
                ? VectorQuantizer(movingAverageCodes: c.codebookSize, embeddingDim: embeddingDim, commitmentCost: c.commitmentCost,
                                  decay: c.decay, kMeansBatches: c.kMeansBatches, deadCodes: c.deadCodes, generator: &generator)
                : VectorQuantizer(numEmbeddings: c.codebookSize, embeddingDim: embeddingDim, commitmentCost: c.commitmentCost,
                                  kMeansBatches: c.kMeansBatches, deadCodes: c.deadCodes, generator: &generator)
        }
        self.init(stages: stages, quantizerDropout: c.quantizerDropout)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        for index in stages.indices { visit(&stages[index], named: "stages.\(index)", body) }
    }

    public mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) {
        for index in stages.indices { visitBuffers(&stages[index], named: "stages.\(index)", body) }
    }

    public func callAsFunction(_ rows: Tensor, depth: Int?) -> QuantizerOutput {
        let used = resolvedDepth(depth)
        var residual = rows
        var sum: Tensor?
        var outputs: [QuantizerOutput] = []
        for stage in stages.prefix(used) {
            let output = stage(residual)
            let chosen = stage.decode(output.stages[0].indices, depth: 1)   // e_s, (M, D), detached
            residual = residual - chosen
            sum = sum.map { $0 + chosen } ?? chosen
            outputs.append(output)
        }
        let quantized = rows + (sum! - rows).detached()
        return QuantizerOutput(
            quantized: quantized, stages: outputs.flatMap(\.stages),
            codebookLoss: outputs.dropFirst().reduce(outputs[0].codebookLoss) { $0 + $1.codebookLoss },
            commitmentLoss: outputs.dropFirst().reduce(outputs[0].commitmentLoss) { $0 + $1.commitmentLoss })
    }

    public func encode(_ rows: Tensor, depth: Int?) -> [Int32] {
        let used = resolvedDepth(depth)
        var residual = rows.detached()
        var perStage: [[Int32]] = []
        for stage in stages.prefix(used) {
            let indices = stage.encode(residual)
            residual = residual - stage.codebook.detached().gathered(rows: indices)
            perStage.append(indices)
        }
        return interleavedIndices(perStage)
    }

    public func decode(_ indices: [Int32], depth: Int) -> Tensor {
        precondition((1...self.depth).contains(depth) && indices.count % depth == 0,
                     "ResidualVectorQuantizer.decode: \(indices.count) indices at depth \(depth) of \(self.depth)")
        return (1..<depth).reduce(stages[0].decode(stageIndices(indices, stage: 0, depth: depth), depth: 1)) { sum, stage in
            sum + stages[stage].decode(stageIndices(indices, stage: stage, depth: depth), depth: 1)
        }
    }

    public func trainingDepth(generator: inout RandomGenerator) -> Int? {
        quantizerDropout && depth > 1 ? 1 + generator.nextIndex(below: depth) : nil
    }

    /// k-means++ of each stage on the residuals the stages before it leave.
    public mutating func initialize(from rows: Tensor, batches: Int, generator: inout RandomGenerator) {
        var residual = rows.detached()
        for index in stages.indices {
            stages[index].initialize(from: residual, batches: batches, generator: &generator)
            residual = residual - stages[index].decode(stages[index].encode(residual), depth: 1)
        }
    }

    /// Each stage that ran: its EMA update and dead-code restarts, on the residuals it saw (global
    /// figures when processes share the batch: one sum per stage).
    public mutating func update(after output: QuantizerOutput, share: BatchShare, generator: inout RandomGenerator) throws -> Int {
        var restarted = 0
        for (index, stage) in output.stages.enumerated() {
            let single = QuantizerOutput(quantized: output.quantized, stages: [stage], codebookLoss: Tensor(0), commitmentLoss: Tensor(0))
            restarted += try stages[index].update(after: single, share: share, generator: &generator)
        }
        return restarted
    }
}
