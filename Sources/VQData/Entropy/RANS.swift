/// Range asymmetric numeral systems (rANS) with a 32-bit state and byte-wise renormalisation: the
/// entropy coder of the `.vqz` codec. Each symbol is coded with its interval in a `FrequencyTable`
/// (start = cumulative frequency, size = frequency, out of 2^16), at a cost within a small fraction
/// of a bit per file of −log2(frequency / 2^16).
///
/// rANS is last-in first-out: the encoder takes the symbols in reverse and the decoder gives them back
/// in order, so an encoder collects every (start, frequency) first (`RANSEncoder`), then `finish()`
/// codes them backwards. The state x stays in [L, 256·L) with L = 2^23 between symbols.
///
/// Encoding s: while x ≥ (L / 2^16 · 256) · f, emit x's low byte and shift it out; then
/// x ← (x / f) · 2^16 + x mod f + start. Decoding reads the slot x mod 2^16, finds the symbol whose
/// interval holds it, sets x ← f · (x / 2^16) + slot − start and refills bytes while x < L. The stream
/// begins with the final encoder state (4 bytes, little-endian), then the emitted bytes in reading order.
public enum RANS {
    /// L, the lower bound of the normalised state.
    static let lowerBound: UInt32 = 1 << 23
}

/// Collects symbols in coding order and writes the rANS stream that `RANSDecoder` reads back.
public struct RANSEncoder {
    private var intervals: [(start: UInt32, frequency: UInt32)] = []
    /// The ideal cost of the symbols so far, Σ −log2(frequency / total), in bits.
    public private(set) var idealBits = 0.0

    public init() {}

    /// Appends `symbol` coded under `table`.
    public mutating func append(_ symbol: Int, table: FrequencyTable) {
        precondition(symbol >= 0 && symbol < table.count, "RANSEncoder: symbol \(symbol) outside 0..<\(table.count)")
        intervals.append((table.cumulative[symbol], table.frequencies[symbol]))
        idealBits += table.bits(symbol)
    }

    /// The number of symbols appended.
    public var count: Int { intervals.count }

    /// The stream: the symbols coded in reverse, bytes reversed into reading order, state first.
    public func finish() -> [UInt8] {
        var state = RANS.lowerBound
        var emitted: [UInt8] = []
        emitted.reserveCapacity(Int(idealBits / 8) + 16)
        let shift = UInt32(FrequencyTable.precisionBits)
        for (start, frequency) in intervals.reversed() {
            let limit = ((RANS.lowerBound >> shift) << 8) * frequency
            while state >= limit {
                emitted.append(UInt8(truncatingIfNeeded: state))
                state >>= 8
            }
            state = ((state / frequency) << shift) + state % frequency + start
        }
        let head = (0..<4).map { UInt8(truncatingIfNeeded: state >> (8 * UInt32($0))) }
        return head + emitted.reversed()
    }
}

/// Reads symbols back from a stream of `RANSEncoder.finish()`, in the order they were appended.
public struct RANSDecoder {
    private let bytes: [UInt8]
    private var offset: Int
    private var state: UInt32

    /// Why a stream cannot be decoded: it is shorter than its state, it ran out of bytes, or it ended
    /// in a state no encoder leaves.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case truncated
        case badFinalState
        public var description: String {
            switch self {
            case .truncated: "the coded stream ends early"
            case .badFinalState: "the coded stream does not end where its codes do"
            }
        }
    }

    /// Starts reading `bytes`; throws `.truncated` when they cannot hold the state.
    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 4 else { throw Failure.truncated }
        self.bytes = bytes
        state = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[$1]) << (8 * UInt32($1)) }
        offset = 4
        guard state >= RANS.lowerBound else { throw Failure.badFinalState }
    }

    /// The next symbol under `table` (the table its encoder used at this point).
    public mutating func next(table: FrequencyTable) throws -> Int {
        let shift = UInt32(FrequencyTable.precisionBits)
        let slot = state & (FrequencyTable.total - 1)
        let symbol = table.symbol(forSlot: slot)
        state = table.frequencies[symbol] * (state >> shift) + slot - table.cumulative[symbol]
        while state < RANS.lowerBound {
            guard offset < bytes.count else { throw Failure.truncated }
            state = (state << 8) | UInt32(bytes[offset])
            offset += 1
        }
        return symbol
    }

    /// Checks that the stream ended exactly: every byte read and the state back at the encoder's start.
    public func finish() throws {
        guard offset == bytes.count, state == RANS.lowerBound else { throw Failure.badFinalState }
    }
}
