import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a VQ-VAE and evaluate it on the test split.",
        discussion: """
            Without --data it trains on built-in procedural shapes (28x28), so it works on a fresh machine.
            Writes RUN/model.safetensors (atomically) and prints progress to standard error; with --json,
            standard output gets one JSON line with the test metrics at the end.
            """)

    @Option(help: "An MNIST-layout IDX folder (default: the built-in shapes).") var data: String?
    @Option(help: "Model preset: sonnet or paper.") var preset: VQVAEConfiguration.Preset = .sonnet
    @Option(help: "Training steps.") var steps = 2000
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Random seed (same seed, same numbers).") var seed: UInt64 = 0
    @Option(help: "Run folder for model.safetensors.") var out = "runs/vqvae"
    @Option(help: "Adam learning rate.") var learningRate: Float = 3e-4
    @Option(help: "Cosine learning-rate decay after this many warm-up steps (default: constant rate).") var cosineWarmup: Int?
    @Option(help: "AdamW decoupled weight decay (0: Adam).") var weightDecay: Float = 0
    @Option(help: "Clip gradients to this global norm (default: no clipping).") var clipNorm: Float?
    @Option(help: "Ramp the commitment cost from 0 over this many steps (0: off).") var commitmentWarmup = 0
    @Flag(help: "Learn the codebook by exponential moving averages (decay 0.99).") var ema = false
    @Flag(help: "Initialise the codebook by k-means++ on the encoder outputs of the first batches.") var kmeansInit = false
    @Option(help: "Restart codes unused for this many steps (default: off).") var deadCodeSteps: Int?
    @Option(help: "Print a plain progress line every this many steps when not on a terminal.") var logEvery = 100
    @Flag(help: "End with one JSON line of test metrics on standard output.") var json = false

    func validate() throws {
        guard steps >= 1, batch >= 1 else { throw ValidationError("--steps and --batch must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        if let deadCodeSteps, deadCodeSteps < 1 { throw ValidationError("--dead-code-steps must be at least 1") }
    }

    func run() throws {
        do { try train() } catch let error as DataError {
            throw CommandFailure(error.description)
        } catch let error as NonFiniteLossError {
            throw CommandFailure(error.description)
        }
    }

    private func train() throws {
        let source = try DatasetSource.detect(data, seed: seed)
        let trainSet = try source.load(.train), testSet = try source.load(.test)
        guard trainSet.height % 4 == 0 && trainSet.width % 4 == 0 else {
            throw DataError(source.name, "images are \(trainSet.height)x\(trainSet.width); the model needs sizes divisible by 4")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var configuration = VQVAEConfiguration(preset: preset, inputChannels: trainSet.channels)
        configuration.movingAverageCodebook = ema
        let options = TrainingOptions(
            steps: steps, batchSize: batch, seed: seed, learningRate: learningRate, cosineWarmupSteps: cosineWarmup,
            weightDecay: weightDecay, gradientClipNorm: clipNorm, commitmentWarmupSteps: commitmentWarmup,
            kMeansInitialization: kmeansInit, deadCodePatience: deadCodeSteps)
        var generator = RandomGenerator(seed: seed)
        var trainer = Trainer(model: VQVAE(configuration, generator: &generator), dataset: trainSet, options: options)
        writeError("training \(preset.rawValue) (\(trainer.model.parameterCount) parameters) on \(source.name): \(trainSet.count) train, \(testSet.count) test images\n")
        if kmeansInit { trainer.initializeCodebookByKMeans() }
        let progress = ProgressRenderer(totalSteps: steps, plainEvery: logEvery)
        let started = ContinuousClock.now
        for _ in 0..<steps { progress.update(try trainer.trainStep()) }
        let trainSeconds = (ContinuousClock.now - started).seconds
        let modelPath = out + "/model.safetensors"
        try trainer.model.checkpoint(metadata: ["steps": "\(steps)", "seed": "\(seed)", "data": source.name])
            .write(to: modelPath)
        let report = trainer.model.evaluate(on: testSet)
        let restarts = trainer.restarter?.restarts ?? 0
        writeError("saved \(modelPath) after \(format(trainSeconds, 1)) s; \(describe(report))\(deadCodeSteps == nil ? "" : ", \(restarts) code restarts")\n")
        if json {
            print(jsonLine(report, extra: ["steps": "\(steps)", "train_seconds": format(trainSeconds, 1), "code_restarts": "\(restarts)"]))
        }
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a trained VQ-VAE on the test split of a dataset.")

    @Option(help: "A model checkpoint (RUN/model.safetensors).") var model: String
    @Option(help: "An MNIST-layout IDX folder (default: the built-in shapes).") var data: String?
    @Option(help: "Seed of the built-in shapes (when no --data).") var seed: UInt64 = 0
    @Option(help: "A prior checkpoint (RUN/prior.safetensors): adds prior_bits_per_code, unigram_bits_per_code, bits_per_dim.")
    var prior: String?
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        do {
            let vqvae = try VQVAE(contentsOf: model)
            let source = try DatasetSource.detect(data, seed: seed)
            let testSet = try source.load(.test)
            guard testSet.channels == vqvae.configuration.inputChannels else {
                throw DataError(source.name, "images have \(testSet.channels) channels, the model expects \(vqvae.configuration.inputChannels)")
            }
            let report = vqvae.evaluate(on: testSet)
            let priorReport = try prior.map { try evaluatePrior(at: $0, with: vqvae, on: testSet, named: source.name) }
            print(json ? jsonLine(report, extra: priorReport.map(priorFields) ?? [:])
                       : describe(report) + (priorReport.map { "; " + describe($0) } ?? ""))
        } catch let error as DataError {
            throw CommandFailure(error.description)
        }
    }
}

/// A failure reported as one line on standard error with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func describe(_ report: EvaluationReport) -> String {
    "test MSE \(format(report.mse, 5)), NMSE \(format(report.nmse, 4)), PSNR \(format(report.psnr, 2)) dB, perplexity \(format(report.perplexity, 1)), codes used \(format(report.codebookUsage * 100, 1))% (\(report.deadCodes) dead)"
}

/// The evaluation keys of the JSON contract: test_mse, test_nmse, psnr, perplexity, codebook_usage,
/// dead_codes, usage_histogram, plus `extra`.
func jsonLine(_ report: EvaluationReport, extra: [String: String]) -> String {
    var fields = extra
    fields["test_mse"] = "\(report.mse)"
    fields["test_nmse"] = "\(report.nmse)"
    fields["psnr"] = "\(report.psnr)"
    fields["perplexity"] = "\(report.perplexity)"
    fields["codebook_usage"] = "\(report.codebookUsage)"
    fields["dead_codes"] = "\(report.deadCodes)"
    fields["usage_histogram"] = "[" + report.usageHistogram.map { "\($0)" }.joined(separator: ",") + "]"
    return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}
