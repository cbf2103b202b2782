import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct BenchAnomalyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly",
        abstract: "The one-class anomaly-detection protocol end to end: per class, train on it, score the whole test split.",
        discussion: """
            The default budget (tiny preset with K 128, 2000 steps of 32; prior of 4 gated layers of 32 \
            channels, 1000 steps of 32) runs the ten Fashion-MNIST classes in about 7 minutes on two free \
            cores, 15-20 under a load of 4-7 (BENCHMARKS.md, "Anomaly detection").

            For each normal class c: a VQ-VAE (and, with --prior-steps above 0, an unconditional PixelCNN \
            prior over its codes) is trained on the training images of c only; the combined score is \
            standardised on those training images; then every test image is scored, the other classes \
            being the anomalies. Prints, per class, the AUROC of every score (standard error while running, \
            the table at the end), and with --json one JSON line: mean_auroc, the mean over the classes of \
            best_score's AUROC, and auroc, its AUROC per class; best_score is fixed in advance, not chosen \
            on the test labels: prior_surprise with a prior (the best score of the validation protocol in \
            BENCHMARKS.md), else combined. Also auroc_by_score and auprc_by_score (every score, per class), \
            mean_auroc_by_score, seconds. --out keeps each class's model, prior, scores.csv and reference.csv \
            (check them with Scripts/anomaly/check_auroc.py).
            """)

    @Option(help: "A labelled dataset (an IDX folder such as ../shared/data/fashion-mnist). Required.") var data: String
    @Option(help: ArgumentHelp("The normal classes to run, one after the other (default: every class of the training split).", valueName: "list"))
    var classes: String?
    @Option(help: "VQ-VAE preset (default: tiny, with K 128 unless --codebook-size says otherwise).") var preset: VQVAEConfiguration.Preset = .tiny
    @OptionGroup(title: "Quantizer") var quantizerOptions: QuantizerOptions
    @Option(help: "VQ-VAE training steps per class (default: 2000).") var steps = 2000
    @Option(help: "Images per batch (default: 32).") var batch = 32
    @Option(help: "Random seed, the same for every class (default: 0).") var seed: UInt64 = 0
    @Option(help: "Prior training steps per class; 0: no prior, no surprise score (default: 1000).") var priorSteps = 1000
    @Option(help: "Prior: code grids per batch (default: 32).") var priorBatch = 32
    @Option(help: "Prior: channels of both stacks (default: 32).") var priorChannels = 32
    @Option(help: "Prior: gated layers (default: 4).") var priorLayers = 4
    @Option(help: "Prior: channels of the output head (default: 64).") var priorOutputChannels = 64
    @Option(help: ArgumentHelp("Keep each class's model.safetensors, prior.safetensors, scores.csv (test split) and reference.csv (its training images) in DIR/class-C (default: runs/bench-anomaly).", valueName: "dir"))
    var out = "runs/bench-anomaly"
    @Option(help: "Print a progress line every this many training steps (default: 250).") var logEvery = 250
    @Flag(help: "Print one JSON line on standard output (the table then goes to standard error) (default: off).") var json = false

    func validate() throws {
        guard steps >= 1, batch >= 1, priorSteps >= 0 else { throw ValidationError("--steps and --batch must be at least 1, --prior-steps 0 or more") }
        guard priorChannels >= 1, priorLayers >= 1, priorOutputChannels >= 1, priorBatch >= 1 else { throw ValidationError("prior sizes must be positive") }
        if let classes, ImageDataset.parseClasses(classes) == nil {
            throw ValidationError("--classes takes class labels separated by commas, each once, e.g. 0,3")
        }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be at least 1") }
    }

    func run() throws {
        writeBenchmarkMachine()
        try failingWithOneLine(bench)
    }

    private func bench() throws {
        let source = try DatasetSource.detect(data, seed: seed)
        let trainSet = try source.load(.train), testSet = try source.load(.test)
        let classes = try self.classes.flatMap(ImageDataset.parseClasses) ?? {
            guard !trainSet.labels.isEmpty else { throw DataError(source.name, "the one-class protocol needs labelled images") }
            return trainSet.knownClasses
        }()
        try trainSet.checkClasses(classes, source: source.name)
        try testSet.checkClasses(classes, source: source.name)
        var configuration = try quantizerOptions.applied(to: VQVAEConfiguration(preset: preset, inputChannels: trainSet.channels))
        if quantizerOptions.codebookSize == nil && configuration.quantizer.kind != .fsq {
            configuration.quantizer.codebookSize = BenchAnomalyCommand.defaultCodebookSize
        }
        guard configuration.gridShape(forInput: [trainSet.height, trainSet.width]) != nil else {
            throw DataError(source.name, "images are \(trainSet.height)x\(trainSet.width); the model needs sizes divisible by \(configuration.downsampling)")
        }
        // Every place written to is made and checked first.
        for normalClass in classes {
            let folder = out + "/class-\(normalClass)"
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw DataError(folder, "cannot create the folder (\((error as NSError).localizedDescription))")
            }
            try FileIO.checkWritable(folder + "/scores.csv")
            try FileIO.checkWritable(folder + "/reference.csv")
        }
        let settings = OneClassExperiment.Settings(
            configuration: configuration, options: TrainingOptions(steps: steps, batchSize: batch, seed: seed), priorSteps: priorSteps,
            priorBatch: priorBatch, priorConfiguration: PixelCNNConfiguration(numEmbeddings: configuration.numEmbeddings, channels: priorChannels, layers: priorLayers,
                                                      outputChannels: priorOutputChannels))
        let experiment = OneClassExperiment(settings: settings)
        writeError("one-class protocol on \(source.name): classes \(ImageDataset.describe(classes)); \(describe(configuration)), \(steps) steps of \(batch)"
                   + (priorSteps > 0 ? "; prior \(priorLayers) layers of \(priorChannels) channels, \(priorSteps) steps of \(priorBatch)" : "; no prior") + "\n")
        let started = ContinuousClock.now
        var results: [OneClassExperiment.Result] = []
        for normalClass in classes {
            let classStarted = ContinuousClock.now
            let result = try experiment.run(normalClass: normalClass, trainSet: trainSet, testSet: testSet, source: source.name) { event in
                switch event {
                case .vqvaeStep(let report) where report.step % logEvery == 0:
                    writeError("class \(normalClass): VQ-VAE step \(report.step)/\(steps) recon \(format(report.reconstructionLoss, 4)) perplexity \(format(report.perplexity, 1)) \(Int(report.imagesPerSecond)) img/s\n")
                case .priorStep(let report) where report.step % logEvery == 0:
                    writeError("class \(normalClass): prior step \(report.step)/\(priorSteps) \(format(report.bitsPerCode, 3)) bits/code\n")
                default: break
                }
            }
            let folder = out + "/class-\(normalClass)"
            var metadata = ["seed": "\(seed)", "data": source.name, "step": "\(steps)", "steps": "\(steps)",
                            "training_options": canonicalOptionsJSON(settings.options, normalClass: normalClass)]
            metadata.merge(VQVAE.imageSizeMetadata(height: trainSet.height, width: trainSet.width)) { $1 }
            try result.model.checkpoint(metadata: metadata).write(to: folder + "/model.safetensors")
            if let prior = result.prior {
                try prior.checkpoint(metadata: ["steps": "\(priorSteps)", "seed": "\(seed)", "data": source.name, "classes": "\(normalClass)",
                                                "model": folder + "/model.safetensors"]).write(to: folder + "/prior.safetensors")
            }
            try FileIO.writeAtomically(Array(result.scores.csv(labels: testSet.labels, normalClasses: [normalClass]).utf8), to: folder + "/scores.csv")
            try FileIO.writeAtomically(Array(result.reference.csv(labels: [], normalClasses: nil).utf8), to: folder + "/reference.csv")
            results.append(result)
            writeError("class \(normalClass) (\(result.trainingImages) training images) in \(format((ContinuousClock.now - classStarted).seconds, 1)) s "
                       + "(VQ-VAE \(format(result.trainSeconds, 1)) s, prior \(format(result.priorSeconds, 1)) s, scoring \(format(result.scoreSeconds, 1)) s): AUROC "
                       + result.scores.scores.map { "\($0.rawValue) \(format(result.report.figures[$0]!.auroc, 4))" }.joined(separator: ", ") + "\n")
        }
        let seconds = (ContinuousClock.now - started).seconds
        let table = BenchAnomalyCommand.table(results, seconds: seconds)
        if json {
            writeError(table + "\n")
            print(jsonObject(BenchAnomalyCommand.fields(results, seconds: seconds, settings: settings)))
        } else {
            print(table)
        }
    }

    /// K when --codebook-size is not typed: 128 (the tiny preset's 32 gave a weaker prior surprise on the
    /// validation protocol, BENCHMARKS.md).
    static let defaultCodebookSize = 128

    /// The run's options as `vqvae train --classes C` would save them, so `vqvae anomaly score` finds the class.
    private func canonicalOptionsJSON(_ options: TrainingOptions, normalClass: Int) -> String {
        var withClass = options
        withClass.classes = [normalClass]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(withClass)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The per-class AUROC of every score, a row per class and the mean, as a Markdown table.
    static func table(_ results: [OneClassExperiment.Result], seconds: Double) -> String {
        guard let first = results.first else { return "no classes" }
        let scores = first.scores.scores
        var lines = ["| class | " + scores.map(\.rawValue).joined(separator: " | ") + " |",
                     "|---:|" + String(repeating: "---:|", count: scores.count)]
        for result in results {
            lines.append("| \(result.normalClass) | " + scores.map { format(result.report.figures[$0]!.auroc, 4) }.joined(separator: " | ") + " |")
        }
        lines.append("| mean | " + scores.map { score in format(mean(results.map { $0.report.figures[score]!.auroc }), 4) }.joined(separator: " | ") + " |")
        lines.append("\(results.count) classes in \(format(seconds, 1)) s")
        return lines.joined(separator: "\n")
    }

    /// The JSON keys of `vqvae bench anomaly` (see the discussion).
    static func fields(_ results: [OneClassExperiment.Result], seconds: Double, settings: OneClassExperiment.Settings) -> [String: String] {
        let scores = results.first?.scores.scores ?? []
        func perClass(_ value: (OneClassExperiment.Result) -> Double) -> String {
            jsonObject(Dictionary(uniqueKeysWithValues: results.map { ("\($0.normalClass)", "\(value($0))") }))
        }
        func byScore(_ value: @escaping (AnomalyDetectionReport.Figures) -> Double) -> String {
            jsonObject(Dictionary(uniqueKeysWithValues: scores.map { score in (score.rawValue, perClass { value($0.report.figures[score]!) }) }))
        }
        let best = headline(settings)
        return [
            "mean_auroc": "\(mean(results.map { $0.report.figures[best]!.auroc }))",
            "best_score": "\"\(best.rawValue)\"",
            "auroc": perClass { $0.report.figures[best]!.auroc },
            "auroc_by_score": byScore(\.auroc),
            "auprc_by_score": byScore(\.auprc),
            "mean_auroc_by_score": jsonObject(Dictionary(uniqueKeysWithValues: scores.map { score in
                (score.rawValue, "\(mean(results.map { $0.report.figures[score]!.auroc }))") })),
            "seconds": format(seconds, 1),
            "class_seconds": perClass { $0.trainSeconds + $0.priorSeconds + $0.scoreSeconds },
            "steps": "\(settings.options.steps)", "batch": "\(settings.options.batchSize)", "prior_steps": "\(settings.priorSteps)", "prior_batch": "\(settings.priorBatch)",
        ]
    }

    /// The score `mean_auroc` and `auroc` report, fixed before any test label is seen: the prior's
    /// surprise when a prior is trained (the best score on every class of the validation protocol,
    /// BENCHMARKS.md), else the combined score.
    static func headline(_ settings: OneClassExperiment.Settings) -> AnomalyScore {
        settings.priorSteps > 0 ? .priorSurprise : .combined
    }

    private static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
}
