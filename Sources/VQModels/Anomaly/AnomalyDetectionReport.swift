/// How well each anomaly score separates anomalies from normal inputs on a labelled set: AUROC and
/// AUPRC (average precision), anomalies being the positives (`areaUnderROC`, `averagePrecision`).
public struct AnomalyDetectionReport: Equatable, Sendable {
    /// The figures of one score.
    public struct Figures: Equatable, Sendable {
        public var auroc: Double
        public var auprc: Double
        public init(auroc: Double, auprc: Double) { (self.auroc, self.auprc) = (auroc, auprc) }
    }

    /// The classes counted as normal.
    public var normalClasses: [Int]
    public var normalCount: Int
    public var anomalyCount: Int
    /// Each score's figures.
    public var figures: [AnomalyScore: Figures]

    /// Evaluates every score of `scores` against `labels` (one per input): an input is anomalous when
    /// its label is not in `normalClasses`. nil when either group is empty.
    public init?(scores: AnomalyScores, labels: [Int32], normalClasses: [Int]) {
        precondition(labels.count == scores.count, "AnomalyDetectionReport: \(labels.count) labels for \(scores.count) inputs")
        let normal = Set(normalClasses.map(Int32.init))
        let anomalous = labels.map { !normal.contains($0) }
        self.normalClasses = normalClasses
        anomalyCount = anomalous.filter { $0 }.count
        normalCount = labels.count - anomalyCount
        guard anomalyCount > 0, normalCount > 0 else { return nil }
        var figures: [AnomalyScore: Figures] = [:]
        for score in scores.scores {
            let values = scores[score]!
            figures[score] = Figures(auroc: areaUnderROC(scores: values, positive: anomalous)!,
                                     auprc: averagePrecision(scores: values, positive: anomalous)!)
        }
        self.figures = figures
    }
}
