import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels
import VQNN

struct PriorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prior", abstract: "Learn a PixelCNN prior over a trained VQ-VAE's codes.",
        subcommands: [PriorTrainCommand.self])
}

struct PriorTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a gated PixelCNN prior on the code grids of a dataset's training split.",
        discussion: """
            Encodes the training images once with the VQ-VAE (no gradients, batched; the first stage of a \
            residual quantizer, which is what the prior models), trains the prior with
            Adam, writes RUN/prior.safetensors (atomically), then scores the test split like
            `vqvae eval --prior`. Progress goes to standard error; with --json, standard output gets one
            JSON line at the end. Under mpirun -np N the N processes share the encoding and every batch;
            rank 0 prints and writes.
            """)

    @Option(help: "The VQ-VAE checkpoint (RUN/model.safetensors).") var model: String
    @Option(help: "An MNIST-layout IDX folder (default: the built-in shapes).") var data: String?
    @Option(help: "Training steps.") var steps = 2000
    @Option(help: "Code grids per batch.") var batch = 32
    @Option(help: "Run folder for prior.safetensors.") var out = "runs/prior"
    @Flag(help: "Condition the prior on the class labels of the dataset.") var classConditional = false
    @Option(help: ArgumentHelp("Train (and evaluate) on the images of these classes only, e.g. 0,3 (default: the classes the VQ-VAE was trained on with `vqvae train --classes`, else all).", valueName: "list"))
    var classes: String?
    @Option(help: "Random seed (same seed, same numbers).") var seed: UInt64 = 0
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Channels of both stacks.") var channels = 64
    @Option(help: "Gated layers.") var layers = 8
    @Option(help: "Kernel size of the masked convolutions (odd).") var kernelSize = 3
    @Option(help: "Channels of the output head.") var outputChannels = 128
    @Option(help: "Stop after this many minutes even if fewer steps were done (default: no limit).") var maxMinutes: Double?
    @Option(help: "Print a plain progress line every this many steps when not on a terminal.") var logEvery = 100
    @Flag(help: "End with one JSON line on standard output.") var json = false

    func validate() throws {
        guard steps >= 1, batch >= 1 else { throw ValidationError("--steps and --batch must be at least 1") }
        guard channels >= 1, layers >= 1, outputChannels >= 1 else { throw ValidationError("sizes must be positive") }
        guard kernelSize >= 1, kernelSize % 2 == 1 else { throw ValidationError("--kernel-size must be odd") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        if let classes, ImageDataset.parseClasses(classes) == nil {
            throw ValidationError("--classes takes class labels separated by commas, each once, e.g. 0,3")
        }
    }

    func run() throws { try failingWithOneLine(train) }

    private func train() throws {
        let group = try ProcessGroup.join(command: "prior train")
        try group.labellingErrors { try train(group) }
    }

    /// In an MPI job every process loads the model and the data, encodes its share of the images,
    /// and trains on its share of every batch; the leader prints and writes the prior.
    private func train(_ group: ProcessGroup) throws {
        let file = try SafeTensors(contentsOf: model)
        let vqvae = try VQVAE(checkpoint: file, path: model)
        let source = try DatasetSource.detect(data, seed: seed)
        let classes = self.classes.flatMap(ImageDataset.parseClasses) ?? TrainingOptions.recorded(in: file.metadata)?.classes
        let (trainSet, testSet) = try TrainCommand.loadSplits(source, classes: classes)
        try vqvae.checkCompatible(trainSet, source: source.name)
        if classConditional && (trainSet.labels.isEmpty || testSet.labels.isEmpty) {
            throw DataError(source.name, "--class-conditional needs labels for the training and test images")
        }
        try group.checkShares(batch: batch)
        if group.isLeader { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let encodingStarted = ContinuousClock.now
        let grids = try vqvae.codeGrids(of: trainSet, communicator: group.communicator)
        let numClasses = classConditional ? Int(trainSet.labels.max()! + 1) : 0
        let configuration = PixelCNNConfiguration(
            numEmbeddings: vqvae.configuration.numEmbeddings, channels: channels, layers: layers, kernelSize: kernelSize,
            outputChannels: outputChannels, numClasses: numClasses)
        var generator = RandomGenerator(seed: seed)
        var trainer = PriorTrainer(prior: PixelCNN(configuration, generator: &generator), grids: grids, batchSize: batch,
                                   schedule: .constant(learningRate), seed: seed, communicator: group.communicator)
        try trainer.synchronize()
        if let classes { group.note("training on classes \(ImageDataset.describe(classes)) only\n") }
        group.note("encoded \(grids.count) training images to \(grids.height)x\(grids.width) codes in \(format((ContinuousClock.now - encodingStarted).seconds, 1)) s; training a PixelCNN prior (\(trainer.prior.parameterCount) parameters\(classConditional ? ", \(numClasses) classes" : ""))\(group.summary.map { "; \($0)" } ?? "")\n")
        group.noteSave(folder: out, savedStep: nil)   // the prior is written at the end only
        let progress = ProgressRenderer(totalSteps: steps, plainEvery: logEvery)
        let started = ContinuousClock.now
        var lastLoss: Float = .nan
        while trainer.step < steps {
            let report = try trainer.trainStep()
            lastLoss = report.loss
            if group.isLeader {
                progress.update(step: report.step, summary: "loss \(format(report.loss, 4)) (\(format(report.bitsPerCode, 3)) bits/code)",
                                rate: "\(Int(report.gridsPerSecond)) grids/s")
            }
            if let maxMinutes {
                // Every process stops at the same step: the longest time any of them has run decides.
                var elapsed = [(ContinuousClock.now - started).seconds]
                try group.communicator.allReduce(&elapsed, .maximum)
                if elapsed[0] > maxMinutes * 60 {
                    group.note("\nstopping after \(report.step) steps: --max-minutes \(maxMinutes) reached\n")
                    break
                }
            }
        }
        let trainSeconds = (ContinuousClock.now - started).seconds
        guard try trainer.processesAgree() else {
            throw CommandFailure("the \(group.size) processes ended with different weights; nothing was saved (a bug: please report it)")
        }
        guard group.isLeader else { return group.finish() }
        defer { group.finish() }
        let priorPath = out + "/prior.safetensors"
        var metadata = ["steps": "\(trainer.step)", "seed": "\(seed)", "data": source.name, "model": model]
        if let classes { metadata["classes"] = ImageDataset.describe(classes) }
        try trainer.prior.checkpoint(metadata: metadata).write(to: priorPath)
        let report = vqvae.evaluatePrior(trainer.prior, on: testSet)
        writeError("saved \(priorPath) after \(trainer.step) steps in \(format(trainSeconds, 1)) s; \(describe(report))\n")
        if json {
            var fields = priorFields(report)
            fields["steps"] = "\(trainer.step)"
            fields["train_seconds"] = format(trainSeconds, 1)
            fields["final_train_loss"] = "\(lastLoss)"
            fields["processes"] = "\(group.size)"
            print(jsonObject(fields))
        }
    }
}

/// Loads the prior at `path` and scores `dataset` with it; throws when it cannot (other codebook size,
/// class-conditional prior without labels).
func evaluatePrior(at path: String, with vqvae: VQVAE, on dataset: ImageDataset, named name: String) throws -> PriorEvaluationReport {
    let prior = try PriorFile.load(path)
    guard prior.codebookSize == vqvae.configuration.numEmbeddings else {
        throw DataError(path, "the prior has \(prior.codebookSize) codes, the VQ-VAE \(vqvae.configuration.numEmbeddings)")
    }
    if prior.isConditional && dataset.labels.count != dataset.count {
        throw DataError(name, "the prior is class-conditional but the images have no labels")
    }
    return vqvae.evaluatePrior(prior, on: dataset)
}

func describe(_ report: PriorEvaluationReport) -> String {
    "prior \(format(report.priorBitsPerCode, 3)) bits/code (unigram \(format(report.unigramBitsPerCode, 3))), \(format(report.bitsPerDimension, 4)) bits/dim (reconstruction \(format(report.reconstructionBitsPerDimension, 4)), decoder sigma \(format(report.decoderScale, 4)))"
}

/// The prior keys of the JSON contract: prior_bits_per_code, unigram_bits_per_code, bits_per_dim,
/// reconstruction_bits_per_dim, decoder_scale.
func priorFields(_ report: PriorEvaluationReport) -> [String: String] {
    ["prior_bits_per_code": "\(report.priorBitsPerCode)", "unigram_bits_per_code": "\(report.unigramBitsPerCode)",
     "bits_per_dim": "\(report.bitsPerDimension)", "reconstruction_bits_per_dim": "\(report.reconstructionBitsPerDimension)",
     "decoder_scale": "\(report.decoderScale)"]
}

/// One JSON object with keys in sorted order; values are already JSON.
func jsonObject(_ fields: [String: String]) -> String {
    "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}
