import Testing
@testable import VQData
import VQEngine

@Suite struct FrequencyTableTests {
    /// Shares by hand: remaining = 65536 − 4 = 65532; weights 1:1:2:0 of sum 4 give floors 16383, 16383,
    /// 32766, 0, plus 1 each; 65535 assigned, the 1 left goes to the largest weight (symbol 2).
    @Test func sharesFollowTheWeightsWithOneEachAndTheRestToTheLargest() {
        let table = FrequencyTable(weights: [1, 1, 2, 0])
        #expect(table.frequencies == [16_384, 16_384, 32_767, 1])
        #expect(table.cumulative == [0, 16_384, 32_768, 65_535, 65_536])
    }

    @Test func allZeroWeightsShareEqually() {
        let table = FrequencyTable(weights: [0, 0, 0])
        // remaining 65533 / 3 = 21844 each (+1), 1 left to symbol 0 (the first of the equal largest).
        #expect(table.frequencies == [21_846, 21_845, 21_845])
    }

    /// Random weights and sizes: every frequency ≥ 1, the sum exactly 2^16, and each within 1 of its
    /// proportional share (+ the remainder for the largest).
    @Test func randomTablesAreValid() {
        var generator = RandomGenerator(seed: 3)
        for _ in 0..<200 {
            let count = 1 + generator.nextIndex(below: 600)
            let weights = (0..<count).map { _ in UInt64(generator.nextIndex(below: 1 << 20)) * UInt64(generator.nextIndex(below: 3)) }
            let table = FrequencyTable(weights: weights)
            #expect(table.frequencies.allSatisfy { $0 >= 1 })
            #expect(table.cumulative.last == FrequencyTable.total)
            #expect(FrequencyTable(frequencies: table.frequencies) == table)
        }
    }

    /// Logits 0 and ln 3 are probabilities 1/4 and 3/4: 65534 shared 16383.5 : 49150.5.
    @Test func logitsBecomeTheSoftmaxInFixedPoint() {
        let table = FrequencyTable(logits: [0, Float(log(3.0))])
        #expect(abs(Int(table.frequencies[0]) - 16_384) <= 1 && table.frequencies.reduce(0, +) == 65_536)
        // Shifting every logit changes nothing (only differences matter).
        #expect(FrequencyTable(logits: [-7, -7 + Float(log(3.0))]).frequencies.map { Int($0) }.allSatisfy { abs($0 - 16_384) <= 1 || abs($0 - 49_152) <= 1 })
        // A hopeless code still gets 1.
        #expect(FrequencyTable(logits: [0, -200, 5]).frequencies[1] == 1)
    }

    @Test func storedFrequenciesMustBeValid() {
        #expect(FrequencyTable(frequencies: []) == nil)
        #expect(FrequencyTable(frequencies: [65_536, 0]) == nil)
        #expect(FrequencyTable(frequencies: [65_535]) == nil)
        #expect(FrequencyTable(frequencies: [32_768, 32_768]) != nil)
    }

    @Test func slotsFindTheirSymbol() {
        let table = FrequencyTable(weights: [5, 0, 9, 1, 0, 30])
        for symbol in 0..<table.count {
            #expect(table.symbol(forSlot: table.cumulative[symbol]) == symbol)
            #expect(table.symbol(forSlot: table.cumulative[symbol + 1] - 1) == symbol)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
