import ArgumentParser
import Foundation
import VQData
import VQModels
import VQNN

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model checkpoint: configuration, parameters, codebook.",
        discussion: """
            Prints the configuration, the metadata stored at training time, the learnable parameters of \
            the encoder, quantizer and decoder, and codebook statistics: code norms, distances between \
            codes (all pairs, and each code's nearest other code; over the first 4096 codes when K is \
            larger) and, for an EMA codebook, the cluster sizes.
            """)

    @Argument(help: "A model checkpoint (RUN/model.safetensors).") var model: String
    @Flag(help: "Print one JSON object instead of text.") var json = false

    /// What `--json` prints (keys in snake_case).
    struct Report: Encodable {
        var path: String
        var configuration: VQVAEConfiguration
        var metadata: [String: String]
        var parameters: [String: Int]
        /// One entry per quantizer stage.
        var codebooks: [CodebookStatistics]
    }

    func run() throws {
        try failingWithOneLine {
            let file = try SafeTensors(contentsOf: model)
            let vqvae = try VQVAE(checkpoint: file, path: model)
            var metadata = file.metadata
            metadata["configuration"] = nil
            metadata["format"] = nil
            let parameters = ["encoder": vqvae.encoder.parameterCount, "quantizer": vqvae.quantizer.parameterCount,
                              "decoder": vqvae.decoder.parameterCount, "total": vqvae.parameterCount]
            let report = Report(path: model, configuration: vqvae.configuration, metadata: metadata,
                                parameters: parameters, codebooks: vqvae.codebookStatistics)
            print(json ? try jsonText(report) : describe(report))
        }
    }

    func jsonText(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    func describe(_ report: Report) -> String {
        let c = report.configuration
        func summary(_ s: Summary) -> String { "min \(format(s.minimum, 4)), mean \(format(s.mean, 4)), max \(format(s.maximum, 4))" }
        var lines = [
            report.path,
            "  configuration: \(c.spatialRank == 2 ? "images" : "sequences"), \(c.inputChannels) input channels, hidden \(c.hiddenChannels), residual \(c.residualChannels) x \(c.residualBlocks) blocks, downsampling \(c.downsampling), D \(c.latentChannels)",
            "  quantizer: \(describeQuantizer(c.quantizer))",
        ]
        if c.stageResidualBlocks > 0 || c.dilationGrowth > 1 || c.conditionClasses > 0 || c.centersLatents || c.speakerAdversaryWeight > 0 {
            lines.append("  also: \(c.stageResidualBlocks) residual blocks per stage, dilation growth \(c.dilationGrowth), \(c.conditionClasses) condition classes\(c.centersLatents ? ", latents centred over time" : "")\(c.speakerAdversaryWeight > 0 ? ", speaker adversary weight \(c.speakerAdversaryWeight)" : "")")
        }
        if case .waveform(let weight, let resolutions, let mel) = c.reconstructionLoss {
            lines.append("  loss: waveform L1 x \(format(weight, 2)) + STFT at \(resolutions.map { "\($0.fftSize)/\($0.hopSize)/\($0.windowLength)" }.joined(separator: ", ")) (fft/hop/window)\(mel.map { " + log mel x \(format($0.weight, 2)) at \($0.sampleRate) Hz" } ?? "")")
        }
        if !report.metadata.isEmpty {
            lines.append("  metadata: " + report.metadata.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        let p = report.parameters
        let stateNote = c.quantizer.kind == .ema || (c.quantizer.kind == .rvq && c.quantizer.movingAverageStages)
            ? " (EMA codebooks are state, not parameters)" : ""
        lines.append("  parameters: encoder \(p["encoder"]!), quantizer \(p["quantizer"]!)\(stateNote), decoder \(p["decoder"]!), total \(p["total"]!)")
        for (stage, statistics) in report.codebooks.enumerated() {
            let name = report.codebooks.count > 1 ? "stage \(stage + 1) " : ""
            lines.append("  \(name)code norms: \(summary(statistics.norms))")
            lines.append("  \(name)distances between codes\(statistics.comparedCodes < statistics.numEmbeddings ? " (first \(statistics.comparedCodes) codes)" : ""): \(summary(statistics.pairwiseDistances)); to the nearest other code: \(summary(statistics.nearestNeighbourDistances))")
            if let sizes = statistics.clusterSizes {
                lines.append("  \(name)EMA cluster sizes: \(summary(sizes)); \(statistics.codesWithClusterSizeBelowOne ?? 0) codes below 1")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// The quantizer's settings in words, for `vqvae info`.
func describeQuantizer(_ q: QuantizerConfiguration) -> String {
    var parts: [String]
    switch q.kind {
    case .vq: parts = ["vq, K \(q.codebookSize), codebook by loss"]
    case .ema: parts = ["vq, K \(q.codebookSize), codebook by EMA (decay \(q.decay))"]
    case .rvq: parts = ["rvq, \(q.depth) stages of K \(q.codebookSize), codebooks by \(q.movingAverageStages ? "EMA (decay \(q.decay))" : "loss")\(q.quantizerDropout ? ", quantizer dropout" : "")"]
    case .fsq: parts = ["fsq, levels \(q.levels.map(String.init).joined(separator: ",")) (\(q.codebookSize) codes)"]
    }
    if q.kind != .fsq { parts.append("beta \(q.commitmentCost)") }
    if q.kMeansBatches > 0 { parts.append("k-means++ on \(q.kMeansBatches) batches") }
    if let dead = q.deadCodes {
        var rules: [String] = []
        if let patience = dead.patience { rules.append("unused for \(patience) steps") }
        if let minimum = dead.minimumUsage { rules.append("average use below \(format(minimum, 3)) of the uniform share (decay \(dead.usageDecay))") }
        parts.append("dead codes restarted when " + rules.joined(separator: " or "))
    }
    return parts.joined(separator: ", ")
}
