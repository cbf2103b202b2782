import Foundation
import Testing
import VQModels

@Suite struct ScoreStandardizationTests {
    /// Two scores: log values of the reference are {0, 2} and {ln 1, ln 4} → means 1 and ln 2,
    /// deviations 1 and ln 2 (population). An input with values e² and 8 has z-scores (2 − 1)/1 = 1 and
    /// (ln 8 − ln 2)/ln 2 = 2: combined 2; with values e³ and 1, z-scores 2 and −1: combined 2.
    @Test func takesTheLargestZScoreOfTheLogarithms() {
        let e = M_E
        let reference = AnomalyScores([.reconstructionError: [1, e * e], .quantizationDistance: [1, 4]])
        let rule = ScoreStandardization(reference: reference)
        #expect(rule.components == [.reconstructionError, .quantizationDistance])
        #expect(abs(rule.means[0] - 1) < 1e-12 && abs(rule.means[1] - log(2)) < 1e-12)
        #expect(abs(rule.deviations[0] - 1) < 1e-12 && abs(rule.deviations[1] - log(2)) < 1e-12)
        let inputs = AnomalyScores([.reconstructionError: [e * e, e * e * e], .quantizationDistance: [8, 1]])
        let z = (0..<2).map { rule.zScores(inputs, component: $0) }
        #expect(abs(z[0][0] - 1) < 1e-12 && abs(z[1][0] - 2) < 1e-12 && abs(z[0][1] - 2) < 1e-12 && abs(z[1][1] + 1) < 1e-12)
        let combined = rule.combined(inputs)
        #expect(abs(combined[0] - 2) < 1e-12 && abs(combined[1] - 2) < 1e-12)
        // The reference's inputs lie one deviation below, then above, both means: combined −1 and 1.
        let own = rule.combined(reference)
        #expect(abs(own[0] + 1) < 1e-12 && abs(own[1] - 1) < 1e-12)
    }

    @Test func constantReferenceCountsDeviationOne() {
        let rule = ScoreStandardization(reference: AnomalyScores([.priorSurprise: [2, 2, 2]]))
        #expect(rule.deviations == [1])
        #expect(abs(rule.combined(AnomalyScores([.priorSurprise: [2 * M_E]]))[0] - 1) < 1e-12)
    }

    @Test func addsTheCombinedColumn() {
        let scores = AnomalyScores([.reconstructionError: [1, 2], .quantizationDistance: [3, 4]])
        let rule = ScoreStandardization(reference: scores)
        let withCombined = rule.addingCombined(to: scores)
        #expect(withCombined.scores == [.reconstructionError, .quantizationDistance, .combined])
        #expect(withCombined[.combined]! == rule.combined(scores))
    }
}
