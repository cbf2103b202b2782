#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Testing
@testable import vqvae
import VQData
import VQEngine
import VQModels

/// `vqvae anomaly score`, `train --classes`, `prior train --classes` and `bench anomaly` end to end, in
/// process, on tiny models and the built-in shapes (labels 0-5): the CSV against the printed AUROCs,
/// the maps, the one-line errors.
@Suite(.serialized) struct AnomalyCommandsTests {
    static func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "/vqvae-anomaly-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A tiny untrained model for 28×28 images with `channels` channels, K 20, and an unconditional
    /// (or conditional) prior over its codes.
    static func writeModel(in folder: String, channels: Int = 1, priorClasses: Int = 0) throws {
        var generator = RandomGenerator(seed: 4)
        let configuration = VQVAEConfiguration(inputChannels: channels, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                               numEmbeddings: 20, embeddingDim: 4)
        try VQVAE(configuration, generator: &generator).checkpoint(metadata: VQVAE.imageSizeMetadata(height: 28, width: 28))
            .write(to: folder + "/model.safetensors")
        try PixelCNN(PixelCNNConfiguration(numEmbeddings: 20, channels: 8, layers: 2, outputChannels: 8, numClasses: priorClasses),
                     generator: &generator).checkpoint().write(to: folder + "/prior.safetensors")
    }

    static func run(_ arguments: [String]) throws {
        var command = try VQVAECommand.parseAsRoot(arguments)
        try command.run()
    }

    static func failure(_ arguments: [String]) -> String? {
        do { try run(arguments); return nil } catch { return VQVAECommand.message(for: error) }
    }

    /// Runs the command with standard output sent to a file; returns what it printed.
    static func output(_ arguments: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "/vqvae-anomaly-stdout-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fflush(nil)
        let saved = dup(STDOUT_FILENO)
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        dup2(file, STDOUT_FILENO)
        close(file)
        defer { unlink(path) }
        do {
            defer {
                fflush(nil)
                dup2(saved, STDOUT_FILENO)
                close(saved)
            }
            try run(arguments)
        }
        return String(decoding: try FileIO.read(path), as: UTF8.self)
    }

    /// The last line of `text` that is a JSON object, parsed.
    static func json(_ text: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    /// The columns of a scores CSV: name → values, and the anomalous flags.
    static func readCSV(_ path: String) throws -> (columns: [String: [Double]], anomalous: [Bool]) {
        let lines = String(decoding: try FileIO.read(path), as: UTF8.self).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        var columns: [String: [Double]] = [:], anomalous: [Bool] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            anomalous.append(fields[2] == "1")
            for (name, field) in zip(header, fields).dropFirst(3) { columns[name, default: []].append(Double(field)!) }
        }
        return (columns, anomalous)
    }

    /// AUROC by counting every (anomalous, normal) pair, ties ½: independent of `areaUnderROC`.
    static func pairwiseAUROC(_ scores: [Double], _ anomalous: [Bool]) -> Double {
        let positives = zip(scores, anomalous).filter { $0.1 }.map(\.0)
        let negatives = zip(scores, anomalous).filter { !$0.1 }.map(\.0).sorted()
        var count = 0.0
        for score in positives {
            // negatives below, and half of those equal, by binary search over the sorted negatives.
            var low = 0, high = negatives.count
            while low < high { let middle = (low + high) / 2; if negatives[middle] < score { low = middle + 1 } else { high = middle } }
            var equalEnd = low
            while equalEnd < negatives.count && negatives[equalEnd] == score { equalEnd += 1 }
            count += Double(low) + Double(equalEnd - low) / 2
        }
        return count / Double(positives.count * negatives.count)
    }

