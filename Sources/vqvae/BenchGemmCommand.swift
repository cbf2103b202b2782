import ArgumentParser

struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "Matrix product throughput (to be written).")
    func run() throws { throw ValidationError("not written yet") }
}
