import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct AnomalyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly", abstract: "Find the inputs no code fits: anomaly scores from a VQ-VAE and its prior.",
        subcommands: [AnomalyScoreCommand.self])
}

struct AnomalyScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every image of a split: reconstruction error, quantisation distance, prior surprise, combined.",
        discussion: """
            Per image: reconstruction_error (MSE per pixel value between the image and the decoding of its \
            codes, pixels in [-0.5, 0.5]), quantization_distance (mean over the code grid of ||z_e - e||^2, \
            encoder vector to its code), prior_surprise (with --prior: -log2 p(codes) per code, in bits) and \
            combined: the largest of the scores' z-scores after a logarithm, each standardised with the mean \
            and standard deviation of log(score) over normal training images (the first --reference-count \
            training images of the classes the model was trained on, `vqvae train --classes`, else of all \
            classes). Larger is more anomalous for every score. No test label is used to score.

            With labels and --normal-classes, images of other classes are the anomalies (the positives) and \
            the summary (or JSON) gives each score's AUROC and AUPRC (average precision, as scikit-learn). \
            --out writes one CSV row per image (FORMATS.md), atomically; --maps writes, per image, the image \
            beside its per-pixel error and its per-code surprise as PNG. Every output place is checked \
            before the work starts, so a failure leaves nothing half-written.
            """)

    @Option(help: "A model checkpoint written by `vqvae train` (RUN/model.safetensors). Required.") var model: String
    @Option(help: "An unconditional prior (RUN/prior.safetensors) for the prior surprise (default: none; the combined score then takes the larger of two z-scores).") var prior: String?
    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM/JPEG images, labelled by sub-folder (default: the built-in shapes).") var data: String?
    @Option(help: "Seed of the built-in shapes, used only without --data.") var seed: UInt64 = 0
    @Option(help: "Which split to score: train or test.") var split: DatasetSplit = .test
    @Option(help: ArgumentHelp("The classes that are normal, e.g. 0,3: adds AUROC and AUPRC per score (default: none).", valueName: "list"))
    var normalClasses: String?
    @Option(help: ArgumentHelp("Write the scores of every image to this CSV file (default: none).", valueName: "scores.csv")) var out: String?
    @Option(help: ArgumentHelp("Write per image DIR/NNNNNN.png: the image, its per-pixel error, its per-code surprise (default: none).", valueName: "dir"))
    var maps: String?
    @Option(help: "Maps for the first N images only (default: every image).") var mapsLimit: Int?
    @Option(help: "Normal training images that standardise the combined score: the first N of the model's classes (default: 10000).") var referenceCount = 10_000
    @Flag(help: "Print one JSON line on standard output (default: a summary).") var json = false

    func validate() throws {
        if let normalClasses, ImageDataset.parseClasses(normalClasses) == nil {
            throw ValidationError("--normal-classes takes class labels separated by commas, each once, e.g. 0,3")
        }
        if let mapsLimit, mapsLimit < 0 { throw ValidationError("--maps-limit must be 0 or more") }
        guard referenceCount >= 2 else { throw ValidationError("--reference-count must be at least 2") }
    }

    func run() throws { try failingWithOneLine(score) }

    private func score() throws {
        let normal = normalClasses.flatMap(ImageDataset.parseClasses)
        // Every place written to is checked first: nothing is half-written after a long run.
        if let out { try FileIO.checkWritable(out) }
        if let maps { try prepareMapsFolder(maps) }
        let file = try SafeTensors(contentsOf: model)
        let vqvae = try VQVAE(checkpoint: file, path: model)
        guard vqvae.configuration.conditionClasses == 0 else {
            throw DataError(model, "the decoder is conditioned on labels; anomaly scores need a model trained without them")
        }
        let source = try DatasetSource.detect(data, seed: seed)
        let dataset = try source.load(split)
        try vqvae.checkCompatible(dataset, source: source.name, trainedImageSize: VQVAE.trainedImageSize(file.metadata))
        if let normal { try dataset.checkClasses(normal, source: source.name) }
        let prior = try self.prior.map { try loadAnomalyPrior($0, for: vqvae) }
        let trainedClasses = TrainingOptions.recorded(in: file.metadata)?.classes

        let started = ContinuousClock.now
        var reference = try source.load(.train)
        if let trainedClasses { reference = try reference.restricted(toClasses: trainedClasses, source: source.name) }
        reference = reference.prefix(referenceCount)
        try vqvae.checkCompatible(reference, source: source.name)
        writeError("scoring \(reference.count) normal training images\(trainedClasses.map { " (classes \(ImageDataset.describe($0)))" } ?? "") for the combined score's standardisation\n")
        let rule = ScoreStandardization(reference: vqvae.anomalyScores(of: reference, prior: prior).scores)
        writeError("scoring \(dataset.count) \(split.rawValue) images of \(source.name)\n")
        let mapCount = maps == nil ? 0 : min(mapsLimit ?? dataset.count, dataset.count)
        let result = vqvae.anomalyScores(of: dataset, prior: prior, mapCount: mapCount)
        let scores = rule.addingCombined(to: result.scores)
        let seconds = (ContinuousClock.now - started).seconds

        var report: AnomalyDetectionReport?
        if let normal {
            report = AnomalyDetectionReport(scores: scores, labels: dataset.labels, normalClasses: normal)
            if report == nil {
                throw DataError(source.name, "every \(split.rawValue) image is \(dataset.labels.allSatisfy { normal.contains(Int($0)) } ? "normal" : "anomalous") under --normal-classes \(ImageDataset.describe(normal)); AUROC needs both")
            }
        }
        if let out {
            try FileIO.writeAtomically(Array(scores.csv(labels: dataset.labels, normalClasses: normal).utf8), to: out)
            writeError("wrote \(out): \(scores.count) rows\n")
        }
        if let maps, mapCount > 0 {
            let images = ImageGrid.images(fromBatch: dataset.batch(Array(0..<mapCount)))
            let surpriseScale = log2(Double(vqvae.configuration.numEmbeddings))
            for (index, map) in result.maps.enumerated() {
                try PNGEncoder.write(AnomalyPicture.render(input: images[index], map: map, surpriseScale: surpriseScale),
                                     to: maps + "/" + mapFileName(index))
            }
            writeError("wrote \(mapCount) maps to \(maps)/\n")
        }
        if json {
            print(jsonObject(anomalyFields(scores: scores, report: report, rule: rule, referenceCount: reference.count, seconds: seconds)))
        } else {
            print(describeAnomalyScores(scores, report: report))
        }
    }

    /// Creates the maps folder and checks that a picture can be written into it.
    private func prepareMapsFolder(_ folder: String) throws {
        if FileIO.exists(folder) && !FileIO.isDirectory(folder) { throw DataError(folder, "is a file, expected a folder for the maps") }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError(folder, "cannot create the folder (\((error as NSError).localizedDescription))")
        }
        try FileIO.checkWritable(folder + "/" + mapFileName(0))
    }

    private func mapFileName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
    }
}

