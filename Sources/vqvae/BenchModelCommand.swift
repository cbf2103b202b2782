import ArgumentParser
import VQModels
import VQNN

struct BenchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Training and reconstruction throughput of a whole VQ-VAE, measured like torch_ref.py speed.")

    @Option(help: "Model preset: \(VQVAEConfiguration.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: VQVAEConfiguration.Preset = .sonnet
    @Option(help: "Image channels (1 or 3).") var channels = 3
    @Option(help: "Image height and width (divisible by 4).") var size = 32
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Timed steps (after 3 warm-up steps).") var steps = 20
    @Option(help: ArgumentHelp("Quantizer: vq, ema, rvq or fsq, each with its defaults (default: the default configuration's).", valueName: "kind"))
    var quantizer: QuantizerConfiguration.Kind?
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard channels >= 1, size >= 4, size % 4 == 0, batch >= 1, steps >= 1 else {
            throw ValidationError("need channels ≥ 1, size a positive multiple of 4, batch ≥ 1, steps ≥ 1")
        }
    }

    func run() throws {
        writeBenchmarkMachine()
        let configuration = VQVAEConfiguration(preset: preset, inputChannels: channels,
                                               quantizer: quantizer.map { QuantizerConfiguration.standard($0) } ?? .default)
        let result = ModelBenchmark.run(configuration: configuration, imageSize: size, batchSize: batch, steps: steps)
        if json {
            print(#"{"train_img_per_s":\#(rounded(result.trainImagesPerSecond)),"reconstruct_img_per_s":\#(rounded(result.reconstructImagesPerSecond)),"preset":"\#(preset.rawValue)","channels":\#(channels),"size":\#(size),"batch":\#(batch),"steps":\#(steps),"quantizer":"\#(configuration.quantizer.kind.rawValue)"}"#)
        } else {
            print("\(preset.rawValue) \(channels)x\(size)x\(size), batch \(batch): train \(rounded(result.trainImagesPerSecond)) images/s, reconstruct \(rounded(result.reconstructImagesPerSecond)) images/s")
        }
    }
}

extension VQVAEConfiguration.Preset: ExpressibleByArgument {}

/// One decimal place, as the PyTorch reference prints.
func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
