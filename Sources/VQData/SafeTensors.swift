import Foundation
import VQEngine

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__":
/// {"key": "value"}}`, then the raw little-endian data, offsets relative to the end of the header.
/// Only float32 tensors are written or read; other dtypes are refused with a clear message.
public struct SafeTensors {
    /// Tensors by name.
    public var tensors: [String: Tensor]
    /// Free-form string metadata (this project stores the model configuration here).
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The largest header accepted when reading (the format's reference implementation uses 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// The file's bytes: tensors in name order, header padded with spaces to a multiple of 8 bytes.
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]]
            offset += 4 * tensor.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json
        bytes.reserveCapacity(bytes.count + offset)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { values in
                for value in values { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
            }
        }
        return bytes
    }

    /// Writes the file atomically (temporary file, flush, rename).
    public func write(to path: String) throws { try FileIO.writeAtomically(encoded(), to: path) }

    /// Reads and validates a safetensors file.
    public init(contentsOf path: String) throws { try self.init(parsing: FileIO.read(path), path: path) }

    /// Parses and validates the bytes of a safetensors file; `path` names it in errors.
    public init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= 8 else { throw DataError(path, "too short for a safetensors header (\(bytes.count) bytes)") }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(min(bytes.count - 8, SafeTensors.maximumHeaderBytes)) else {
            throw DataError(path, "safetensors header length \(headerLength) exceeds the file's \(bytes.count - 8) remaining bytes")
        }
        let dataStart = 8 + Int(headerLength)
        let header = try SafeTensors.parseHeader(Array(bytes[8..<dataStart]), path: path)
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var extents: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw DataError(path, "__metadata__ is not an object") }
                for (key, entry) in entries {
                    guard let text = entry as? String else { throw DataError(path, "metadata \(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            let (shape, begin, end) = try SafeTensors.entry(name, value, dataLength: bytes.count - dataStart, path: path)
            tensors[name] = SafeTensors.tensor(bytes, from: dataStart + begin, shape: shape)
            extents.append((begin, end, name))
        }
        try SafeTensors.checkCoverage(extents, dataLength: bytes.count - dataStart, path: path)
        self.init(tensors: tensors, metadata: metadata)
    }

    private static func parseHeader(_ json: [UInt8], path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)), let header = object as? [String: Any] else {
            throw DataError(path, "safetensors header is not a JSON object")
        }
        return header
    }

    /// Validates one tensor entry and returns its shape and byte range within the data section.
    private static func entry(_ name: String, _ value: Any, dataLength: Int, path: String) throws -> ([Int], Int, Int) {
        guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
              let shapeValues = fields["shape"] as? [Any], let offsetValues = fields["data_offsets"] as? [Any] else {
            throw DataError(path, "tensor \(name): entry needs dtype, shape and data_offsets")
        }
        guard dtype == "F32" else { throw DataError(path, "tensor \(name): dtype \(dtype) is not supported (only F32)") }
        let shape = try shapeValues.map { try integer($0, "tensor \(name): shape", path) }
        let offsets = try offsetValues.map { try integer($0, "tensor \(name): data_offsets", path) }
        guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
            throw DataError(path, "tensor \(name): data_offsets \(offsets) do not lie within the \(dataLength) data bytes")
        }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= dataLength else { throw DataError(path, "tensor \(name): shape \(shape) is larger than the file") }
            count = product
        }
        guard offsets[1] - offsets[0] == 4 * count else {
            throw DataError(path, "tensor \(name): shape \(shape) needs \(4 * count) bytes but data_offsets span \(offsets[1] - offsets[0])")
        }
        return (shape, offsets[0], offsets[1])
    }

    private static func integer(_ value: Any, _ what: String, _ path: String) throws -> Int {
        guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
              number.doubleValue >= 0, number.doubleValue < 1e15 else {
            throw DataError(path, "\(what) holds \(value), not a non-negative integer")
        }
        return number.intValue
    }

    /// The tensors must tile the data section exactly: no gaps, no overlaps (the format's rule).
    private static func checkCoverage(_ extents: [(Int, Int, String)], dataLength: Int, path: String) throws {
        var position = 0
        for (begin, end, name) in extents.sorted(by: { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }) {
            guard begin == position else {
                throw DataError(path, "tensor \(name) starts at byte \(begin) of the data, expected \(position) (gap or overlap)")
            }
            position = end
        }
        guard position == dataLength else {
            throw DataError(path, "the tensors cover \(position) of the \(dataLength) data bytes")
        }
    }

    private static func tensor(_ bytes: [UInt8], from start: Int, shape: [Int]) -> Tensor {
        var tensor = Tensor(zeros: shape)
        tensor.withUnsafeMutableBufferPointer { values in
            bytes.withUnsafeBufferPointer { source in
                for i in 0..<values.count {
                    let p = source.baseAddress! + start + 4 * i
                    values[i] = Float(bitPattern: UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24)
                }
            }
        }
        return tensor
    }
}
