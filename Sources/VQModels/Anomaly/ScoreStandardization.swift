#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The combined anomaly score's rule: each measured score s is replaced by its logarithm, standardised
/// with the mean and standard deviation of log s over normal training inputs (the reference), and the
/// largest of these z-scores is the combined score:
///
///     combined = max_s (log s − mean_ref(log s)) / sd_ref(log s)
///
/// An input is as anomalous as its most atypical score, in units of that score's spread over normal
/// inputs. It needs no anomalies and no test labels. The logarithm makes the scores' long right tails
/// (an anomaly's error can be many times a normal one) comparable to their spread near normal inputs;
/// the maximum (rather than the sum) keeps a score that does not separate a class from drowning one
/// that does: on the validation protocol of BENCHMARKS.md (Fashion-MNIST's training split only, no
/// test image) it beat the sum of z-scores on average and on most classes. A standard deviation of 0
/// counts as 1; values are floored at 1e-12 before the logarithm.
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

    /// The z-score of each input of `scores` for component `index`.
    public func zScores(_ scores: AnomalyScores, component index: Int) -> [Double] {
        let score = components[index]
        guard let values = scores[score] else { preconditionFailure("ScoreStandardization: \(score.rawValue) is missing") }
        return values.map { (ScoreStandardization.transformed($0) - means[index]) / deviations[index] }
    }

    /// The combined score of each input of `scores`, which must hold every component: its largest z-score.
    public func combined(_ scores: AnomalyScores) -> [Double] {
        var largest = [Double](repeating: -.infinity, count: scores.count)
        for index in components.indices {
            for (item, z) in zScores(scores, component: index).enumerated() { largest[item] = max(largest[item], z) }
        }
        return largest
    }

    /// `scores` with the combined score added.
    public func addingCombined(to scores: AnomalyScores) -> AnomalyScores {
        scores.adding(.combined, combined(scores))
    }
}
