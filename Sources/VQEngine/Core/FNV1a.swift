/// The 64-bit FNV-1a hash: a fingerprint of bytes (datasets, checkpoints) for identity checks, not
/// for security.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Mixes `bytes` into the hash.
    public mutating func combine(_ bytes: [UInt8]) {
        var hash = value
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        value = hash
    }

    /// Mixes `number` in as 8 little-endian bytes.
    public mutating func combine(_ number: UInt64) {
        combine((0..<8).map { UInt8(truncatingIfNeeded: number >> (8 * UInt64($0))) })
    }
}
