#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Perplexity exp(−Σ p log p) of code usage counts: the effective number of codes used
/// (1e-10 inside the log, as the reference).
public func codePerplexity(_ counts: [Int]) -> Float {
    let total = Double(counts.reduce(0, +))
    guard total > 0 else { return 0 }
    var entropy = 0.0
    for count in counts where count > 0 {
        let p = Double(count) / total
        entropy -= p * log(p + 1e-10)
    }
    return Float(exp(entropy))
}

/// How often each of `numEmbeddings` codes occurs in `indices`.
public func codeCounts(_ indices: [Int32], numEmbeddings: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: numEmbeddings)
    for index in indices { counts[Int(index)] += 1 }
    return counts
}

/// How a set of rows used each stage's codes: counts, and from them perplexity and usage.
public struct CodeUsage: Codable, Equatable, Sendable {
    /// How often each code was chosen, per stage: depth arrays of K counts.
    public var counts: [[Int]]

    /// Empty counts for `depth` stages of `codebookSize` codes.
    public init(depth: Int, codebookSize: Int) {
        counts = [[Int]](repeating: [Int](repeating: 0, count: codebookSize), count: depth)
    }

    /// Adds M·depth' indices in (row, stage) order, depth' ≤ depth (stages beyond depth' count nothing).
    public mutating func record(_ indices: [Int32], depth used: Int) {
        precondition(used >= 1 && used <= counts.count, "CodeUsage.record: depth \(used) of \(counts.count)")
        for (position, index) in indices.enumerated() { counts[position % used][Int(index)] += 1 }
    }

    /// exp(entropy) of each stage's code frequencies.
    public var perplexities: [Double] { counts.map { Double(codePerplexity($0)) } }
    /// The fraction of each stage's codes chosen at least once.
    public var usages: [Double] { counts.map { Double($0.filter { $0 > 0 }.count) / Double(max($0.count, 1)) } }
    /// Each stage's codes never chosen.
    public var deadCodes: [Int] { counts.map { $0.filter { $0 == 0 }.count } }
}
