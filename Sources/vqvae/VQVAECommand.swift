import ArgumentParser

@main
struct VQVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vqvae",
        abstract: "Train and run VQ-VAEs on the CPU.",
        subcommands: [TrainCommand.self, EvalCommand.self, ReconstructCommand.self, EncodeCommand.self, DecodeCommand.self,
                      InfoCommand.self, PriorCommand.self, SampleCommand.self, DatasetsCommand.self, BenchCommand.self],
        defaultSubcommand: nil)
}
