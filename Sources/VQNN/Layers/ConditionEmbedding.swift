import VQEngine

/// A learnt vector per class added to every position of a feature map: x + table[label], the label
/// one per item. (N, C, H, W) or (N, C, T) → the same shape; table (classes, C), initialised to zero so
/// a new conditioned network starts as the unconditioned one. Conditions a decoder on a speaker (voice
/// conversion: decode one speaker's codes with another's label) or a class.
public struct ConditionEmbedding: Layer {
    /// (classes, channels).
    public var table: Tensor

    public init(classes: Int, channels: Int) {
        precondition(classes > 0 && channels > 0, "ConditionEmbedding: \(classes) classes of \(channels) channels")
        table = Tensor(zeros: [classes, channels])
    }

    public var classes: Int { table.shape[0] }

    /// `input` plus each item's row of the table, broadcast over the spatial axes; `labels` holds one
    /// label in 0..<classes per item and is required.
    public func callAsFunction(_ input: Tensor, labels: [Int32]?) -> Tensor {
        guard let labels else { preconditionFailure("ConditionEmbedding: a conditioned network needs labels") }
        precondition(labels.count == input.shape[0] && input.shape[1] == table.shape[1],
                     "ConditionEmbedding: \(labels.count) labels for input \(input.shape), table \(table.shape)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "ConditionEmbedding: a label is outside 0..<\(classes)")
        let rows = table.gathered(rows: labels)                                   // (N, C)
        return input + rows.reshaped(to: [labels.count, table.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("table", &table)
    }
}
