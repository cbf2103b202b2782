import Testing
import VQModels

/// AUROC and average precision on small fixed arrays. Expected values: scikit-learn 1.9.1's
/// `roc_auc_score(y, s)` and `average_precision_score(y, s)` on the same arrays (printed with repr),
/// and checked by hand in the comments.
@Suite struct RankingMetricsTests {
    /// (scores, positive, AUROC, AP).
    static let cases: [(scores: [Double], positive: [Int], auroc: Double, ap: Double)] = [
        // No ties: 3 of 4 (positive, negative) pairs ordered right. AP: recall rises at 0.8 (to ½, precision
        // 1) and at 0.35 (to 1, precision ⅔): ½·1 + ½·⅔ = 0.83333.
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75, 0.8333333333333333),
        // Ties across the classes count ½: pairs (3 × 4) = 12, U = 2.5 + 3.5 + 2.5 = 8.5 → 0.70833.
        // AP: threshold 0.9 takes {pos, neg} (P ½, R ⅓), 0.5 takes three more, two positive (P ⅗, R 1):
        // ⅓·½ + ⅔·⅗ = 0.56667.
        ([0.5, 0.5, 0.2, 0.9, 0.5, 0.1, 0.9], [1, 0, 0, 1, 1, 0, 0], 0.7083333333333333, 0.5666666666666667),
        // All tied: AUROC ½, AP the positive fraction.
        ([1, 1, 1, 1], [0, 1, 0, 1], 0.5, 0.5),
        ([3, 4, 1, 2], [1, 1, 0, 0], 1.0, 1.0),
    ]

    @Test func matchScikitLearnOnFixedArrays() {
        for (scores, positive, auroc, ap) in Self.cases {
            let flags = positive.map { $0 == 1 }
            #expect(abs(areaUnderROC(scores: scores, positive: flags)! - auroc) < 1e-12, "\(scores)")
            #expect(abs(averagePrecision(scores: scores, positive: flags)! - ap) < 1e-12, "\(scores)")
        }
    }

    /// The rank formula against its naive twin, counting every (positive, negative) pair, on random
    /// scores with many ties (scores drawn from 7 values).
    @Test func aurocEqualsThePairCount() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for _ in 0..<20 {
            let n = 5 + Int(next() % 60)
            let scores = (0..<n).map { _ in Double(next() % 7) / 3 }
            var positive = (0..<n).map { _ in next() % 3 == 0 }
            positive[0] = true
            positive[1] = false
            var pairs = 0.0
            for i in 0..<n where positive[i] {
                for j in 0..<n where !positive[j] { pairs += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0 }
            }
            let count = Double(positive.filter { $0 }.count * positive.filter { !$0 }.count)
            #expect(abs(areaUnderROC(scores: scores, positive: positive)! - pairs / count) < 1e-12)
        }
    }

    @Test func undefinedWithoutBothClasses() {
        #expect(areaUnderROC(scores: [1, 2], positive: [true, true]) == nil)
        #expect(areaUnderROC(scores: [1, 2], positive: [false, false]) == nil)
        #expect(averagePrecision(scores: [1, 2], positive: [false, false]) == nil)
        #expect(averagePrecision(scores: [1, 2], positive: [true, true]) == 1)
    }

    /// The report takes the anomalies (labels outside the normal classes) as the positives.
    @Test func reportCountsAnomaliesAsPositives() {
        let scores = AnomalyScores([.reconstructionError: [0.1, 0.4, 0.35, 0.8]])
        let report = AnomalyDetectionReport(scores: scores, labels: [3, 3, 5, 7], normalClasses: [3])!
        #expect(report.normalCount == 2 && report.anomalyCount == 2)
        #expect(report.figures[.reconstructionError] == .init(auroc: 0.75, auprc: 0.8333333333333333))
        #expect(AnomalyDetectionReport(scores: scores, labels: [3, 3, 3, 3], normalClasses: [3]) == nil)
    }
}
