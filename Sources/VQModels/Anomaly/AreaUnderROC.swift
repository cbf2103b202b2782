/// The area under the ROC curve of `scores` for telling the `positive` inputs from the others: the
/// probability that a random positive scores above a random negative, ties counting one half (the
/// Mann-Whitney U statistic over P·N; what scikit-learn's `roc_auc_score` gives). Ranks ties by their
/// mean rank, so it is exact for any number of ties, in O(n log n). nil when either class is empty.
public func areaUnderROC(scores: [Double], positive: [Bool]) -> Double? {
    precondition(scores.count == positive.count, "areaUnderROC: \(scores.count) scores, \(positive.count) labels")
    precondition(!scores.contains { $0.isNaN }, "areaUnderROC: a score is NaN")
    let positives = positive.filter { $0 }.count, negatives = positive.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    // Σ over positives of their rank (1-based), tied scores sharing the mean of their ranks.
    var rankSum = 0.0
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
        let meanRank = Double(start + 1 + end) / 2
        for index in order[start..<end] where positive[index] { rankSum += meanRank }
        start = end
    }
    let p = Double(positives), n = Double(negatives)
    return (rankSum - p * (p + 1) / 2) / (p * n)
}
