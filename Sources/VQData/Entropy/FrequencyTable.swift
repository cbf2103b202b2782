import VQEngine

/// A discrete distribution over K symbols as integer frequencies summing to 2^`precisionBits`, every
/// symbol at least 1: what the rANS coder (`RANS`) codes with. Building a table is integer arithmetic
/// from integer weights, so the encoder and the decoder of a file rebuild exactly the same table from
/// the same weights on any machine.
public struct FrequencyTable: Equatable, Sendable {
    /// log2 of the total: the frequencies sum to 1 << precisionBits.
    public static let precisionBits = 16
    public static let total = UInt32(1) << UInt32(precisionBits)
    /// The most symbols a table holds: every symbol needs a frequency of at least 1, and the rest of the
    /// total is shared by weight.
    public static let maximumSymbols = Int(total) / 4

    /// Frequency of each symbol, all ≥ 1, summing to `total`.
    public let frequencies: [UInt32]
    /// cumulative[s] = frequencies[0..<s] summed; K + 1 entries, the last `total`.
    public let cumulative: [UInt32]

    /// The table proportional to `weights` (K ≥ 1 non-negative integers, not all needed non-zero).
    ///
    /// Every symbol gets 1; the remaining total − K is shared as floor(weight · remaining / Σ weights),
    /// and what rounding leaves goes to the symbol of the largest weight (the first of them). With all
    /// weights 0 the shares are equal. Exact integer arithmetic throughout.
    public init(weights: [UInt64]) {
        let count = weights.count
        precondition(count >= 1 && count <= FrequencyTable.maximumSymbols,
                     "FrequencyTable: \(count) symbols, 1…\(FrequencyTable.maximumSymbols) allowed")
        let remaining = UInt64(FrequencyTable.total) - UInt64(count)
        var sum: UInt64 = 0
        for weight in weights {
            precondition(weight <= UInt64(1) << 40, "FrequencyTable: weight \(weight) above 2^40")
            sum += weight
        }
        let shares: [UInt64] = sum == 0
            ? weights.map { _ in remaining / UInt64(count) }
            : weights.map { $0 * remaining / sum }  // ≤ 2^40 · 2^16: no overflow
        var frequencies = shares.map { UInt32($0 + 1) }
        let assigned = frequencies.reduce(UInt64(0)) { $0 + UInt64($1) }
        let largest = weights.indices.max { weights[$0] < weights[$1] || (weights[$0] == weights[$1] && $0 > $1) }!
        frequencies[largest] += UInt32(UInt64(FrequencyTable.total) - assigned)
        self.init(validated: frequencies)
    }

    /// The table of a prior's logits: weights are softmax(logits) in fixed point, e^(logit − max) scaled
    /// by 2^30 and truncated, with `FastMath.exponential` (plain IEEE arithmetic in a fixed order, no
    /// library call), so the same logits give the same table everywhere. Non-finite logits are refused
    /// by the caller's contract (a precondition).
    public init(logits: [Float]) {
        precondition(logits.allSatisfy(\.isFinite), "FrequencyTable: non-finite logits")
        let maximum = logits.max() ?? 0
        let scale: Float = 1_073_741_824  // 2^30
        self.init(weights: logits.map { UInt64(FastMath.exponential($0 - maximum) * scale) })
    }

    /// A table from stored frequencies; nil unless they are all ≥ 1 and sum to `total`.
    public init?(frequencies: [UInt32]) {
        guard !frequencies.isEmpty, frequencies.count <= FrequencyTable.maximumSymbols, frequencies.allSatisfy({ $0 >= 1 }),
              frequencies.reduce(UInt64(0), { $0 + UInt64($1) }) == UInt64(FrequencyTable.total) else { return nil }
        self.init(validated: frequencies)
    }

    private init(validated frequencies: [UInt32]) {
        self.frequencies = frequencies
        var cumulative = [UInt32](repeating: 0, count: frequencies.count + 1)
        for (symbol, frequency) in frequencies.enumerated() { cumulative[symbol + 1] = cumulative[symbol] + frequency }
        self.cumulative = cumulative
    }

    /// K, the number of symbols.
    public var count: Int { frequencies.count }

    /// The symbol whose interval [cumulative[s], cumulative[s + 1]) holds `slot` (< total): binary search.
    public func symbol(forSlot slot: UInt32) -> Int {
        var low = 0, high = frequencies.count  // cumulative[low] ≤ slot < cumulative[high]
        while high - low > 1 {
            let middle = (low + high) / 2
            if cumulative[middle] <= slot { low = middle } else { high = middle }
        }
        return low
    }

    /// The ideal cost of `symbol` in bits, −log2(frequency / total).
    public func bits(_ symbol: Int) -> Double {
        Double(FrequencyTable.precisionBits) - log2(Double(frequencies[symbol]))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
