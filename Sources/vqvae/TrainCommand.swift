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
            atomically. --resume RUN alone continues from the last save, with the options and data the run \
            was started with, to the same weights as an uninterrupted run; options typed with --resume must \
            equal the saved ones, except --steps: --resume RUN --steps N trains a finished run further (or \
            stops an unfinished one sooner), ending where a run started with --steps N would, unless the run \
            uses --cosine-warmup (its schedule decays over the saved total). A run that fails never \
            overwrites the last good save. At the same points it writes reconstructions.png, codebook_usage.png and loss_curves.png (FORMATS.md; after a \
            resume the loss curves start there).

            Under an MPI launcher (mpirun -np N vqvae train ...) the N processes train one model: each \
            trains on its share of every --batch (the global batch, at least N), gradients and codebook \
            statistics are summed across them, and rank 0 alone prints and writes the run folder. Set \
            VQVAE_THREADS to each process's share of the cores.
            """)

    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM/JPEG images, labelled by sub-folder (default: the built-in shapes; with --resume, the run's).") var data: String?
    @Option(help: "Model preset: sonnet (hidden 128, K 512, D 64), paper (hidden 256) or tiny (hidden 16, K 32, D 8, for quick trials) (default: sonnet).")
    var preset: VQVAEConfiguration.Preset?
    @Option(help: "Training steps, in all, counting those before a resume (default: 2000).") var steps: Int?
    @Option(help: "Images per batch (default: 32).") var batch: Int?
    @Option(help: "Random seed: same seed, same numbers (default: 0).") var seed: UInt64?
    @Option(help: ArgumentHelp("Run folder for model.safetensors, training_state.safetensors and the pictures (default: runs/vqvae, or runs/vqvae-2, -3, … when that already holds a run).", valueName: "run"))
    var out: String?
    @Option(help: ArgumentHelp("Continue the run in this folder from its last save, with its saved options (default: start a new run).", valueName: "run"))
    var resume: String?
    @Flag(help: "Start a new run even if --out already holds one, replacing its files at the first save (default: refuse).")
    var overwrite = false
    @Option(help: "Save the model and training state every this many steps; 0: only at the end (default: 500).") var saveEvery = 500
    @Option(help: "Adam learning rate (default: 3e-4).") var learningRate: Float?
    @Option(help: "Cosine learning-rate decay after this many warm-up steps (default: constant rate).") var cosineWarmup: Int?
    @Option(help: "AdamW decoupled weight decay; 0: Adam (default: 0).") var weightDecay: Float?
    @Option(help: "Clip gradients to this global norm (default: no clipping).") var clipNorm: Float?
    @Option(help: "Ramp the commitment cost from 0 over this many steps; 0: off (default: 0).") var commitmentWarmup: Int?
    @Option(help: ArgumentHelp("Train (and evaluate) on the images of these classes only, e.g. 0,3: one-class training for `vqvae anomaly`; saved with the run, so --resume keeps them (default: all images).", valueName: "list"))
    var classes: String?
    @OptionGroup(title: "Quantizer") var quantizerOptions: QuantizerOptions
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
        guard steps ?? 1 >= 1, batch ?? 1 >= 1 else { throw ValidationError("--steps and --batch must be at least 1") }
        if let learningRate { guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") } }
        guard saveEvery >= 0 else { throw ValidationError("--save-every must be 0 or more") }
        if resume != nil && (out != nil || overwrite) { throw ValidationError("--resume continues the run in its own folder; drop --out and --overwrite") }
        if let classes, ImageDataset.parseClasses(classes) == nil {
            throw ValidationError("--classes takes class labels separated by commas, each once, e.g. 0,3")
        }
    }

    /// The settings the typed options give on top of `base` (the defaults of a new run, or the settings
    /// a resumed run saved): options not typed keep `base`'s values.
    func settings(over base: (configuration: VQVAEConfiguration, options: TrainingOptions))
        throws -> (configuration: VQVAEConfiguration, options: TrainingOptions) {
        var configuration = base.configuration
        if let preset {
            configuration = VQVAEConfiguration(preset: preset, inputChannels: configuration.inputChannels, spatialRank: configuration.spatialRank,
                                               downsampling: configuration.downsampling, quantizer: configuration.quantizer)
        }
        configuration = try quantizerOptions.applied(to: configuration)
        var options = base.options
        if let steps { options.steps = steps }
        if let batch { options.batchSize = batch }
        if let seed { options.seed = seed }
        if let learningRate { options.learningRate = learningRate }
        if let cosineWarmup { options.cosineWarmupSteps = cosineWarmup }
        if let weightDecay { options.weightDecay = weightDecay }
        if let clipNorm { options.gradientClipNorm = clipNorm }
        if let commitmentWarmup { options.commitmentWarmupSteps = commitmentWarmup }
        if let classes { options.classes = ImageDataset.parseClasses(classes) }
        return (configuration, options)
    }

    func run() throws { try failingWithOneLine(train) }

    private func train() throws {
        let group = try ProcessGroup.join(command: "train")
        try group.labellingErrors { try train(group) }
    }

    private func train(_ group: ProcessGroup) throws {
        var (trainer, run, source, testSet, identity) = try resume != nil ? resumed(group) : started(group)
        let steps = trainer.options.steps
        let modelMetadata = ["seed": "\(trainer.options.seed)", "data": source.name]
            .merging(VQVAE.imageSizeMetadata(height: trainer.dataset.height, width: trainer.dataset.width)) { $1 }
        var pictures = TrainingPictures(folder: run.path, testSet: testSet)
        let trainSeconds = try runTrainingLoop(&trainer, run: run, identity: identity, modelMetadata: modelMetadata,
                                               pictures: &pictures, saveEvery: saveEvery, logEvery: logEvery, group: group)
        guard group.isLeader else { return group.finish() }
        defer { group.finish() }
        let report = trainer.model.evaluate(on: testSet)
        let restarts = trainer.model.restartCount
        writeError("saved \(run.modelPath) after \(format(trainSeconds, 1)) s; \(describe(report))\(restarts > 0 ? ", \(restarts) code restarts" : "")\n")
        writeError("pictures: \(run.path)/reconstructions.png, codebook_usage.png, loss_curves.png\n")
        if json {
            print(jsonLine(report, extra: ["steps": "\(steps)", "train_seconds": format(trainSeconds, 1), "code_restarts": "\(restarts)",
                                           "processes": "\(group.size)"]))
        }
    }

    /// Both splits of `source`, restricted to `classes` when given (refusing classes the data lack).
    static func loadSplits(_ source: DatasetSource, classes: [Int]?) throws -> (train: ImageDataset, test: ImageDataset) {
        let trainSet = try source.load(.train), testSet = try source.load(.test)
        guard let classes else { return (trainSet, testSet) }
        return (try trainSet.restricted(toClasses: classes, source: source.name), try testSet.restricted(toClasses: classes, source: source.name))
    }

    typealias Session = (trainer: Trainer<ImageDataset>, run: RunFolder, source: DatasetSource, testSet: ImageDataset, identity: DatasetIdentity)

    /// A new run in --out (or the first free runs/vqvae folder), with the quantizer initialised.
    /// In an MPI job every process loads the data and builds the same trainer; only the leader makes the folder.
    private func started(_ group: ProcessGroup) throws -> Session {
        let seed = self.seed ?? 0
        let source = try DatasetSource.detect(data, seed: seed)
        let (trainSet, testSet) = try TrainCommand.loadSplits(source, classes: classes.flatMap(ImageDataset.parseClasses))
        let defaults = VQVAEConfiguration(preset: .sonnet, inputChannels: trainSet.channels)
        let (configuration, options) = try settings(over: (defaults, TrainingOptions()))
        guard configuration.gridShape(forInput: [trainSet.height, trainSet.width]) != nil else {
            throw DataError(source.name, "images are \(trainSet.height)x\(trainSet.width); the model needs sizes divisible by \(configuration.downsampling)")
        }
        let out = self.out ?? TrainCommand.firstFreeRunFolder()
        let run = RunFolder(out)
        if !overwrite && (FileIO.exists(run.modelPath) || FileIO.exists(run.trainingStatePath)) {
            throw CommandFailure("\(out) already holds a run (model.safetensors); continue it with --resume \(out), "
                                 + "start over with --overwrite, or choose another --out")
        }
        try group.checkShares(batch: options.batchSize)
        if group.isLeader { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        var generator = RandomGenerator(seed: options.seed)
        var trainer = Trainer(model: VQVAE(configuration, generator: &generator), dataset: trainSet, options: options,
                              communicator: group.communicator)
        group.note("training \(describe(configuration)) (\(trainer.model.parameterCount) parameters) on \(source.name)\(options.classes.map { ", classes \(ImageDataset.describe($0))" } ?? ""): \(trainSet.count) train, \(testSet.count) test images\(group.summary.map { "; \($0)" } ?? "")\n")
        trainer.initializeQuantizer()
        return (trainer, run, source, testSet, DatasetIdentity(name: source.name, dataset: trainSet))
    }

    /// The run in --resume, with its saved settings; typed options must agree with them. In an MPI job
    /// every process reads the run folder (the same path on every machine), and the leader's state is
    /// then every process's (`Trainer.synchronize`).
    private func resumed(_ group: ProcessGroup) throws -> Session {
        let run = RunFolder(resume!)
        if group.isLeader { run.removeAbandonedTemporaryFiles() }
        let saved = try SavedRun(run: run)
        let (configuration, options) = try settings(over: (saved.configuration, saved.options))
        if let differences = saved.differences(configuration: configuration, options: options) {
            throw DataError(run.trainingStatePath, "the run was started with other settings: \(differences); resume with --resume alone to use the saved ones")
        }
        let builtIn = saved.dataset.name == DatasetSource.builtInShapes(seed: 0).name
        let source = try DatasetSource.detect(data ?? (builtIn ? nil : saved.dataset.name), seed: saved.options.seed)
        let (trainSet, testSet) = try TrainCommand.loadSplits(source, classes: options.classes)
        let identity = DatasetIdentity(name: source.name, dataset: trainSet)
        try group.checkShares(batch: options.batchSize)
        let trainer = try Trainer(resuming: run, dataset: trainSet, identity: identity, steps: options.steps, communicator: group.communicator)
        group.note("resuming \(run.path) at step \(trainer.step) of \(options.steps)\(extended(saved, to: options.steps)): \(describe(configuration)) (\(trainer.model.parameterCount) parameters) on \(source.name)\(group.summary.map { "; \($0)" } ?? "")\n")
        return (trainer, run, source, testSet, identity)
    }
}

/// " (saved to train 2000)" when a resume trains to another number of steps than `saved`'s, else "".
func extended(_ saved: SavedRun, to steps: Int) -> String {
    steps == saved.options.steps ? "" : " (saved to train \(saved.options.steps))"
}

/// "sonnet-sized …, vq K 512" — a one-line description of a configuration for progress output.
func describe(_ c: VQVAEConfiguration) -> String {
    let q = c.quantizer
    let quantizer: String
    switch q.kind {
    case .vq, .ema: quantizer = "\(q.kind.rawValue) K \(q.codebookSize)"
    case .rvq: quantizer = "rvq \(q.depth)x K \(q.codebookSize)\(q.quantizerDropout ? " with dropout" : "")"
    case .fsq: quantizer = "fsq levels \(q.levels.map(String.init).joined(separator: ","))"
    }
    return "hidden \(c.hiddenChannels), D \(c.latentChannels), /\(c.downsampling), \(quantizer)"
}
