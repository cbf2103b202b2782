import VQEngine

/// When a code counts as dead and is restarted (a remedy for codebook collapse).
///
/// Two rules, either or both: `patience` restarts a code no vector has chosen for that many
/// consecutive steps; `usageThreshold` restarts a code whose moving average of vectors per batch
/// (decay `usageDecay`) has fallen below the threshold (vector-quantize-pytorch's
/// `threshold_ema_dead_code`). A restarted code is re-seeded from a random row of the current batch.
public struct DeadCodePolicy: Codable, Equatable, Sendable {
    public var patience: Int?
    public var usageThreshold: Float?
    public var usageDecay: Float

    public init(patience: Int? = nil, usageThreshold: Float? = nil, usageDecay: Float = 0.99) {
        precondition(patience.map { $0 > 0 } ?? true, "DeadCodePolicy: patience must be positive")
        precondition(usageThreshold.map { $0 > 0 } ?? true, "DeadCodePolicy: the usage threshold must be positive")
        self.patience = patience
        self.usageThreshold = usageThreshold
        self.usageDecay = usageDecay
    }
}

/// Tracks how each code of a `VectorQuantizer` is used and restarts dead ones (`DeadCodePolicy`).
///
/// Its state is three buffers: `steps_unused` (K), steps since each code was last chosen;
/// `average_usage` (K), the moving average of vectors per batch choosing each code, starting at the
/// threshold so that no code is dead before it had a chance; `restarts` (1), restarts so far. Counts
/// are exact in Float up to 2^24.
public struct DeadCodeRestarter: Layer {
    public let policy: DeadCodePolicy
    public var stepsUnused: Tensor
    public var averageUsage: Tensor
    public var restartCount: Tensor

    public init(codebookSize k: Int, policy: DeadCodePolicy) {
        self.policy = policy
        stepsUnused = Tensor(zeros: [k])
        averageUsage = Tensor(repeating: policy.usageThreshold ?? 0, shape: [k])
        restartCount = Tensor(zeros: [1])
    }

    /// Restarts so far.
    public var restarts: Int { Int(restartCount.scalars[0]) }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {}

    public mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) {
        body("steps_unused", &stepsUnused)
        body("average_usage", &averageUsage)
        body("restarts", &restartCount)
    }

    /// Counts one step's codes, `indices` chosen for `inputs` (M, D), and restarts the dead codes of
    /// `quantizer` from random rows of `inputs`. Returns how many were restarted.
    public mutating func step(_ quantizer: inout VectorQuantizer, inputs: Tensor, indices: [Int32],
                              generator: inout RandomGenerator) -> Int {
        let dead = deadCodes(afterCounting: indices)
        guard !dead.isEmpty else { return 0 }
        let rows = (0..<dead.count).map { _ in generator.nextIndex(below: inputs.shape[0]) }
        quantizer.reseed(codes: dead, from: inputs.gathered(rows: rows))
        stepsUnused.withUnsafeMutableBufferPointer { steps in for code in dead { steps[code] = 0 } }
        let reset = policy.usageThreshold ?? 0
        averageUsage.withUnsafeMutableBufferPointer { usage in for code in dead { usage[code] = reset } }
        restartCount = Tensor(shape: [1], scalars: [restartCount.scalars[0] + Float(dead.count)])
        return dead.count
    }

    /// Updates the counters with one step's codes and lists the codes the policy declares dead.
    mutating func deadCodes(afterCounting indices: [Int32]) -> [Int] {
        let k = stepsUnused.count
        var counts = [Float](repeating: 0, count: k)
        for index in indices { counts[Int(index)] += 1 }
        var dead: [Int] = []
        let (decay, patience, threshold) = (policy.usageDecay, policy.patience, policy.usageThreshold)
        var steps = stepsUnused.scalars, usage = averageUsage.scalars
        for code in 0..<k {
            steps[code] = counts[code] > 0 ? 0 : steps[code] + 1
            usage[code] = decay * usage[code] + (1 - decay) * counts[code]
            let stale = patience.map { steps[code] >= Float($0) } ?? false
            let rare = threshold.map { usage[code] < $0 } ?? false
            if stale || rare { dead.append(code) }
        }
        stepsUnused = Tensor(shape: [k], scalars: steps)
        averageUsage = Tensor(shape: [k], scalars: usage)
        return dead
    }
}
