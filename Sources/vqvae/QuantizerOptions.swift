import ArgumentParser
import VQModels
import VQNN

/// The command-line settings of a model's quantizer and downsampling, shared by the commands that
/// start a training run. Every option is optional: only those typed change the settings they are
/// applied to (the defaults for a new run, the saved ones for `--resume`).
struct QuantizerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Quantizer: vq (one codebook learnt by loss), ema (by moving averages), rvq (residual stages, see --depth) or fsq (finite scalar, see --levels) (default: vq with the collapse remedies of the default configuration).", valueName: "kind"))
    var quantizer: QuantizerConfiguration.Kind?
    @Option(help: ArgumentHelp("Codes per codebook, K (default: the preset's, 512 for sonnet).", valueName: "K")) var codebookSize: Int?
    @Option(help: "Stages of a residual quantizer (--quantizer rvq; default 4).") var depth: Int?
    @Option(help: ArgumentHelp("FSQ levels per dimension, comma-separated (--quantizer fsq; default 8,5,5,5: 1000 codes).", valueName: "L1,L2,…"))
    var levels: String?
    @Flag(help: "Quantizer dropout for rvq: each step uses a random number of stages, so the model decodes from any depth (default: off).")
    var quantizerDropout = false
    @Option(help: ArgumentHelp("How much the encoder shrinks each side: 2, 4, 8 or 16 (default 4: 28x28 images give 7x7 codes).", valueName: "F"))
    var downsample: Int?
    @Option(help: "β, the weight of the commitment loss (default 0.25).") var commitmentCost: Float?
    @Flag(help: "Same as --quantizer ema, kept for older scripts (default: off).") var ema = false
    @Flag(help: "Initialise every codebook by k-means++ on the encoder outputs of the first 8 batches (default: on for ema, off otherwise).") var kmeansInit = false
    @Option(help: ArgumentHelp("Batches of encoder outputs for k-means++ initialisation; 0: off (default: 8 for ema, 0 otherwise).", valueName: "n")) var kmeansBatches: Int?
    @Option(help: ArgumentHelp("Restart a code when its average use falls below this share of the uniform share M/K; 0: off (default: 1/3 for vq, ema and rvq).", valueName: "share"))
    var deadCodeUsage: Float?
    @Option(help: "Restart codes unused for this many steps (default: off).") var deadCodeSteps: Int?

    func validate() throws {
        if let codebookSize, codebookSize < 1 { throw ValidationError("--codebook-size must be at least 1") }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
        if let deadCodeSteps, deadCodeSteps < 1 { throw ValidationError("--dead-code-steps must be at least 1") }
        if let deadCodeUsage, !(deadCodeUsage >= 0 && deadCodeUsage.isFinite) { throw ValidationError("--dead-code-usage must be 0 or more") }
        if let kmeansBatches, kmeansBatches < 0 { throw ValidationError("--kmeans-batches must be 0 or more") }
        if let downsample, !VQVAEConfiguration.downsamplingFactors.contains(downsample) {
            throw ValidationError("--downsample must be 2, 4, 8 or 16")
        }
        if let commitmentCost, !(commitmentCost >= 0 && commitmentCost.isFinite) { throw ValidationError("--commitment-cost must be 0 or more") }
        _ = try parsedLevels()
        if ema && quantizer != nil && quantizer != .ema { throw ValidationError("--ema contradicts --quantizer \(quantizer!.rawValue)") }
        let kind = ema ? .ema : quantizer
        if depth != nil && kind != nil && kind != .rvq { throw ValidationError("--depth is for --quantizer rvq") }
        if quantizerDropout && kind != nil && kind != .rvq { throw ValidationError("--quantizer-dropout is for --quantizer rvq") }
        if levels != nil && kind != nil && kind != .fsq { throw ValidationError("--levels is for --quantizer fsq") }
    }

    /// The levels of `--levels`, or nil when not given.
    func parsedLevels() throws -> [Int]? {
        guard let levels else { return nil }
        let values = levels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 2 }) else {
            throw ValidationError("--levels must be a comma-separated list of integers of 2 or more, such as 8,5,5,5")
        }
        return values.map { $0! }
    }

    /// Whether any option was typed.
    var isEmpty: Bool {
        quantizer == nil && codebookSize == nil && depth == nil && levels == nil && !quantizerDropout && downsample == nil
            && commitmentCost == nil && !ema && !kmeansInit && kmeansBatches == nil && deadCodeSteps == nil && deadCodeUsage == nil
    }

    /// `configuration` with the typed options applied. Choosing another kind of quantizer starts from
    /// that kind's defaults (keeping K); typing the kind it already has changes nothing.
    func applied(to configuration: VQVAEConfiguration) throws -> VQVAEConfiguration {
        var c = configuration
        var q = c.quantizer
        if let kind = ema ? .ema : quantizer, kind != q.kind {
            q = QuantizerConfiguration.standard(kind, codebookSize: q.kind == .fsq ? 512 : q.codebookSize)
        }
        if let codebookSize, q.kind != .fsq { q.codebookSize = codebookSize }
        if let depth { q.depth = depth }
        if let levels = try parsedLevels() { q = QuantizerConfiguration(kind: .fsq, levels: levels) }
        if quantizerDropout { q.quantizerDropout = true }
        if let commitmentCost { q.commitmentCost = commitmentCost }
        if kmeansInit { q.kMeansBatches = 8 }
        if let kmeansBatches { q.kMeansBatches = kmeansBatches }
        if deadCodeSteps != nil || deadCodeUsage != nil {
            var policy = q.deadCodes ?? DeadCodePolicy()
            if let deadCodeSteps { policy.patience = deadCodeSteps }
            if let deadCodeUsage { policy.minimumUsage = deadCodeUsage > 0 ? deadCodeUsage : nil }
            q.deadCodes = policy.patience == nil && policy.minimumUsage == nil ? nil : policy
        }
        if let downsample { c.downsampling = downsample }
        c.quantizer = q
        if let problems = c.problems { throw ValidationError(problems) }
        return c
    }
}

extension QuantizerConfiguration.Kind: ExpressibleByArgument {}
