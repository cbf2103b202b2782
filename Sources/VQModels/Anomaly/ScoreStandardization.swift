#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The combined anomaly score's rule: each measured score s is replaced by its logarithm, standardised
/// with the mean and standard deviation of log s over normal training inputs (the reference), and the
/// z-scores are summed, with equal weights:
///
///     combined = Σ_s (log s − mean_ref(log s)) / sd_ref(log s)
///
/// It needs no anomalies and no test labels. The logarithm makes the scores' long right tails (an
/// anomaly's error can be many times a normal one) comparable to their spread near normal inputs, so
/// no one score dominates the sum by its tail; a standard deviation of 0 counts as 1. Values are
/// floored at 1e-12 before the logarithm.
public struct ScoreStandardization: Codable, Equatable, Sendable {
    /// The scores combined, in `AnomalyScore` order.
    public let components: [AnomalyScore]
    /// mean_ref(log s), one per component.
    public let means: [Double]
    /// sd_ref(log s) (population, over the reference inputs), one per component.
    public let deviations: [Double]

    /// Fits the rule to `reference`, the scores of normal training inputs: every measured score present.
    public init(reference: AnomalyScores) {
        precondition(reference.count > 0, "ScoreStandardization: no reference inputs")
        components = reference.scores.filter { $0 != .combined }
        var means: [Double] = [], deviations: [Double] = []
        for score in components {
            let logs = reference[score]!.map(ScoreStandardization.transformed)
            let mean = logs.reduce(0, +) / Double(logs.count)
            let variance = logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(logs.count)
            means.append(mean)
            deviations.append(variance > 0 ? variance.squareRoot() : 1)
        }
        (self.means, self.deviations) = (means, deviations)
    }

    /// The transformed value of a score: log max(s, 1e-12).
    public static func transformed(_ value: Double) -> Double { log(max(value, 1e-12)) }

    /// The combined score of each input of `scores`, which must hold every component.
    public func combined(_ scores: AnomalyScores) -> [Double] {
        var total = [Double](repeating: 0, count: scores.count)
        for (index, score) in components.enumerated() {
            guard let values = scores[score] else { preconditionFailure("ScoreStandardization: \(score.rawValue) is missing") }
            for item in 0..<scores.count {
                total[item] += (ScoreStandardization.transformed(values[item]) - means[index]) / deviations[index]
            }
        }
        return total
    }

    /// `scores` with the combined score added.
    public func addingCombined(to scores: AnomalyScores) -> AnomalyScores {
        scores.adding(.combined, combined(scores))
    }
}
