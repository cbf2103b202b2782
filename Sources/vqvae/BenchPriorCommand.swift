import ArgumentParser
import VQEngine
import VQModels

/// `vqvae bench prior`: training throughput of a PixelCNN prior (see `ModelBenchmark.runPrior`).
struct BenchPriorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prior",
        abstract: "Training throughput of a gated PixelCNN prior on random code grids, in grids per second.",
        discussion: """
            The protocol of the PyTorch peer (python3 Scripts/bench/pixelcnn_ref.py speed-train --json, the \
            same defaults): batches drawn from 1000 random grids, Adam, 3 warm-up steps, then --repeats rounds \
            of --steps steps; prints the median round and every round, fastest first.
            """)

    @Option(help: "Grids per training step.") var batch = 32
    @Option(help: "Timed steps per round.") var steps = 100
    @Option(help: "Timed rounds; the median is reported.") var repeats = 3
    @Option(help: "Code grid height.") var height = 7
    @Option(help: "Code grid width.") var width = 7
    @Option(help: "Codes (K).") var codebookSize = 512
    @Option(help: "Channels of both stacks.") var channels = 64
    @Option(help: "Gated layers.") var layers = 8
    @Option(help: "Channels of the output head.") var outputChannels = 128
    @Option(help: "Classes the prior is conditioned on (0: unconditional).") var classes = 0
    @Option(help: "Channels of a context map (0: none; the codec's later stages have 64).") var contextChannels = 0
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard batch >= 1, steps >= 1, repeats >= 1, height >= 1, width >= 1, channels >= 1, layers >= 1, outputChannels >= 1,
              codebookSize >= 2, classes >= 0, contextChannels >= 0 else {
            throw ValidationError("sizes and counts must be positive (--classes and --context-channels may be 0)")
        }
    }

    func run() throws {
        writeBenchmarkMachine()
        let configuration = PixelCNNConfiguration(numEmbeddings: codebookSize, channels: channels, layers: layers,
                                                  outputChannels: outputChannels, numClasses: classes, contextChannels: contextChannels)
        let measurement = try ModelBenchmark.runPrior(configuration: configuration, height: height, width: width,
                                                      batchSize: batch, steps: steps, repeats: repeats)
        let gridsPerRound = Double(steps * batch)
        let median = gridsPerRound / measurement.median, rates = measurement.seconds.map { gridsPerRound / $0 }
        if json {
            print(jsonObject(["train_grids_per_s": format(median, 2), "train_grids_per_s_rounds": "[" + rates.map { format($0, 2) }.joined(separator: ",") + "]",
                              "batch": "\(batch)", "steps": "\(steps)", "height": "\(height)", "width": "\(width)",
                              "channels": "\(channels)", "layers": "\(layers)", "classes": "\(classes)", "context_channels": "\(contextChannels)",
                              "cpu": jsonString(MachineDescription.current.cpuModel)]))
        } else {
            print("prior training, batch \(batch) of \(height)x\(width): \(format(median, 1)) grids/s "
                + "(median of \(repeats) rounds of \(steps) steps: \(rates.map { format($0, 1) }.joined(separator: ", ")))")
        }
    }
}
