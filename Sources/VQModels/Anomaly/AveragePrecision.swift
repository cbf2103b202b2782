/// The average precision of `scores` for finding the `positive` inputs, as scikit-learn's
/// `average_precision_score` defines it: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds from
/// the highest down (inputs with equal scores enter together), Pₙ and Rₙ the precision and recall of
/// "score ≥ threshold n", R₀ = 0. No interpolation. nil when there is no positive.
public func averagePrecision(scores: [Double], positive: [Bool]) -> Double? {
    precondition(scores.count == positive.count, "averagePrecision: \(scores.count) scores, \(positive.count) labels")
    precondition(!scores.contains { $0.isNaN }, "averagePrecision: a score is NaN")
    let positives = positive.filter { $0 }.count
    guard positives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var truePositives = 0, taken = 0
    var previousRecall = 0.0, sum = 0.0
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
        for index in order[start..<end] where positive[index] { truePositives += 1 }
        taken = end
        let recall = Double(truePositives) / Double(positives)
        sum += (recall - previousRecall) * Double(truePositives) / Double(taken)
        previousRecall = recall
        start = end
    }
    return sum
}
