import Testing
@testable import VQData
import VQEngine

@Suite struct RANSTests {
    /// Symbols drawn from their own table's distribution (so the ideal cost is the entropy), each
    /// position with a different table, like a prior's.
    static func stream(count: Int, symbols: Int, seed: UInt64) -> (symbols: [Int], tables: [FrequencyTable]) {
        var generator = RandomGenerator(seed: seed)
        var drawn: [Int] = [], tables: [FrequencyTable] = []
        for _ in 0..<count {
            let weights = (0..<symbols).map { _ in UInt64(generator.nextIndex(below: 1000)) * UInt64(generator.nextIndex(below: 4)) }
            let table = FrequencyTable(weights: weights)
            let slot = UInt32(generator.nextIndex(below: Int(FrequencyTable.total)))
            drawn.append(table.symbol(forSlot: slot))
            tables.append(table)
        }
        return (drawn, tables)
    }

    @Test(arguments: [(0, 2), (1, 2), (7, 3), (1000, 16), (20_000, 512)])
    func decodesWhatWasEncoded(count: Int, symbols: Int) throws {
        let (drawn, tables) = RANSTests.stream(count: count, symbols: symbols, seed: UInt64(count))
        var encoder = RANSEncoder()
        for (symbol, table) in zip(drawn, tables) { encoder.append(symbol, table: table) }
        let bytes = encoder.finish()
        var decoder = try RANSDecoder(bytes)
        for (symbol, table) in zip(drawn, tables) { #expect(try decoder.next(table: table) == symbol) }
        try decoder.finish()
    }

    /// The bar: within 1% (plus a few bytes) of Σ −log2 p. A 20 000-symbol stream of about
    /// 8 bits each: the 4-byte state and the rounding of each renormalisation are all the overhead.
    @Test func costIsWithinOnePercentOfTheIdeal() {
        let (drawn, tables) = RANSTests.stream(count: 20_000, symbols: 512, seed: 11)
        var encoder = RANSEncoder()
        for (symbol, table) in zip(drawn, tables) { encoder.append(symbol, table: table) }
        let actual = Double(encoder.finish().count * 8), ideal = encoder.idealBits
        #expect(actual <= ideal * 1.01 + 64)
        #expect(actual >= ideal)   // no coder beats the ideal
    }

    /// A one-symbol certainty costs nothing: 10 000 codes of probability (2^16 − 1) / 2^16 fit in the state.
    @Test func nearCertainSymbolsCostAlmostNothing() throws {
        let table = FrequencyTable(weights: [1, 0])
        var encoder = RANSEncoder()
        for _ in 0..<10_000 { encoder.append(0, table: table) }
        #expect(encoder.finish().count <= 4 + 1 + Int(encoder.idealBits / 8))
    }

    @Test func truncatedOrAlteredStreamsAreRefused() throws {
        let (drawn, tables) = RANSTests.stream(count: 500, symbols: 64, seed: 5)
        var encoder = RANSEncoder()
        for (symbol, table) in zip(drawn, tables) { encoder.append(symbol, table: table) }
        let bytes = encoder.finish()
        #expect(throws: RANSDecoder.Failure.truncated) { try RANSDecoder(Array(bytes.prefix(3))) }
        func decodeAll(_ bytes: [UInt8]) throws {
            var decoder = try RANSDecoder(bytes)
            for table in tables { _ = try decoder.next(table: table) }
            try decoder.finish()
        }
        #expect(throws: RANSDecoder.Failure.self) { try decodeAll(Array(bytes.dropLast(10))) }
        #expect(throws: RANSDecoder.Failure.self) { try decodeAll(bytes + [0]) }
        var altered = bytes
        altered[bytes.count / 2] ^= 0x10
        #expect(throws: RANSDecoder.Failure.self) { try decodeAll(altered) }
    }
}
