import ArgumentParser
import Foundation
import VQEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of the engine's kernels.",
        subcommands: [BenchGemmCommand.self, BenchConvCommand.self, BenchModelCommand.self, BenchAudioCommand.self, BenchSampleCommand.self, BenchPriorCommand.self,
                      BenchAllreduceCommand.self, BenchAnomalyCommand.self, BenchCodecCommand.self])
}

/// The first line of every benchmark, on standard error: the CPU, its kernel features, the matrix
/// kernel and the threads (`MachineDescription`), so every figure says what it was measured on.
func writeBenchmarkMachine() {
    writeError("machine: \(MachineDescription.current.summary)\n")
}

/// `text` as a JSON string literal, quotes included.
func jsonString(_ text: String) -> String {
    String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
}
