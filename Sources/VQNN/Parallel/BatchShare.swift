import VQEngine

/// This process's share of one step's global batch: which items it trains on, and the communicator
/// that turns its figures into the global batch's.
///
/// With N processes and a global batch of B ≥ N items, process r takes items ⌊r·B/N⌋ ..< ⌊(r+1)·B/N⌋:
/// contiguous and in rank order, so the shares side by side are the global batch in its own order.
/// A loss that is a mean over items is then Σ_r w_r·loss_r with w_r = n_r/B (n_r items in share r),
/// and so is its gradient: the data-parallel step sums w_r-weighted gradients over processes. The
/// same numbering holds for rows (a VQ-VAE's latent positions, `rows(perItem:)`), which is what the
/// quantizers' global statistics and dead-code restarts use.
public struct BatchShare: Sendable {
    public let communicator: any Communicator
    /// The items (or rows) of the global batch this process holds, in the global numbering.
    public let items: Range<Int>
    /// Items (or rows) in the global batch.
    public let globalCount: Int

    /// Process `communicator.rank`'s share of a global batch of `globalCount` items (at least one
    /// item per process).
    public init(communicator: any Communicator, globalCount: Int) {
        precondition(globalCount >= communicator.size || communicator.size == 1,
                     "BatchShare: a batch of \(globalCount) cannot be shared by \(communicator.size) processes")
        self.init(communicator: communicator,
                  items: BatchShare.items(ofRank: communicator.rank, processes: communicator.size, globalCount: globalCount),
                  globalCount: globalCount)
    }

    public init(communicator: any Communicator, items: Range<Int>, globalCount: Int) {
        precondition(items.lowerBound >= 0 && items.upperBound <= globalCount, "BatchShare: items \(items) outside 0..<\(globalCount)")
        self.communicator = communicator
        self.items = items
        self.globalCount = globalCount
    }

    /// The whole batch of `count` items, in a process of its own.
    public static func whole(_ count: Int) -> BatchShare {
        BatchShare(communicator: SingleProcessCommunicator.shared, items: 0..<count, globalCount: count)
    }

    /// The items ⌊rank·B/N⌋ ..< ⌊(rank+1)·B/N⌋ of a global batch of B = `globalCount` shared by N = `processes`.
    public static func items(ofRank rank: Int, processes: Int, globalCount: Int) -> Range<Int> {
        precondition(processes >= 1 && (0..<processes).contains(rank), "BatchShare: rank \(rank) of \(processes)")
        return (rank * globalCount / processes)..<((rank + 1) * globalCount / processes)
    }

    /// Whether this process holds the whole batch (it runs alone).
    public var isWhole: Bool { communicator.size == 1 }

    /// w = n/B, this share's weight in a mean over the global batch.
    public var weight: Float { Float(items.count) / Float(globalCount) }

    /// The same share counted in rows, `rowsPerItem` consecutive rows per item.
    public func rows(perItem rowsPerItem: Int) -> BatchShare {
        BatchShare(communicator: communicator, items: (items.lowerBound * rowsPerItem)..<(items.upperBound * rowsPerItem),
                   globalCount: globalCount * rowsPerItem)
    }

    /// Replaces `values` by their sums over the processes (nothing to do alone).
    public func sum(_ values: inout [Float]) throws {
        try communicator.allReduce(&values, .sum)
    }

    /// Replaces `values` by their sums over the processes (nothing to do alone).
    public func sum(_ values: inout [Double]) throws {
        try communicator.allReduce(&values, .sum)
    }

    /// The rows `rows` (global numbers, any order, repeats allowed) of the global tensor whose share
    /// is `local` (`items.count` rows of D): (rows.count, D), the same on every process. Each process
    /// writes the rows it holds into zeros and one sum over the processes fills in the rest, so every
    /// value arrives exactly (x + 0 = x).
    public func gatherRows(_ rows: [Int], of local: Tensor) throws -> Tensor {
        precondition(local.rank == 2 && local.shape[0] == items.count,
                     "BatchShare.gatherRows: local rows \(local.shape) are not (\(items.count), D)")
        if isWhole { return local.gathered(rows: rows.map { Int32($0) }) }
        let d = local.shape[1]
        var values = [Float](repeating: 0, count: rows.count * d)
        local.withUnsafeBufferPointer { source in
            for (position, row) in rows.enumerated() where items.contains(row) {
                let start = (row - items.lowerBound) * d
                for j in 0..<d { values[position * d + j] = source[start + j] }
            }
        }
        try sum(&values)
        return Tensor(shape: [rows.count, d], scalars: values)
    }
}