    @Test func scoreWritesACSVWhoseAUROCsAreThePrintedOnes() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.writeModel(in: folder)
        let printed = try Self.output(["anomaly", "score", "--model", folder + "/model.safetensors", "--prior", folder + "/prior.safetensors",
                                       "--normal-classes", "0,3", "--reference-count", "100", "--out", folder + "/scores.csv",
                                       "--maps", folder + "/maps", "--maps-limit", "3", "--json"])
        let json = try Self.json(printed)
        #expect(json["count"] as? Int == 2000 && json["normal_classes"] as? [Int] == [0, 3] && json["reference_count"] as? Int == 100)
        let (columns, anomalous) = try Self.readCSV(folder + "/scores.csv")
        #expect(anomalous.count == 2000 && json["anomaly_count"] as? Int == anomalous.filter { $0 }.count)
        #expect(Set(columns.keys) == ["reconstruction_error", "quantization_distance", "prior_surprise", "combined"])
        let auroc = json["auroc"] as? [String: Double] ?? [:]
        #expect(auroc.count == 4)
        for (name, values) in columns {
            #expect(abs(Self.pairwiseAUROC(values, anomalous) - auroc[name, default: -1]) < 1e-9, "\(name)")
        }
        // Maps: the first three test images, each beside its error and surprise maps.
        let maps = try FileManager.default.contentsOfDirectory(atPath: folder + "/maps").sorted()
        #expect(maps == ["000000.png", "000001.png", "000002.png"])
        let picture = try PNGDecoder.read(folder + "/maps/000001.png")
        #expect(picture.width == 3 * 28 + 4 && picture.height == 28 && picture.channels == 3)
    }

    @Test func badInputIsOneLineAndWritesNothing() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.writeModel(in: folder)
        let model = folder + "/model.safetensors"
        let csv = folder + "/scores.csv"
        // A CSV path that cannot be written: refused before any work.
        let unwritable = Self.failure(["anomaly", "score", "--model", model, "--out", folder + "/missing/scores.csv"])
        #expect(unwritable?.hasPrefix("\(folder)/missing/scores.csv: cannot create \(folder)/missing/scores.csv.partial-") == true, "\(unwritable ?? "")")
        #expect(unwritable?.hasSuffix("(No such file or directory)") == true && unwritable?.contains("\n") == false)
        #expect(Self.failure(["anomaly", "score", "--model", model, "--out", folder]) == "\(folder): is a folder, expected a file name")
        // Classes the data do not have.
        #expect(Self.failure(["anomaly", "score", "--model", model, "--normal-classes", "0,9", "--out", csv])
                == "built-in shapes (28x28): unknown class 9; the known classes are 0,1,2,3,4,5")
        #expect(Self.failure(["train", "--preset", "tiny", "--classes", "7,8", "--out", folder + "/run"])
                == "built-in shapes (28x28): unknown classes 7,8; the known classes are 0,1,2,3,4,5")
        #expect(Self.failure(["prior", "train", "--model", model, "--classes", "6", "--out", folder + "/prior"])
                == "built-in shapes (28x28): unknown class 6; the known classes are 0,1,2,3,4,5")
        // A model of other channels than the data.
        let rgb = folder + "/rgb"
        try FileManager.default.createDirectory(atPath: rgb, withIntermediateDirectories: true)
        try Self.writeModel(in: rgb, channels: 3)
        #expect(Self.failure(["anomaly", "score", "--model", rgb + "/model.safetensors", "--out", csv, "--maps", folder + "/maps"])
                == "built-in shapes (28x28): images have 1 channels, the model expects 3")
        // A class-conditional prior.
        let conditional = folder + "/conditional"
        try FileManager.default.createDirectory(atPath: conditional, withIntermediateDirectories: true)
        try Self.writeModel(in: conditional, priorClasses: 6)
        #expect(Self.failure(["anomaly", "score", "--model", model, "--prior", conditional + "/prior.safetensors", "--out", csv])
                == "\(conditional)/prior.safetensors: the prior is class-conditional; anomaly scores need an unconditional prior (the class is what is unknown)")
        #expect(!FileIO.exists(csv) && !FileIO.exists(folder + "/run") && !FileIO.exists(folder + "/prior"))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!left.contains { $0.contains(".partial-") }, "\(left)")
        let maps = try FileManager.default.contentsOfDirectory(atPath: folder + "/maps")
        #expect(maps.isEmpty, "\(maps)")
        #expect(throws: (any Error).self) { _ = try VQVAECommand.parseAsRoot(["anomaly", "score", "--model", model, "--normal-classes", "0,x"]) }
    }

    /// `train --classes` trains on those classes, saves them, and `--resume` keeps them (the data
    /// identity is of the restricted set, so resuming on the same classes is accepted); `prior train`
    /// takes the model's classes by default.
    @Test func trainingOnSomeClassesIsSavedAndResumed() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run"
        try Self.run(["train", "--preset", "tiny", "--steps", "2", "--batch", "4", "--classes", "1,2", "--out", run, "--save-every", "0"])
        let saved = try SavedRun(run: RunFolder(run))
        #expect(saved.options.classes == [1, 2])
        let expectedCount = ProceduralShapes.dataset(count: 12_000, seed: 0).labels.filter { $0 == 1 || $0 == 2 }.count
        #expect(saved.dataset.count == expectedCount)
        let metadata = try SafeTensors(contentsOf: run + "/model.safetensors").metadata
        #expect(TrainingOptions.recorded(in: metadata)?.classes == [1, 2])
        try Self.run(["train", "--resume", run])
        #expect(Self.failure(["train", "--resume", run, "--classes", "3"])?.contains("classes") == true)
        try Self.run(["prior", "train", "--model", run + "/model.safetensors", "--steps", "1", "--batch", "2", "--channels", "4",
                      "--layers", "1", "--output-channels", "4", "--out", folder + "/prior"])
        #expect(try SafeTensors(contentsOf: folder + "/prior/prior.safetensors").metadata["classes"] == "1,2")
    }

    @Test(arguments: [AnomalyScoreCommand.self, BenchAnomalyCommand.self] as [ParsableCommand.Type])
    func helpExplainsEveryOptionWithItsDefault(command: ParsableCommand.Type) {
        let help = VQVAECommand.helpMessage(for: command, columns: 1000).replacingOccurrences(of: ">\n   ", with: "> ")
        let optionLines = help.split(separator: "\n").filter { $0.hasPrefix("  --") && !$0.contains("--help") }
        #expect(optionLines.count > 5)
        for line in optionLines {
            #expect(line.contains("default") || line.contains("Required") || line.contains("--json"), "\(line)")
        }
    }

    /// `bench anomaly` on a small IDX folder: a JSON line with mean_auroc and auroc per class, each the
    /// AUROC of the headline score's column (prior_surprise, with a prior) of that class's CSV, and the
    /// combined column equal to the rule applied with reference.csv.
    @Test func benchRunsTheOneClassProtocol() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let train = ProceduralShapes.dataset(count: 60, seed: 1), test = ProceduralShapes.dataset(count: 40, seed: 2)
        for (name, set) in [("train", train), ("t10k", test)] {
            try FileIO.writeAtomically(IDXFile(shape: [set.count, 28, 28], bytes: set.pixels).encoded, to: folder + "/\(name)-images-idx3-ubyte")
            try FileIO.writeAtomically(IDXFile(shape: [set.count], bytes: set.labels.map { UInt8($0) }).encoded,
                                       to: folder + "/\(name)-labels-idx1-ubyte")
        }
        let printed = try Self.output(["bench", "anomaly", "--data", folder, "--classes", "0,2", "--preset", "tiny", "--steps", "2",
                                       "--batch", "4", "--prior-steps", "2", "--prior-channels", "4", "--prior-layers", "1",
                                       "--prior-output-channels", "4", "--out", folder + "/bench", "--json"])
        let json = try Self.json(printed)
        let auroc = json["auroc"] as? [String: Double] ?? [:]
        #expect(Set(auroc.keys) == ["0", "2"])
        #expect(abs((json["mean_auroc"] as? Double ?? -1) - (auroc["0", default: 0] + auroc["2", default: 0]) / 2) < 1e-12)
        let byScore = json["auroc_by_score"] as? [String: [String: Double]] ?? [:]
        #expect(Set(byScore.keys) == ["reconstruction_error", "quantization_distance", "prior_surprise", "combined"])
        #expect(json["best_score"] as? String == "prior_surprise")
        for normalClass in ["0", "2"] {
            let (columns, anomalous) = try Self.readCSV(folder + "/bench/class-\(normalClass)/scores.csv")
            for (name, values) in columns {
                #expect(abs(Self.pairwiseAUROC(values, anomalous) - (byScore[name]?[normalClass] ?? -1)) < 1e-9, "\(normalClass) \(name)")
            }
            #expect(abs(Self.pairwiseAUROC(columns["prior_surprise"]!, anomalous) - auroc[normalClass, default: -1]) < 1e-9)
            // The combined column is the rule fitted on reference.csv (the class's training images).
            let reference = try Self.readCSV(folder + "/bench/class-\(normalClass)/reference.csv").columns
            let measured = AnomalyScore.measured.map { ($0, reference[$0.rawValue]!) }
            let rule = ScoreStandardization(reference: AnomalyScores(Dictionary(uniqueKeysWithValues: measured)))
            let recomputed = rule.combined(AnomalyScores(Dictionary(uniqueKeysWithValues: AnomalyScore.measured.map { ($0, columns[$0.rawValue]!) })))
            #expect(zip(recomputed, columns["combined"]!).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($0)) })
            #expect(FileIO.exists(folder + "/bench/class-\(normalClass)/model.safetensors"))
            #expect(FileIO.exists(folder + "/bench/class-\(normalClass)/prior.safetensors"))
        }
    }
}
