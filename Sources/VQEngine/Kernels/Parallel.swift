import CVQKernels
import Dispatch

/// Parallel loops over disjoint pieces of work, on all cores.
public enum Parallel {
    /// The number of worker threads loops are split across: the active processor count, or the
    /// environment variable `VQVAE_THREADS` when it holds a positive number (read once).
    public static let workerCount: Int = {
        if let text = getenv("VQVAE_THREADS").map({ String(cString: $0) }), let threads = Int(text), threads > 0 {
            return threads
        }
        return max(1, ProcessInfoShim.activeProcessorCount)
    }()

    /// Runs `body(i)` for every i in 0..<count, spread over the cores. Each `body(i)` must write only
    /// memory no other iteration touches. Runs inline when `count` is 1, and when called from inside
    /// another loop's `body`.
    ///
    /// The loops go to a small pool of threads that stay awake between loops (`vqk_pool_run`): a
    /// training step runs a hundred or more short loops, and waking a sleeping thread for each costs
    /// tens of microseconds. A loop started while another thread's loop holds the pool runs on
    /// Dispatch's `concurrentPerform` instead.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        if count <= 0 { return }
        // Each iteration touches disjoint memory (the caller's contract), so sharing `body` across
        // threads is safe even though the closure is not `Sendable`.
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            let status = withUnsafeMutablePointer(to: &closure) { pointer in
                vqk_pool_run(workerCount, count, { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, pointer)
            }
            if status != 0 {
                let shared = UncheckedSendable(escapable)
                DispatchQueue.concurrentPerform(iterations: count) { shared.value($0) }
            }
        }
    }

    /// Chunks per core `forRanges` cuts a loop into: the cores take chunks as they finish the last,
    /// so one that runs slower (a busy sibling, a lower clock, colder caches) takes fewer and the
    /// other does not wait for it; measured on the speech recipe (BENCHMARKS.md, "Load balance").
    public static let chunksPerWorker = 4

    /// Splits 0..<total into at most `chunksPerWorker`·`workerCount` contiguous chunks of at least
    /// `minimumPerChunk`, each a multiple of `granularity` (except the last), and runs `body(range)`
    /// for each in parallel. Small totals (under twice `minimumPerChunk`) run in one chunk on the
    /// calling thread, and so does a loop inside another loop's body (its pieces would run one after
    /// another there anyway). How the range is cut never depends on timing.
    public static func forRanges(_ total: Int, granularity: Int = 1, minimumPerChunk: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let most = workerCount == 1 ? 1 : workerCount * chunksPerWorker
        let maximumChunks = max(1, min(most, total / max(minimumPerChunk, 1)))
        let units = (total + granularity - 1) / granularity
        let chunks = min(maximumChunks, units)
        if chunks <= 1 || vqk_pool_inside_loop() != 0 { body(0..<total); return }
        let unitsPerChunk = (units + chunks - 1) / chunks
        forEach(chunks) { chunk in
            let start = chunk * unitsPerChunk * granularity
            let end = min(total, start + unitsPerChunk * granularity)
            if start < end { body(start..<end) }
        }
    }
}

/// Carries a value across threads where the caller guarantees there is no data race.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of processors this process may use, without importing Foundation into the engine.
enum ProcessInfoShim {
    static var activeProcessorCount: Int {
        #if canImport(Glibc) || canImport(Darwin)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
