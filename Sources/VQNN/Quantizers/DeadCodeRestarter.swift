import VQEngine

/// When a code counts as dead and is restarted (a remedy for codebook collapse).
///
/// Two rules, either or both: `patience` restarts a code no row has chosen for that many consecutive
/// steps; `minimumUsage` restarts a code whose moving average (decay `usageDecay`) of rows per batch,
/// measured in units of the uniform share M/K (M rows per batch, K codes), has fallen below it — in
/// the spirit of vector-quantize-pytorch's `threshold_ema_dead_code`, but relative, so one setting
/// fits any batch size, grid size and K (1/3 at M = 32·7·7, K = 512 is about one row per batch).
/// A restarted code is re-seeded from a row of the current batch, drawn without replacement, and its
/// average is reset to `minimumUsage`.
public struct DeadCodePolicy: Codable, Equatable, Sendable {
    public var patience: Int?
    public var minimumUsage: Float?
    public var usageDecay: Float

    public init(patience: Int? = nil, minimumUsage: Float? = nil, usageDecay: Float = 0.99) {
        precondition(patience.map { $0 > 0 } ?? true, "DeadCodePolicy: patience must be positive")
        precondition(minimumUsage.map { $0 > 0 } ?? true, "DeadCodePolicy: the minimum usage must be positive")
        self.patience = patience
        self.minimumUsage = minimumUsage
        self.usageDecay = usageDecay
    }
}

/// Tracks how each code of a `VectorQuantizer` is used and restarts dead ones (`DeadCodePolicy`).
///
/// Its state is three buffers: `steps_unused` (K), steps since each code was last chosen;
/// `average_usage` (K), the moving average of the rows choosing each code per batch in units of M/K,
/// starting at `minimumUsage` (a code never chosen is restarted at the first step: the codebook starts
/// from rows of the data); `restarts` (1), restarts so far. Counts are exact in Float up to 2^24.
public struct DeadCodeRestarter: Layer {
    public let policy: DeadCodePolicy
    public var stepsUnused: Tensor
    public var averageUsage: Tensor
    public var restartCount: Tensor

    public init(codebookSize k: Int, policy: DeadCodePolicy) {
        self.policy = policy
        stepsUnused = Tensor(zeros: [k])
        averageUsage = Tensor(repeating: policy.minimumUsage ?? 0, shape: [k])
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
        let counts = DeadCodeRestarter.counts(of: indices, codes: stepsUnused.count)
        // A share of the whole batch in one process never communicates, so it cannot throw.
        return try! step(&quantizer, counts: counts, inputs: inputs, share: .whole(inputs.shape[0]), generator: &generator)
    }

    /// One step of a batch shared by processes: `counts` are the rows choosing each code in the global
    /// batch (summed over processes), `inputs` this process's rows (`share`, in rows). Every process
    /// declares the same codes dead, draws the same global row numbers from `generator` (in the same
    /// state everywhere) and gets those rows from the processes holding them (`BatchShare.gatherRows`),
    /// so all restart alike. Returns how many codes were restarted.
    public mutating func step(_ quantizer: inout VectorQuantizer, counts: [Float], inputs: Tensor, share: BatchShare,
                              generator: inout RandomGenerator) throws -> Int {
        let rowCount = share.globalCount
        let dead = deadCodes(counts: counts, rows: rowCount)
        guard !dead.isEmpty, rowCount > 0 else { return 0 }
        let rows = DeadCodeRestarter.draw(dead.count, from: rowCount, generator: &generator)
        let reset = policy.minimumUsage ?? 0
        // An EMA codebook's restarted codes start with the cluster size the reset usage stands for
        // (at least 1e-3 rows), so their vectors hold until rows choose them.
        let clusterSize = max(reset * Float(rowCount) / Float(stepsUnused.count), 1e-3)
        quantizer.reseed(codes: dead, from: try share.gatherRows(rows, of: inputs), clusterSize: policy.minimumUsage == nil ? nil : clusterSize)
        stepsUnused.withUnsafeMutableBufferPointer { steps in for code in dead { steps[code] = 0 } }
        averageUsage.withUnsafeMutableBufferPointer { usage in for code in dead { usage[code] = reset } }
        restartCount = Tensor(shape: [1], scalars: [restartCount.scalars[0] + Float(dead.count)])
        return dead.count
    }

    /// How many of `indices` chose each of `k` codes.
    static func counts(of indices: [Int32], codes k: Int) -> [Float] {
        var counts = [Float](repeating: 0, count: k)
        for index in indices { counts[Int(index)] += 1 }
        return counts
    }

    /// `count` distinct row numbers below `rows` (all distinct while count ≤ rows; beyond that every
    /// row once, then again), by a partial Fisher-Yates shuffle.
    static func draw(_ count: Int, from rows: Int, generator: inout RandomGenerator) -> [Int] {
        var order = Array(0..<rows)
        var drawn: [Int] = []
        drawn.reserveCapacity(count)
        while drawn.count < count {
            let take = min(count - drawn.count, rows)
            for position in 0..<take {
                order.swapAt(position, position + generator.nextIndex(below: rows - position))
                drawn.append(order[position])
            }
        }
        return drawn
    }

    /// Updates the counters with one step's codes, `counts` of each code chosen by `rows` rows, and
    /// lists the codes the policy declares dead.
    mutating func deadCodes(counts: [Float], rows: Int) -> [Int] {
        let k = stepsUnused.count
        precondition(counts.count == k, "DeadCodeRestarter: \(counts.count) counts for \(k) codes")
        let share = Float(k) / Float(max(rows, 1))  // rows per batch in units of the uniform share M/K
        var dead: [Int] = []
        let (decay, patience, threshold) = (policy.usageDecay, policy.patience, policy.minimumUsage)
        var steps = stepsUnused.scalars, usage = averageUsage.scalars
        for code in 0..<k {
            steps[code] = counts[code] > 0 ? 0 : steps[code] + 1
            usage[code] = decay * usage[code] + (1 - decay) * counts[code] * share
            let stale = patience.map { steps[code] >= Float($0) } ?? false
            let rare = threshold.map { usage[code] < $0 } ?? false
            if stale || rare { dead.append(code) }
        }
        stepsUnused = Tensor(shape: [k], scalars: steps)
        averageUsage = Tensor(shape: [k], scalars: usage)
        return dead
    }
}
