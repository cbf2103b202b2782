/// The anomaly scores of a set of inputs, one value per input for each score measured (the prior's
/// surprise only when there is a prior; `combined` once a `ScoreStandardization` has been applied).
public struct AnomalyScores: Equatable, Sendable {
    /// Inputs scored.
    public private(set) var count: Int
    /// Each score's values, one per input, in input order.
    public private(set) var values: [AnomalyScore: [Double]]

    /// No inputs yet, with `scores` to be filled.
    public init(scores: [AnomalyScore]) {
        count = 0
        values = Dictionary(uniqueKeysWithValues: scores.map { ($0, []) })
    }

    /// Scores given as arrays of equal length.
    public init(_ values: [AnomalyScore: [Double]]) {
        let counts = Set(values.values.map(\.count))
        precondition(counts.count <= 1, "AnomalyScores: scores of different lengths \(counts.sorted())")
        self.values = values
        count = counts.first ?? 0
    }

    /// The scores present, in `AnomalyScore.allCases` order.
    public var scores: [AnomalyScore] { values.keys.sorted() }

    /// The values of `score`, or nil when it was not measured.
    public subscript(score: AnomalyScore) -> [Double]? { values[score] }

    /// Appends the scores of further inputs (the same scores as these).
    public mutating func append(_ other: AnomalyScores) {
        precondition(Set(other.values.keys) == Set(values.keys), "AnomalyScores.append: other scores \(other.scores) than \(scores)")
        for key in values.keys { values[key]! += other.values[key]! }
        count += other.count
    }

    /// These scores with `score` set to `newValues` (one per input).
    public func adding(_ score: AnomalyScore, _ newValues: [Double]) -> AnomalyScores {
        precondition(newValues.count == count, "AnomalyScores.adding: \(newValues.count) values for \(count) inputs")
        var copy = self
        copy.values[score] = newValues
        return copy
    }

    /// The scores of the inputs at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> AnomalyScores {
        AnomalyScores(values.mapValues { all in indices.map { all[$0] } })
    }
}
