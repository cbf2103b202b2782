import Foundation
import CVQKernels
import Dispatch
import Testing
import VQEngine

/// `Parallel.forEach` and `forRanges` on the thread pool (`vqk_pool_run`): every index runs exactly
/// once, loops follow each other without losing or repeating work, loops inside loops run inline,
/// and loops started from several threads at once (the pool busy: the Dispatch path) are right too.
@Suite struct ParallelTests {
    /// Runs a loop of `count` and returns how often each index ran.
    static func visits(_ count: Int) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        counts.initialize(repeating: 0, count: max(count, 1))
        defer { counts.deallocate() }
        Parallel.forEach(count) { counts[$0] += 1 }
        return Array(UnsafeBufferPointer(start: counts, count: count))
    }

    @Test(arguments: [0, 1, 2, 3, 17, 1000])
    func everyIndexRunsExactlyOnce(count: Int) {
        #expect(Self.visits(count) == [Int](repeating: 1, count: count))
    }

    @Test func thousandsOfShortLoopsInARowLoseNothing() {
        // Helpers that arrive late for one loop must not take indices of the next.
        var total = 0
        for loop in 0..<5000 {
            let count = 2 + loop % 7
            total += Self.visits(count).reduce(0, +) - count
        }
        #expect(total == 0)
    }

    @Test func loopsInsideLoopsRunInline() {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        counts.initialize(repeating: 0, count: 64)
        defer { counts.deallocate() }
        Parallel.forEach(8) { outer in
            Parallel.forEach(8) { inner in counts[outer * 8 + inner] += 1 }
        }
        #expect(Array(UnsafeBufferPointer(start: counts, count: 64)) == [Int](repeating: 1, count: 64))
    }

    @Test func loopsFromSeveralThreadsAtOnceAreAllRight() {
        // Four threads each run 200 loops; while one holds the pool the others take the Dispatch path.
        nonisolated(unsafe) let failures = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        failures.initialize(repeating: 0, count: 4)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for loop in 0..<200 where Self.visits(3 + (loop + thread) % 9) != [Int](repeating: 1, count: 3 + (loop + thread) % 9) {
                failures[thread] += 1
            }
        }
        #expect(Array(UnsafeBufferPointer(start: failures, count: 4)) == [0, 0, 0, 0])
    }

    @Test func rangesCoverTheTotalInGranularPieces() {
        let covered = UnsafeMutablePointer<Int>.allocate(capacity: 1003)
        covered.initialize(repeating: 0, count: 1003)
        defer { covered.deallocate() }
        Parallel.forRanges(1003, granularity: 16) { range in
            #expect(range.lowerBound % 16 == 0)
            for index in range { covered[index] += 1 }
        }
        #expect(Array(UnsafeBufferPointer(start: covered, count: 1003)) == [Int](repeating: 1, count: 1003))
    }

    @Test(arguments: [(1003, 16, 1), (100_000, 64, 1), (100_000, 1, 30_000), (7, 1, 1), (50, 1, 100)])
    func rangesAreAtMostFourPerCoreAndNoneBelowTheMinimum(total: Int, granularity: Int, minimum: Int) {
        final class Pieces: @unchecked Sendable {
            let lock = NSLock()
            var ranges: [Range<Int>] = []
        }
        let pieces = Pieces()
        Parallel.forRanges(total, granularity: granularity, minimumPerChunk: minimum) { range in
            pieces.lock.withLock { pieces.ranges.append(range) }
        }
        let most = Parallel.workerCount == 1 ? 1 : Parallel.workerCount * Parallel.chunksPerWorker
        let sorted = pieces.ranges.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted.count <= most)
        #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == total)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        if sorted.count > 1 { #expect(sorted.dropLast().allSatisfy { $0.count >= minimum && $0.count % granularity == 0 }) }
    }

    @Test func rangesInsideALoopRunAsOnePiece() {
        // Each outer task records how many pieces its inner loop was cut into, and whether it ran on
        // the pool (a task the pool refused, running on Dispatch instead, may still cut its loop).
        let pieces = UnsafeMutablePointer<Int>.allocate(capacity: 4), onPool = UnsafeMutablePointer<Bool>.allocate(capacity: 4)
        pieces.initialize(repeating: 0, count: 4)
        defer { pieces.deallocate(); onPool.deallocate() }
        Parallel.forEach(4) { outer in
            onPool[outer] = vqk_pool_inside_loop() != 0
            let lock = NSLock()
            var covered = 0
            Parallel.forRanges(100_000, granularity: 64) { range in lock.withLock { pieces[outer] += 1; covered += range.count } }
            #expect(covered == 100_000)
        }
        for outer in 0..<4 where onPool[outer] { #expect(pieces[outer] == 1) }
    }
}
