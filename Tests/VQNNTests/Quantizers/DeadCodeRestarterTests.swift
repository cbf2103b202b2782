import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// The minimum-usage rule of `DeadCodeRestarter` (the patience rule is tested in
/// VectorQuantizerInitializationTests.deadCodeRestart), by hand.
///
/// Minimum usage t = 0.5, usage decay γ = 0.9, no patience; K 3 codes, batches of M 3 rows, so a count
/// is already in units of the uniform share M/K = 1. The average usage starts at t for every code;
/// after each step u ← γ·u + (1 − γ)·count·K/M, and a code with u < t is restarted (its vector replaced
/// by a row of the batch) and its u reset to t:
///   step 1, indices [0, 0, 1], counts (2, 1, 0): u = (0.45 + 0.2, 0.45 + 0.1, 0.45) = (0.65, 0.55, 0.45)
///           → code 2 restarted, u = (0.65, 0.55, 0.5)
///   step 2, indices [0, 1, 2], counts (1, 1, 1): u = (0.685, 0.595, 0.55), none
///   step 3, indices [0, 0, 2], counts (2, 0, 1): u = (0.8165, 0.5355, 0.595), none (code 1 unused
///           but still above t)
///   step 4, indices [0, 0, 0], counts (3, 0, 0): u = (1.03485, 0.48195, 0.5355)
///           → code 1 restarted, u = (1.03485, 0.5, 0.5355)
/// Steps since last use (counted even without a patience rule, reset on restart): (0, 0, 0), (0, 0, 0),
/// (0, 1, 0), (0, 0, 1). Restarts: 1, 1, 1, 2.
@Suite struct DeadCodeRestarterTests {
    static var batch: Tensor { Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]) }
    static let batchRows: [[Float]] = [[1, 2], [3, 4], [5, 6]]
    static let codebook: [Float] = [0, 0, 10, 0, 0, 10]

    @Test func minimumUsageRuleByHand() {
        let policy = DeadCodePolicy(minimumUsage: 0.5, usageDecay: 0.9)
        var restarter = DeadCodeRestarter(codebookSize: 3, policy: policy)
        #expect(restarter.averageUsage.scalars == [0.5, 0.5, 0.5], "starts at the threshold")
        #expect(restarter.restarts == 0 && restarter.stepsUnused.scalars == [0, 0, 0])
        var generator = RandomGenerator(seed: 4)
        var quantizer = VectorQuantizer(numEmbeddings: 3, embeddingDim: 2, generator: &generator)
        quantizer.codebook = Tensor(shape: [3, 2], scalars: Self.codebook)

        let steps: [(indices: [Int32], restarted: Int, usage: [Float], unused: [Float], restarts: Int)] = [
            ([0, 0, 1], 1, [0.65, 0.55, 0.5], [0, 0, 0], 1),
            ([0, 1, 2], 0, [0.685, 0.595, 0.55], [0, 0, 0], 1),
            ([0, 0, 2], 0, [0.8165, 0.5355, 0.595], [0, 1, 0], 1),
            ([0, 0, 0], 1, [1.03485, 0.5, 0.5355], [0, 0, 1], 2),
        ]
        var restartedCodes: [Int] = []
        for (number, step) in steps.enumerated() {
            let before = quantizer.codebook.scalars
            let restarted = restarter.step(&quantizer, inputs: Self.batch, indices: step.indices, generator: &generator)
            #expect(restarted == step.restarted, "step \(number + 1)")
            expectClose(restarter.averageUsage.scalars, step.usage, absolute: 1e-6, relative: 1e-6, "average usage after step \(number + 1)")
            #expect(restarter.stepsUnused.scalars == step.unused, "steps unused after step \(number + 1)")
            #expect(restarter.restarts == step.restarts && restarter.restartCount.shape == [1], "restarts after step \(number + 1)")
            let after = quantizer.codebook.scalars
            for code in 0..<3 where Array(after[(2 * code)..<(2 * code + 2)]) != Array(before[(2 * code)..<(2 * code + 2)]) {
                restartedCodes.append(code)
            }
        }
        // Code 2 at step 1 and code 1 at step 4 moved (to a batch row, none of which is a code), nothing else.
        #expect(restartedCodes == [2, 1])
        let codes = quantizer.codebook.scalars
        #expect(Array(codes[0..<2]) == [0, 0])
        #expect(Self.batchRows.contains(Array(codes[2..<4])) && Self.batchRows.contains(Array(codes[4..<6])), "\(codes)")
    }

    /// Its state is three buffers, restored by name; inside a quantizer they are `dead_codes.*`, and
    /// `update(after:)` runs the rule on the quantizer's own codes: with codebook (0, 0), (10, 0),
    /// (0, 10) and M 4 rows near (0, 0), code 0 gets 4 rows, 4·K/M = 3 shares: u = 0.45 + 0.3; codes 1
    /// and 2 get none: u = 0.9·0.5 = 0.45 < 0.5, both restarted, from two different rows (drawn
    /// without replacement).
    @Test func buffersAndUseInsideAQuantizer() throws {
        let policy = DeadCodePolicy(minimumUsage: 0.5, usageDecay: 0.9)
        var restarter = DeadCodeRestarter(codebookSize: 3, policy: policy)
        #expect(restarter.bufferNames == ["steps_unused", "average_usage", "restarts"])
        #expect(restarter.parameterNames.isEmpty)
        var generator = RandomGenerator(seed: 5)
        var quantizer = VectorQuantizer(numEmbeddings: 3, embeddingDim: 2, deadCodes: policy, generator: &generator)
        quantizer.codebook = Tensor(shape: [3, 2], scalars: Self.codebook)
        #expect(quantizer.bufferNames == ["dead_codes.steps_unused", "dead_codes.average_usage", "dead_codes.restarts"])
        let rows = Tensor(shape: [4, 2], scalars: [0.1, 0, 0, 0.1, -0.1, 0, 0, -0.1])
        let output = quantizer(rows)
        #expect(output.indices == [0, 0, 0, 0])
        #expect(quantizer.update(after: output, generator: &generator) == 2)
        let saved = quantizer.namedTensors
        expectClose(saved["dead_codes.average_usage"]!.scalars, [0.75, 0.5, 0.5], absolute: 1e-6, relative: 1e-6, "u (0.45 + 0.3, reset, reset)")
        let codes = quantizer.codebook.scalars
        #expect(Array(codes[2..<4]) != Array(codes[4..<6]), "two restarts, two different rows: \(codes)")
        #expect(saved["dead_codes.restarts"]!.scalars == [2])

        restarter.averageUsage = Tensor(shape: [3], scalars: [9, 9, 9])
        try restarter.loadNamedTensors(["steps_unused": saved["dead_codes.steps_unused"]!, "average_usage": saved["dead_codes.average_usage"]!,
                                        "restarts": saved["dead_codes.restarts"]!])
        #expect(restarter.restarts == 2)
        #expect(restarter.averageUsage.scalars == saved["dead_codes.average_usage"]!.scalars)
    }
}
