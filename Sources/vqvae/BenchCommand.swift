import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of the engine's kernels.",
        subcommands: [BenchGemmCommand.self, BenchConvCommand.self, BenchModelCommand.self, BenchAudioCommand.self, BenchSampleCommand.self,
                      BenchAllreduceCommand.self, BenchAnomalyCommand.self, BenchCodecCommand.self])
}
