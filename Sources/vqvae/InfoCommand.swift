import ArgumentParser
import Foundation
import VQData
import VQModels

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
        var codebook: CodebookStatistics
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
                                parameters: parameters, codebook: vqvae.codebookStatistics)
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
        let c = report.configuration, statistics = report.codebook
        func summary(_ s: Summary) -> String { "min \(format(s.minimum, 4)), mean \(format(s.mean, 4)), max \(format(s.maximum, 4))" }
        var lines = [
            report.path,
            "  configuration: \(c.inputChannels) input channels, hidden \(c.hiddenChannels), residual \(c.residualChannels) x \(c.residualBlocks) blocks, K \(c.numEmbeddings), D \(c.embeddingDim), beta \(c.commitmentCost), codebook by \(c.movingAverageCodebook ? "EMA (decay \(c.decay))" : "loss")",
        ]
        if !report.metadata.isEmpty {
            lines.append("  metadata: " + report.metadata.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        let p = report.parameters
        lines.append("  parameters: encoder \(p["encoder"]!), quantizer \(p["quantizer"]!)\(c.movingAverageCodebook ? " (the EMA codebook is state, not a parameter)" : ""), decoder \(p["decoder"]!), total \(p["total"]!)")
        lines.append("  code norms: \(summary(statistics.norms))")
        lines.append("  distances between codes\(statistics.comparedCodes < statistics.numEmbeddings ? " (first \(statistics.comparedCodes) codes)" : ""): \(summary(statistics.pairwiseDistances)); to the nearest other code: \(summary(statistics.nearestNeighbourDistances))")
        if let sizes = statistics.clusterSizes {
            lines.append("  EMA cluster sizes: \(summary(sizes)); \(statistics.codesWithClusterSizeBelowOne ?? 0) codes below 1")
        }
        return lines.joined(separator: "\n")
    }
}
