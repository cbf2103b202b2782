import Testing
import VQData

/// Random corruptions of a valid file for mutation ("fuzz") tests: bit flips, byte changes, truncation,
/// insertion, deletion and rewrites of known header fields with awkward values, one to three at a time,
/// drawn from a seeded `SplitMix` so every run tests the same cases.
struct Mutator {
    var generator: SplitMix
    /// Header fields worth rewriting: byte offset and width (1 to 8 bytes). Values are written big-endian;
    /// in a little-endian field they are just as awkward (0, 1, all ones, huge).
    let fields: [(offset: Int, width: Int)]

    init(seed: UInt64, fields: [(offset: Int, width: Int)] = []) {
        generator = SplitMix(seed: seed)
        self.fields = fields
    }

    mutating func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(max(1, bound))) }

    /// `bytes` with one to three random corruptions.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0...below(3) {
            guard !bytes.isEmpty else { return bytes }
            let position = below(bytes.count)
            switch below(fields.isEmpty ? 5 : 7) {
            case 0: bytes[position] ^= UInt8(1) << UInt8(below(8))
            case 1: bytes[position] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(truncatingIfNeeded: generator.next())][below(6)]
            case 2: bytes = Array(bytes.prefix(position))
            case 3: bytes.insert(contentsOf: (0...below(16)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: position)
            case 4: bytes.removeSubrange(position..<min(bytes.count, position + 1 + below(32)))
            default:
                let field = fields[below(fields.count)]
                guard field.offset + field.width <= bytes.count else { continue }
                let values: [UInt64] = [0, 1, 2, 3, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt64.max, generator.next()]
                let value = values[below(values.count)]
                for i in 0..<field.width {
                    bytes[field.offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (field.width - 1 - i)))
                }
            }
        }
        return bytes
    }

    /// Runs one parse of a mutated file: true when it is accepted, false when it is refused with one
    /// `DataError` line naming `path`; anything else (another error, a line break) is recorded as an issue.
    static func accepts(path: String, _ parse: () throws -> Void) -> Bool {
        do {
            try parse()
            return true
        } catch let error as DataError {
            #expect(error.path == path && !error.problem.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return false
    }
}
