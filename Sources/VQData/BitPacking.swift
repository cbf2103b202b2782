/// Packing unsigned integers of a fixed bit width into bytes, most significant bit first.
///
/// Value i occupies bits `i·bitWidth ..< (i+1)·bitWidth` of the stream, where bit 0 is the most
/// significant bit of byte 0 (so with 3-bit values 5, 1 the first byte is `101 001 00`). The last
/// byte is padded with zero bits. A bit width of 0 packs any number of zeros into no bytes.
public enum BitPacking {
    /// The bits needed for indices `0 ..< count`: ceil(log2 count), 0 for count 1
    /// (2 → 1, 3 → 2, 512 → 9, 1000 → 10, 65536 → 16).
    public static func bitWidth(forCount count: Int) -> Int {
        precondition(count >= 1, "BitPacking.bitWidth: count must be at least 1")
        return count == 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount
    }

    /// The bytes holding `count` values of `bitWidth` bits, or nil if that does not fit in an `Int`.
    public static func byteCount(values count: Int, bitWidth: Int) -> Int? {
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
        return overflow ? nil : bits / 8 + (bits % 8 == 0 ? 0 : 1)
    }

    /// `values`, each below 2^bitWidth (0...32 bits), packed MSB first.
    public static func pack(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
        precondition((0...32).contains(bitWidth), "BitPacking.pack: bit width \(bitWidth) is not in 0...32")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount(values: values.count, bitWidth: bitWidth)!)
        var accumulator: UInt64 = 0   // pending bits, right-aligned
        var pending = 0
        for value in values {
            precondition(bitWidth == 32 || UInt64(value) >> UInt64(bitWidth) == 0,
                         "BitPacking.pack: \(value) does not fit in \(bitWidth) bits")
            accumulator = (accumulator << UInt64(bitWidth)) | UInt64(value)
            pending += bitWidth
            while pending >= 8 {
                pending -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)))
            }
            accumulator &= (1 << UInt64(pending)) - 1
        }
        if pending > 0 { bytes.append(UInt8(truncatingIfNeeded: accumulator << UInt64(8 - pending))) }
        return bytes
    }

    /// The first `count` values of `bitWidth` bits in `bytes` (which must hold enough bytes), and
    /// whether the padding bits after them in the last byte are all zero.
    public static func unpack(_ bytes: ArraySlice<UInt8>, count: Int, bitWidth: Int) -> (values: [UInt32], paddingIsZero: Bool) {
        precondition((0...32).contains(bitWidth), "BitPacking.unpack: bit width \(bitWidth) is not in 0...32")
        let needed = byteCount(values: count, bitWidth: bitWidth)!
        precondition(bytes.count >= needed, "BitPacking.unpack: \(bytes.count) bytes hold fewer than \(count) values")
        guard bitWidth > 0 else { return ([UInt32](repeating: 0, count: count), true) }
        var values = [UInt32]()
        values.reserveCapacity(count)
        var accumulator: UInt64 = 0
        var pending = 0
        var index = bytes.startIndex
        let mask: UInt64 = (1 << UInt64(bitWidth)) - 1
        for _ in 0..<count {
            while pending < bitWidth {
                accumulator = (accumulator << 8) | UInt64(bytes[index])
                index += 1
                pending += 8
            }
            pending -= bitWidth
            values.append(UInt32((accumulator >> UInt64(pending)) & mask))
            accumulator &= (1 << UInt64(pending)) - 1
        }
        return (values, accumulator == 0)
    }
}
