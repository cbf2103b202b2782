import Testing
import VQData
import VQEngine

@Suite struct BitPackingTests {
    @Test func bitWidthIsCeilingOfLogTwo() {
        #expect([1, 2, 3, 4, 5, 512, 513, 1000, 65536, 65537].map(BitPacking.bitWidth(forCount:)) == [0, 1, 2, 2, 3, 9, 10, 10, 16, 17])
    }

    @Test func packingIsMostSignificantBitFirst() {
        #expect(BitPacking.pack([5, 1], bitWidth: 3) == [0b1010_0100])
        #expect(BitPacking.pack([1, 0, 1], bitWidth: 1) == [0b1010_0000])
        #expect(BitPacking.pack([0x1FF, 0], bitWidth: 9) == [0xFF, 0x80, 0x00])
        #expect(BitPacking.pack([7, 7, 7], bitWidth: 3) == [0xFF, 0b1000_0000])
    }

    @Test(arguments: [2, 3, 512, 1000, 65536])
    func roundTripForCodebookSizesAndOddCounts(numEmbeddings: Int) {
        var generator = RandomGenerator(seed: UInt64(numEmbeddings))
        let width = BitPacking.bitWidth(forCount: numEmbeddings)
        for count in [0, 1, 3, 7, 49, 1001] {
            let values = (0..<count).map { _ in UInt32(generator.nextIndex(below: numEmbeddings)) }
            let bytes = BitPacking.pack(values, bitWidth: width)
            #expect(bytes.count == (count * width + 7) / 8)
            let (unpacked, paddingIsZero) = BitPacking.unpack(bytes[...], count: count, bitWidth: width)
            #expect(unpacked == values && paddingIsZero)
        }
        // The extreme values survive too.
        let edges: [UInt32] = [0, UInt32(numEmbeddings - 1), 0, UInt32(numEmbeddings - 1), 1]
        #expect(BitPacking.unpack(BitPacking.pack(edges, bitWidth: width)[...], count: 5, bitWidth: width).values == edges)
    }

    @Test func zeroAndThirtyTwoBitWidths() {
        #expect(BitPacking.pack([0, 0, 0], bitWidth: 0).isEmpty)
        #expect(BitPacking.unpack([][...], count: 3, bitWidth: 0).values == [0, 0, 0])
        let values: [UInt32] = [0xDEAD_BEEF, 1, UInt32.max]
        #expect(BitPacking.unpack(BitPacking.pack(values, bitWidth: 32)[...], count: 3, bitWidth: 32).values == values)
    }

    @Test func nonZeroPaddingIsReported() {
        #expect(BitPacking.unpack([0b1010_0101][...], count: 2, bitWidth: 3).paddingIsZero == false)
    }
}
