import ArgumentParser
import VQEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct VQVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vqvae",
        abstract: "Train and run VQ-VAEs on the CPU.",
        subcommands: [TrainCommand.self, EvalCommand.self, ReconstructCommand.self, EncodeCommand.self, DecodeCommand.self,
                      InfoCommand.self, PriorCommand.self, SampleCommand.self, AnomalyCommand.self, AudioCommand.self, CodecCommand.self, CompressCommand.self, DecompressCommand.self, DatasetsCommand.self, BenchCommand.self],
        defaultSubcommand: nil)

    static func main() {
        // A write beyond the file-size limit (`ulimit -f`) must fail like a full disk, with an error
        // the command reports in one line, rather than kill the process with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        // Training frees and allocates the same large buffers every step: keep them in the process.
        AllocatorTuning.keepFreedMemory()
        main(nil)
    }
}
