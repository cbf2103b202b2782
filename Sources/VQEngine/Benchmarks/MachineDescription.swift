#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a benchmark ran on: the CPU's model and the features the kernels choose by, the matrix kernel
/// in use and the worker threads. Every `vqvae bench` command reports it, since the machine changes
/// between sessions and figures are only comparable on the same one.
public struct MachineDescription: Sendable, Equatable {
    /// The CPU's name as the system gives it (`model name` in /proc/cpuinfo, the brand string on macOS),
    /// or "unknown CPU".
    public var cpuModel: String
    /// x86-64 family and model numbers (6 and 207 for an Emerald Rapids Xeon), when the system says.
    public var family: Int?
    public var model: Int?
    /// Of the features the kernels look at (avx512f, avx2, fma, amx_tile), those the CPU has.
    public var features: [String]
    /// The matrix kernel products run on (`Gemm.kernelName`) and the worker threads.
    public var gemmKernel: String
    public var threads: Int
    /// The data caches in bytes (`Gemm.cacheSizes`; 0 when unknown) and the cache blocks the matrix
    /// kernel chose from them (nil when not known).
    public var l1DataCache = 0, l2Cache = 0, l3Cache = 0
    public var gemmBlocking: Gemm.Blocking? = nil

    /// The features worth naming, in order.
    static let namedFeatures = ["avx512f", "avx2", "fma", "amx_tile"]

    /// This machine, now.
    public static var current: MachineDescription {
        var description = MachineDescription(cpuModel: "unknown CPU", family: nil, model: nil, features: [],
                                             gemmKernel: Gemm.kernelName, threads: Parallel.workerCount)
        (description.l1DataCache, description.l2Cache, description.l3Cache) = Gemm.cacheSizes
        description.gemmBlocking = .chosen()
        #if os(Linux)
        if let text = MachineDescription.readText("/proc/cpuinfo") { description.read(cpuinfo: text) }
        #elseif canImport(Darwin)
        var size = 0
        if sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 {
            var bytes = [CChar](repeating: 0, count: size)
            if sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 {
                description.cpuModel = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        #endif
        return description
    }

    /// The whole text of a file read to its end (files under /proc report no size), or nil.
    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fills the CPU fields from the text of /proc/cpuinfo: its first processor's `model name`,
    /// `cpu family`, `model` and `flags`.
    mutating func read(cpuinfo text: String) {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty && !values.isEmpty { break }  // the end of the first processor's block
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: " \t"), value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if values[key] == nil { values[key] = value }
        }
        if let name = values["model name"], !name.isEmpty { cpuModel = name }
        family = values["cpu family"].flatMap { Int($0) }
        model = values["model"].flatMap { Int($0) }
        let flags = Set((values["flags"] ?? "").split(separator: " ").map(String.init))
        features = MachineDescription.namedFeatures.filter(flags.contains)
    }

    /// One line: "Intel(R) Xeon(R) Processor (family 6, model 207; avx512f avx2 fma amx_tile; L1d 48 KiB,
    /// L2 2 MiB, L3 300 MiB), kernel avx512 (mc 336, nc 672), 2 worker threads".
    public var summary: String {
        var details: [String] = []
        if let family, let model { details.append("family \(family), model \(model)") }
        if !features.isEmpty { details.append(features.joined(separator: " ")) }
        let caches = [("L1d", l1DataCache), ("L2", l2Cache), ("L3", l3Cache)].filter { $0.1 > 0 }
        if !caches.isEmpty { details.append(caches.map { "\($0.0) \(MachineDescription.describe(bytes: $0.1))" }.joined(separator: ", ")) }
        let cpu = details.isEmpty ? cpuModel : "\(cpuModel) (\(details.joined(separator: "; ")))"
        let kernel = gemmBlocking.map { "\(gemmKernel) (\($0))" } ?? gemmKernel
        return "\(cpu), kernel \(kernel), \(threads) worker thread\(threads == 1 ? "" : "s")"
    }

    /// "48 KiB", "2 MiB", "1.5 MiB", "512 B".
    static func describe(bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size {
            let tenths = (bytes * 10 + size / 2) / size
            return tenths % 10 == 0 ? "\(tenths / 10) \(unit)" : "\(tenths / 10).\(tenths % 10) \(unit)"
        }
        return "\(bytes) B"
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        let start = firstIndex { !set.contains($0) } ?? endIndex
        let end = lastIndex { !set.contains($0) }.map { index(after: $0) } ?? start
        return String(self[start..<Swift.max(start, end)])
    }
}
