/// The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08: unsigned bytes, the
/// only type those sets use), the number of dimensions, each dimension as a big-endian UInt32, then
/// the data in row-major order. Files may be gzip-compressed (`.gz`).
public struct IDXFile: Equatable {
    /// The dimensions, outermost first: (count, height, width) for images, (count) for labels.
    public let shape: [Int]
    /// The elements in row-major order.
    public let bytes: [UInt8]

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count, "IDXFile: shape \(shape) does not hold \(bytes.count) bytes")
        self.shape = shape
        self.bytes = bytes
    }

    /// Reads an IDX file, decompressing it first when it is gzip (detected by its magic bytes).
    public init(contentsOf path: String) throws {
        var data = try FileIO.read(path)
        if data.count >= 2 && data[0] == 0x1f && data[1] == 0x8b {
            data = try Zlib.decompress(data, format: .gzip, path: path)
        }
        try self.init(parsing: data, path: path)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `path` names it in errors.
    public init(parsing data: [UInt8], path: String) throws {
        guard data.count >= 4 else { throw DataError(path, "too short for an IDX header (\(data.count) bytes)") }
        guard data[0] == 0 && data[1] == 0 else {
            throw DataError(path, "not an IDX file (magic bytes \(hex(data[0])) \(hex(data[1])), expected 00 00)")
        }
        guard data[2] == 0x08 else {
            throw DataError(path, "IDX element type \(hex(data[2])) is not supported (only 0x08, unsigned bytes)")
        }
        let rank = Int(data[3])
        guard (1...4).contains(rank) else { throw DataError(path, "IDX header declares \(rank) dimensions (1 to 4 supported)") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else { throw DataError(path, "truncated IDX header (\(data.count) of \(headerSize) bytes)") }
        var shape: [Int] = []
        var elementCount = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let size = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow, product <= data.count else {
                throw DataError(path, "IDX header declares shape \(shape + [size]) but the file holds only \(data.count - headerSize) data bytes")
            }
            elementCount = product
            shape.append(size)
        }
        let available = data.count - headerSize
        guard available == elementCount else {
            let issue = available < elementCount ? "truncated" : "has \(available - elementCount) unexpected trailing bytes"
            throw DataError(path, "\(issue): shape \(shape) needs \(elementCount) data bytes, the file holds \(available)")
        }
        self.init(shape: shape, bytes: Array(data[headerSize...]))
    }

    /// The uncompressed IDX encoding of this array (for tests and for writing small sets).
    public var encoded: [UInt8] {
        var result: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for size in shape { result += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
        return result + bytes
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
