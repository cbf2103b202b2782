import VQEngine

/// Which quantizer a model uses and every setting of it, stored in checkpoints (JSON) so the
/// quantizer can be rebuilt. `makeQuantizer` builds it.
public struct QuantizerConfiguration: Codable, Equatable, Sendable {
    /// The kinds of quantizer (the command line's `--quantizer`).
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// One codebook, nearest code (`VectorQuantizer`), learnt by loss.
        case vq
        /// One codebook learnt by exponential moving averages.
        case ema
        /// `depth` codebooks, each quantizing what the ones before it left (`ResidualVectorQuantizer`).
        case rvq
        /// Finite scalar quantization: each of a few bounded dimensions rounded to a fixed number of
        /// levels (`FiniteScalarQuantizer`); no codebook to learn.
        case fsq
    }

    public var kind: Kind
    /// K, the codes of each stage (vq, ema, rvq). For fsq it is the product of `levels`.
    public var codebookSize: Int
    /// β, the weight of the commitment loss (vq, ema, rvq).
    public var commitmentCost: Float
    /// γ, the decay of an EMA codebook (ema, and rvq with `movingAverageStages`).
    public var decay: Float
    /// Stages of a residual quantizer (1 for every other kind).
    public var depth: Int
    /// rvq: each training step uses a random number of stages, 1...depth (SoundStream's quantizer
    /// dropout), so the model decodes from any depth.
    public var quantizerDropout: Bool
    /// rvq: the stages learn their codebooks by EMA instead of by loss.
    public var movingAverageStages: Bool
    /// fsq: the number of levels of each dimension (8,5,5,5: 1000 codes); its count is the row length.
    public var levels: [Int]
    /// Batches of encoder outputs for k-means++ initialisation of every codebook (0: random codes).
    public var kMeansBatches: Int
    /// When codes are dead and restarted (nil: never).
    public var deadCodes: DeadCodePolicy?

    public init(kind: Kind = .vq, codebookSize: Int = 512, commitmentCost: Float = 0.25, decay: Float = 0.99,
                depth: Int = 1, quantizerDropout: Bool = false, movingAverageStages: Bool = false, levels: [Int] = [],
                kMeansBatches: Int = 0, deadCodes: DeadCodePolicy? = nil) {
        self.kind = kind
        self.codebookSize = kind == .fsq ? levels.reduce(1, *) : codebookSize
        self.commitmentCost = commitmentCost
        self.decay = decay
        self.depth = kind == .rvq ? depth : 1
        self.quantizerDropout = quantizerDropout
        self.movingAverageStages = movingAverageStages
        self.levels = levels
        self.kMeansBatches = kMeansBatches
        self.deadCodes = deadCodes
    }

    /// The defaults of each kind, with the codebook-collapse remedy measured best (BENCHMARKS.md,
    /// "Codebook collapse"): vq, ema and every rvq stage restart codes whose average use falls below a
    /// third of the uniform share (`standardDeadCodes`), ema also starts from k-means++ on 8 batches;
    /// rvq has 4 stages; fsq levels 8,5,5,5 (no codebook, nothing to restart).
    public static func standard(_ kind: Kind, codebookSize: Int = 512) -> QuantizerConfiguration {
        switch kind {
        case .vq: return QuantizerConfiguration(kind: .vq, codebookSize: codebookSize, deadCodes: standardDeadCodes)
        case .ema: return QuantizerConfiguration(kind: .ema, codebookSize: codebookSize, kMeansBatches: 8, deadCodes: standardDeadCodes)
        case .rvq: return QuantizerConfiguration(kind: .rvq, codebookSize: codebookSize, depth: 4, deadCodes: standardDeadCodes)
        case .fsq: return QuantizerConfiguration(kind: .fsq, levels: [8, 5, 5, 5])
        }
    }

    /// Restart a code when its average use falls below 1/3 of the uniform share (decay 0.99).
    public static let standardDeadCodes = DeadCodePolicy(minimumUsage: 1.0 / 3, usageDecay: 0.99)

    /// The quantizer a model gets when nothing is chosen.
    public static let `default` = standard(.vq)

    /// What is wrong with these settings, or nil: one line for each problem, joined by "; ".
    public var problems: String? {
        var found: [String] = []
        if kind != .fsq && codebookSize < 1 { found.append("the codebook size must be at least 1") }
        if kind == .rvq && depth < 1 { found.append("a residual quantizer needs a depth of at least 1") }
        if kind == .fsq {
            if levels.isEmpty { found.append("finite scalar quantization needs levels (such as 8,5,5,5)") }
            if levels.contains(where: { $0 < 2 }) { found.append("every FSQ level count must be at least 2") }
            if levels.reduce(1.0, { $0 * Double($1) }) > Double(Int32.max) { found.append("the FSQ levels give more than 2^31 codes") }
        }
        if !(decay > 0 && decay < 1) { found.append("the EMA decay must be in (0, 1)") }
        if kMeansBatches < 0 { found.append("k-means batches must be 0 or more") }
        return found.isEmpty ? nil : found.joined(separator: "; ")
    }

    /// The length of the rows the quantizer takes when the autoencoder's embedding has `embeddingDim`
    /// channels: that, except for fsq, whose rows have one value per level count.
    public func rowDimension(embeddingDim: Int) -> Int { kind == .fsq ? levels.count : embeddingDim }

    /// A freshly initialised quantizer for rows of `embeddingDim` values (for fsq that must be the
    /// count of levels: pass `rowDimension(embeddingDim:)`).
    public func makeQuantizer(embeddingDim: Int, generator: inout RandomGenerator) -> any Quantizer {
        precondition(problems == nil, "QuantizerConfiguration: \(problems!)")
        switch kind {
        case .vq:
            return VectorQuantizer(numEmbeddings: codebookSize, embeddingDim: embeddingDim, commitmentCost: commitmentCost,
                                   kMeansBatches: kMeansBatches, deadCodes: deadCodes, generator: &generator)
        case .ema:
            return VectorQuantizer(movingAverageCodes: codebookSize, embeddingDim: embeddingDim, commitmentCost: commitmentCost,
                                   decay: decay, kMeansBatches: kMeansBatches, deadCodes: deadCodes, generator: &generator)
        case .rvq:
            return ResidualVectorQuantizer(self, embeddingDim: embeddingDim, generator: &generator)
        case .fsq:
            precondition(embeddingDim == levels.count, "QuantizerConfiguration: FSQ rows have \(levels.count) values, not \(embeddingDim)")
            return FiniteScalarQuantizer(levels: levels)
        }
    }
}
