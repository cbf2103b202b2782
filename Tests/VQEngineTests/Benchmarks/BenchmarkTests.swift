import Testing
@testable import VQEngine

/// How `Benchmark.measure` counts runs (no timings are asserted, only how often the work ran).
@Suite struct BenchmarkTests {
    @Test func preparedMeasurementRunsWarmUpsThenTimedRunsWithFreshState() {
        var prepared = 0, bodies: [Int] = []
        let measurement = Benchmark.measure(warmUpRuns: 2, runs: 3, prepare: { () -> Int in prepared += 1; return prepared }) {
            bodies.append($0)
        }
        #expect(prepared == 5)
        #expect(bodies == [1, 2, 3, 4, 5])
        #expect(measurement.runs == 3)
        #expect(measurement.seconds == measurement.seconds.sorted())
        #expect(measurement.minimum <= measurement.median)
    }

    @Test func medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        #expect(Benchmark.Measurement(seconds: [1, 2, 4, 8]).median == 3)
        #expect(Benchmark.Measurement(seconds: [1, 2, 4]).median == 2)
    }
}
