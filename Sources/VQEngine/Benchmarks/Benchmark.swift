/// Timing of repeated work on a monotonic clock, for the `vqvae bench` commands.
///
/// Times are noisy on a shared machine, so a measurement warms up first (caches, scratch buffers,
/// thread pool), then repeats the work until a time budget is spent and reports the median.
public enum Benchmark {
    /// The wall-clock durations of repeated runs of the same work.
    public struct Measurement: Sendable {
        /// Every timed run, in seconds, fastest first.
        public let seconds: [Double]

        /// The median duration in seconds.
        public var median: Double {
            let middle = seconds.count / 2
            return seconds.count % 2 == 1 ? seconds[middle] : (seconds[middle - 1] + seconds[middle]) / 2
        }

        /// The fastest run in seconds.
        public var minimum: Double { seconds[0] }

        /// The number of timed runs.
        public var runs: Int { seconds.count }
    }

    /// Runs `body` `warmUpRuns` times untimed, then times it until `targetSeconds` have passed and
    /// at least `minimumRuns` runs were made (at most `maximumRuns`).
    public static func measure(warmUpRuns: Int = 3, targetSeconds: Double = 1.5, minimumRuns: Int = 5,
                               maximumRuns: Int = 100_000, _ body: () -> Void) -> Measurement {
        precondition(minimumRuns >= 1 && maximumRuns >= minimumRuns, "Benchmark.measure: bad run limits")
        for _ in 0..<warmUpRuns { body() }
        let clock = ContinuousClock()
        let start = clock.now
        var seconds: [Double] = []
        while seconds.count < maximumRuns
            && (seconds.count < minimumRuns || (clock.now - start).seconds < targetSeconds) {
            let runStart = clock.now
            body()
            seconds.append((clock.now - runStart).seconds)
        }
        return Measurement(seconds: seconds.sorted())
    }
}

extension Benchmark {
    /// Runs `prepare` then `body(prepared)` `warmUpRuns` times untimed, then `runs` times timing only
    /// `body`: for work that needs fresh state each run (a recorded tape to take gradients of).
    public static func measure<Prepared>(warmUpRuns: Int, runs: Int, prepare: () -> Prepared,
                                         _ body: (Prepared) -> Void) -> Measurement {
        precondition(runs >= 1, "Benchmark.measure: at least one timed run")
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for run in 0..<(warmUpRuns + runs) {
            let prepared = prepare()
            let duration = clock.measure { body(prepared) }
            if run >= warmUpRuns { seconds.append(duration.seconds) }
        }
        return Measurement(seconds: seconds.sorted())
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        let (wholeSeconds, attoseconds) = components
        return Double(wholeSeconds) + Double(attoseconds) * 1e-18
    }
}
