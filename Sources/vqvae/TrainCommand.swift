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
            Without --data it trains on built-in procedural shapes (28x28), so it works on a fresh machine. \
            Prints progress to standard error (a bar with ETA and live losses on a terminal, plain lines \
            otherwise); with --json, standard output gets one JSON line with the test metrics at the end.

            The run folder (--out, or the folder given to --resume) receives, every --save-every steps and \
            at the end, model.safetensors (the model, loadable by itself) and training_state.safetensors \
            (optimizer moments, random-generator state, step, options, data set identity), each written \
            atomically. --resume RUN continues from the last save to the same weights as an uninterrupted \
            run; pass the same options as the first time (they are checked). A run that fails never \
            overwrites the last good save. At the same points it writes reconstructions.png, \
            codebook_usage.png and loss_curves.png (FORMATS.md; after a resume the loss curves start there).
            """)

    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM images, labelled by sub-folder (default: the built-in shapes).") var data: String?
    @Option(help: "Model preset: sonnet (hidden 128, K 512, D 64), paper (hidden 256) or tiny (hidden 16, K 32, D 8, for quick trials).")
    var preset: VQVAEConfiguration.Preset = .sonnet
    @Option(help: "Training steps (in all, counting those before a resume).") var steps = 2000
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Random seed (same seed, same numbers).") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Run folder for model.safetensors, training_state.safetensors and the pictures (default: runs/vqvae, or runs/vqvae-2, -3, … when that already holds a run).", valueName: "run"))
    var out: String?
    @Option(help: ArgumentHelp("Continue the run in this folder from its last save, instead of starting one in --out; give the same options as before (default: start a new run).", valueName: "run"))
    var resume: String?
    @Flag(help: "Start a new run even if --out already holds one, replacing its files at the first save (default: refuse).")
    var overwrite = false
    @Option(help: "Save the model and training state every this many steps (0: only at the end).") var saveEvery = 500
    @Option(help: "Adam learning rate.") var learningRate: Float = 3e-4
    @Option(help: "Cosine learning-rate decay after this many warm-up steps (default: constant rate).") var cosineWarmup: Int?
    @Option(help: "AdamW decoupled weight decay (0: Adam).") var weightDecay: Float = 0
    @Option(help: "Clip gradients to this global norm (default: no clipping).") var clipNorm: Float?
    @Option(help: "Ramp the commitment cost from 0 over this many steps (0: off).") var commitmentWarmup = 0
    @Flag(help: "Learn the codebook by exponential moving averages (decay 0.99) (default: by loss).") var ema = false
    @Flag(help: "Initialise the codebook by k-means++ on the encoder outputs of the first 8 batches (default: random).") var kmeansInit = false
    @Option(help: "Restart codes unused for this many steps (default: off).") var deadCodeSteps: Int?
    @Option(help: "Print a plain progress line every this many steps when standard error is not a terminal.") var logEvery = 100
    @Flag(help: "End with one JSON line of test metrics on standard output (default: off).") var json = false

    /// runs/vqvae, or the first of runs/vqvae-2, runs/vqvae-3, … that holds no run yet, so that the
    /// default command can be run again without losing the last run.
    static func firstFreeRunFolder() -> String {
        func holdsRun(_ folder: String) -> Bool {
            FileIO.exists(RunFolder(folder).modelPath) || FileIO.exists(RunFolder(folder).trainingStatePath)
        }
        if !holdsRun("runs/vqvae") { return "runs/vqvae" }
        var number = 2
        while holdsRun("runs/vqvae-\(number)") { number += 1 }
        return "runs/vqvae-\(number)"
    }

    func validate() throws {
        guard steps >= 1, batch >= 1 else { throw ValidationError("--steps and --batch must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        if let deadCodeSteps, deadCodeSteps < 1 { throw ValidationError("--dead-code-steps must be at least 1") }
        guard saveEvery >= 0 else { throw ValidationError("--save-every must be 0 or more") }
    }

    func run() throws { try failingWithOneLine(train) }

    private func train() throws {
        let source = try DatasetSource.detect(data, seed: seed)
        let trainSet = try source.load(.train), testSet = try source.load(.test)
        guard trainSet.height % 4 == 0 && trainSet.width % 4 == 0 else {
            throw DataError(source.name, "images are \(trainSet.height)x\(trainSet.width); the model needs sizes divisible by 4")
        }
        var configuration = VQVAEConfiguration(preset: preset, inputChannels: trainSet.channels)
        configuration.movingAverageCodebook = ema
        let options = TrainingOptions(
            steps: steps, batchSize: batch, seed: seed, learningRate: learningRate, cosineWarmupSteps: cosineWarmup,
            weightDecay: weightDecay, gradientClipNorm: clipNorm, commitmentWarmupSteps: commitmentWarmup,
            kMeansInitialization: kmeansInit, deadCodePatience: deadCodeSteps)
        let out = self.out ?? TrainCommand.firstFreeRunFolder()
        let run = RunFolder(resume ?? out)
        let identity = DatasetIdentity(name: source.name, dataset: trainSet)
        var trainer: Trainer
        if resume != nil {
            run.removeAbandonedTemporaryFiles()
            trainer = try Trainer(resuming: run, configuration: configuration, options: options, dataset: trainSet, identity: identity)
            writeError("resuming \(run.path) at step \(trainer.step) of \(steps): \(preset.rawValue) (\(trainer.model.parameterCount) parameters) on \(source.name)\n")
        } else {
            if !overwrite && (FileIO.exists(run.modelPath) || FileIO.exists(run.trainingStatePath)) {
                throw CommandFailure("\(out) already holds a run (model.safetensors); continue it with --resume \(out), "
                                     + "start over with --overwrite, or choose another --out")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var generator = RandomGenerator(seed: seed)
            trainer = Trainer(model: VQVAE(configuration, generator: &generator), dataset: trainSet, options: options)
            writeError("training \(preset.rawValue) (\(trainer.model.parameterCount) parameters) on \(source.name): \(trainSet.count) train, \(testSet.count) test images\n")
            if kmeansInit { trainer.initializeCodebookByKMeans() }
        }
        let modelMetadata = ["seed": "\(seed)", "data": source.name]
            .merging(VQVAE.imageSizeMetadata(height: trainSet.height, width: trainSet.width)) { $1 }
        var pictures = TrainingPictures(folder: run.path, testSet: testSet)
        let progress = ProgressRenderer(totalSteps: steps, firstStep: trainer.step, plainEvery: logEvery)
        let started = ContinuousClock.now
        while trainer.step < steps {
            let stepReport = try trainer.trainStep()
            progress.update(stepReport)
            pictures.record(stepReport)
            if saveEvery > 0 && trainer.step % saveEvery == 0 && trainer.step < steps {
                try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
                try pictures.write(model: trainer.model)
                progress.saved(step: trainer.step, folder: run.path)
            }
        }
        let trainSeconds = (ContinuousClock.now - started).seconds - pictures.writingSeconds
        let modelPath = run.modelPath
        try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
        try pictures.write(model: trainer.model)
        let report = trainer.model.evaluate(on: testSet)
        let restarts = trainer.restarter?.restarts ?? 0
        writeError("saved \(modelPath) after \(format(trainSeconds, 1)) s; \(describe(report))\(deadCodeSteps == nil ? "" : ", \(restarts) code restarts")\n")
        writeError("pictures: \(run.path)/reconstructions.png, codebook_usage.png, loss_curves.png\n")
        if json {
            print(jsonLine(report, extra: ["steps": "\(steps)", "train_seconds": format(trainSeconds, 1), "code_restarts": "\(restarts)"]))
        }
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a trained VQ-VAE on the test split of a dataset.")

    @Option(help: "A model checkpoint (RUN/model.safetensors).") var model: String
    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM images, labelled by sub-folder (default: the built-in shapes).") var data: String?
    @Option(help: "Seed of the built-in shapes (when no --data).") var seed: UInt64 = 0
    @Option(help: "A prior checkpoint (RUN/prior.safetensors): adds prior_bits_per_code, unigram_bits_per_code, bits_per_dim.")
    var prior: String?
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws { try failingWithOneLine(evaluate) }

    private func evaluate() throws {
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
    }
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
