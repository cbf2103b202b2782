import Testing
@testable import VQEngine

/// Expected values come from the independent Python implementation in
/// Tests/VQEngineTests/Fixtures/rng_reference.py (run it to reprint them).
@Suite struct RandomGeneratorTests {
    @Test func rawStreamMatchesReference() {
        var zero = RandomGenerator(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0])
        var fortyTwo = RandomGenerator(seed: 42)
        #expect([fortyTwo.next(), fortyTwo.next(), fortyTwo.next()] == [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1])
    }

    @Test func uniformFloatsMatchReference() {
        var generator = RandomGenerator(seed: 7)
        let values = (0..<4).map { _ in generator.nextUniform() }
        #expect(values == [0.7005764245986938, 0.2787511944770813, 0.8396274447441101, 0.9810976982116699])
    }

    @Test func boundedIndicesMatchReference() {
        var generator = RandomGenerator(seed: 7)
        #expect((0..<8).map { _ in generator.nextIndex(below: 10) } == [7, 2, 8, 9, 9, 8, 0, 1])
    }

    /// The reference uses the C library's `log`; `portableLog` may differ in the last bit of a
    /// Double, which cannot change the rounded Float here.
    @Test func normalsMatchReference() {
        var generator = RandomGenerator(seed: 3)
        let values = (0..<4).map { _ in generator.nextNormal() }
        #expect(values == [1.3913218975067139, -1.494397759437561, -1.4107263088226318, -0.9150549173355103])
    }

    @Test func portableLogAgreesWithTheCLibrary() {
        var generator = RandomGenerator(seed: 11)
        for _ in 0..<10_000 {
            let x = generator.nextUniformDouble() * 1e3 + 1e-300
            let reference = _cLog(x)
            #expect(abs(portableLog(x) - reference) <= 4 * reference.ulp.magnitude + 1e-300)
        }
        #expect(portableLog(1) == 0)
    }

    @Test func normalMomentsAreStandard() {
        var generator = RandomGenerator(seed: 5)
        let samples = (0..<200_000).map { _ in Double(generator.nextNormal()) }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count)
        // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032; allow about 4 of them.
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.013)
    }

    @Test func savedStateResumesTheStream() {
        var generator = RandomGenerator(seed: 9)
        _ = generator.next()
        let saved = generator.state
        let expected = (0..<5).map { _ in generator.next() }
        var resumed = RandomGenerator(seed: 0)
        resumed.state = saved
        #expect((0..<5).map { _ in resumed.next() } == expected)
    }
}

#if canImport(Glibc)
import Glibc
private func _cLog(_ x: Double) -> Double { Glibc.log(x) }
#elseif canImport(Darwin)
import Darwin
private func _cLog(_ x: Double) -> Double { Darwin.log(x) }
#endif
