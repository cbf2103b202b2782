import ArgumentParser

struct BenchConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "Convolution throughput (to be written).")
    func run() throws { throw ValidationError("not written yet") }
}