/// Loads a prior for anomaly scores: K must be the model's, and the prior unconditional.
func loadAnomalyPrior(_ path: String, for vqvae: VQVAE) throws -> any CodePrior {
    let prior = try PriorFile.load(path)
    guard prior.codebookSize == vqvae.configuration.numEmbeddings else {
        throw DataError(path, "the prior has \(prior.codebookSize) codes, the VQ-VAE \(vqvae.configuration.numEmbeddings)")
    }
    guard !prior.isConditional else {
        throw DataError(path, "the prior is class-conditional; anomaly scores need an unconditional prior (the class is what is unknown)")
    }
    return prior
}

/// The mean of each score and, with a report, its AUROC and AUPRC, as lines.
func describeAnomalyScores(_ scores: AnomalyScores, report: AnomalyDetectionReport?) -> String {
    var lines: [String] = []
    if let report {
        lines.append("normal classes \(ImageDataset.describe(report.normalClasses)): \(report.normalCount) normal, \(report.anomalyCount) anomalous images")
    }
    for score in scores.scores {
        let values = scores[score]!
        var line = "\(score.rawValue): mean \(format(values.reduce(0, +) / Double(max(values.count, 1)), 5))"
        if let figures = report?.figures[score] { line += ", AUROC \(format(figures.auroc, 4)), AUPRC \(format(figures.auprc, 4))" }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

/// The JSON keys of `vqvae anomaly score`: count, seconds, reference_count, scores (the score names),
/// mean (per score), combined_rule (means and deviations of log score over the reference), and with
/// normal classes normal_classes, normal_count, anomaly_count, auroc and auprc (per score).
func anomalyFields(scores: AnomalyScores, report: AnomalyDetectionReport?, rule: ScoreStandardization,
                   referenceCount: Int, seconds: Double) -> [String: String] {
    func perScore(_ value: (AnomalyScore) -> Double?) -> String {
        jsonObject(Dictionary(uniqueKeysWithValues: scores.scores.compactMap { score in value(score).map { (score.rawValue, "\($0)") } }))
    }
    var fields: [String: String] = [
        "count": "\(scores.count)", "seconds": format(seconds, 1), "reference_count": "\(referenceCount)",
        "scores": "[" + scores.scores.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]",
        "mean": perScore { score in scores[score].map { $0.reduce(0, +) / Double(max($0.count, 1)) } },
        "combined_rule": jsonObject([
            "components": "[" + rule.components.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]",
            "log_means": "[" + rule.means.map { "\($0)" }.joined(separator: ",") + "]",
            "log_deviations": "[" + rule.deviations.map { "\($0)" }.joined(separator: ",") + "]"]),
    ]
    if let report {
        fields["normal_classes"] = "[" + report.normalClasses.map { "\($0)" }.joined(separator: ",") + "]"
        fields["normal_count"] = "\(report.normalCount)"
        fields["anomaly_count"] = "\(report.anomalyCount)"
        fields["auroc"] = perScore { report.figures[$0]?.auroc }
        fields["auprc"] = perScore { report.figures[$0]?.auprc }
    }
    return fields
}
