import ArgumentParser

@main
struct VQVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vqvae",
        abstract: "Train and run VQ-VAEs on the CPU.",
        subcommands: [TrainCommand.self, EvalCommand.self, PriorCommand.self, SampleCommand.self, BenchCommand.self],
        defaultSubcommand: nil)
}
