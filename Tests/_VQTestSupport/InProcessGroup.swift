import Foundation
import VQNN

/// Several "processes" of a data-parallel run inside one test process: one thread per rank, and
/// communicators that combine the ranks' buffers like MPI would (sums in rank order, so every rank
/// gets the same bits). Lets tests check the data-parallel step on any machine, without MPI.
public final class InProcessGroup: @unchecked Sendable {
    public let size: Int
    private let condition = NSCondition()
    private var contributions: [[UInt8]?]
    private var result: [UInt8] = []
    private var arrived = 0
    private var generation = 0

    public init(size: Int) {
        precondition(size >= 1, "InProcessGroup: size \(size)")
        self.size = size
        contributions = Array(repeating: nil, count: size)
    }

    /// Rank `rank`'s communicator.
    public func member(_ rank: Int) -> Member { Member(group: self, rank: rank) }

    /// Runs `body(member(r))` for every rank r at once, each on its own thread (with an 8 MB stack,
    /// as a main thread has), and returns the results in rank order.
    public func run<Result>(_ body: @escaping (Member) throws -> Result) -> [Swift.Result<Result, Error>] {
        let lock = NSLock()
        let results = ResultsBox<Result>(count: size)
        let done = DispatchGroup()
        let unchecked = UncheckedBox(body)
        for rank in 0..<size {
            done.enter()
            let thread = Thread { [self] in
                let outcome = Swift.Result { try unchecked.value(member(rank)) }
                lock.lock()
                results.values[rank] = outcome
                lock.unlock()
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return results.values.map { $0! }
    }

    /// Every rank hands in `bytes`; when all have, `combine` (the contributions in rank order) makes
    /// the one result every rank gets back.
    func exchange(rank: Int, bytes: [UInt8], combine: ([[UInt8]]) -> [UInt8]) -> [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        let round = generation
        precondition(contributions[rank] == nil, "InProcessGroup: rank \(rank) called twice in one round")
        contributions[rank] = bytes
        arrived += 1
        if arrived == size {
            let all = contributions.map { $0! }
            precondition(all.allSatisfy { $0.count == all[0].count },
                         "InProcessGroup: the ranks called with different lengths \(all.map(\.count))")
            result = combine(all)
            contributions = Array(repeating: nil, count: size)
            arrived = 0
            generation += 1
            condition.broadcast()
            return result
        }
        while generation == round { condition.wait() }
        return result
    }

    /// One rank's view of the group.
    public final class Member: Communicator, @unchecked Sendable {
        public let group: InProcessGroup
        public let rank: Int
        public var size: Int { group.size }
        /// The collective calls this rank made.
        public private(set) var calls = 0

        init(group: InProcessGroup, rank: Int) {
            self.group = group
            self.rank = rank
        }

        public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReductionOperation) throws {
            try reduce(values, operation)
        }

        public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReductionOperation) throws {
            try reduce(values, operation)
        }

        private func reduce<Scalar: BinaryFloatingPoint>(_ values: UnsafeMutableBufferPointer<Scalar>, _ operation: ReductionOperation) throws {
            calls += 1
            let bytes = Array(UnsafeRawBufferPointer(values))
            let combined = group.exchange(rank: rank, bytes: bytes) { all in
                var total = all[0].withUnsafeBytes { Array($0.bindMemory(to: Scalar.self)) }
                for contribution in all.dropFirst() {
                    contribution.withUnsafeBytes { raw in
                        for (index, value) in raw.bindMemory(to: Scalar.self).enumerated() {
                            switch operation {
                            case .sum: total[index] += value
                            case .minimum: total[index] = Swift.min(total[index], value)
                            case .maximum: total[index] = Swift.max(total[index], value)
                            }
                        }
                    }
                }
                return total.withUnsafeBytes { Array($0) }
            }
            combined.withUnsafeBytes { raw in
                for (index, value) in raw.bindMemory(to: Scalar.self).enumerated() { values[index] = value }
            }
        }

        public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
            calls += 1
            let combined = group.exchange(rank: rank, bytes: Array(UnsafeRawBufferPointer(bytes))) { $0[root] }
            combined.withUnsafeBytes { bytes.copyMemory(from: $0) }
        }
    }
}

/// Carries a closure to threads that the caller runs safely.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The ranks' results, written under a lock.
private final class ResultsBox<Value>: @unchecked Sendable {
    var values: [Result<Value, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
}
