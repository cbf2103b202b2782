import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a trained VQ-VAE on the test split of a dataset.")

    @Option(help: "A model checkpoint (RUN/model.safetensors).") var model: String
    @Option(help: "Dataset: an IDX (MNIST-layout) folder or file, a CIFAR-10 binary folder, or a folder of PNG/PGM/PPM/JPEG images, labelled by sub-folder (default: the built-in shapes).") var data: String?
    @Option(help: "Seed of the built-in shapes (when no --data).") var seed: UInt64 = 0
    @Option(help: "A prior checkpoint (RUN/prior.safetensors): adds prior_bits_per_code, unigram_bits_per_code, bits_per_dim.")
    var prior: String?
    @Option(help: "Use the first k stages of a residual quantizer (default: all).") var depth: Int?
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
    }

    func run() throws { try failingWithOneLine(evaluate) }

    private func evaluate() throws {
        let vqvae = try VQVAE(contentsOf: model)
        let source = try DatasetSource.detect(data, seed: seed)
        let testSet = try source.load(.test)
        try vqvae.checkCompatible(testSet, source: source.name)
        if let depth, depth > vqvae.configuration.depth {
            throw DataError(model, "--depth \(depth) is more than the quantizer's \(vqvae.configuration.depth) stages")
        }
        let report = vqvae.evaluate(on: testSet, depth: depth)
        let priorReport = try prior.map { try evaluatePrior(at: $0, with: vqvae, on: testSet, named: source.name) }
        print(json ? jsonLine(report, extra: priorReport.map(priorFields) ?? [:])
                   : describe(report) + (priorReport.map { "; " + describe($0) } ?? ""))
    }
}


func describe(_ report: EvaluationReport) -> String {
    var text = "test MSE \(format(report.mse, 5)), NMSE \(format(report.nmse, 4)), PSNR \(format(report.psnr, 2)) dB, perplexity \(format(report.perplexity, 1)), codes used \(format(report.codebookUsage * 100, 1))% (\(report.deadCodes) dead)"
    if report.stages.count > 1 {
        text += "; per stage: " + report.stages.enumerated().map { index, stage in
            "\(index + 1): perplexity \(format(stage.perplexity, 1)), used \(format(stage.codebookUsage * 100, 1))%"
        }.joined(separator: ", ")
    }
    return text
}

/// The evaluation keys of the JSON contract: test_mse, test_nmse, psnr, depth, perplexity,
/// codebook_usage, dead_codes, usage_histogram (first stage), stage_perplexity, stage_codebook_usage,
/// stage_dead_codes (one entry per quantizer stage), plus `extra`.
func jsonLine(_ report: EvaluationReport, extra: [String: String]) -> String {
    var fields = extra
    fields["test_mse"] = "\(report.mse)"
    fields["test_nmse"] = "\(report.nmse)"
    fields["psnr"] = "\(report.psnr)"
    fields["perplexity"] = "\(report.perplexity)"
    fields["codebook_usage"] = "\(report.codebookUsage)"
    fields["dead_codes"] = "\(report.deadCodes)"
    fields["usage_histogram"] = "[" + report.usageHistogram.map { "\($0)" }.joined(separator: ",") + "]"
    fields["depth"] = "\(report.depth)"
    fields["stage_perplexity"] = "[" + report.stages.map { "\($0.perplexity)" }.joined(separator: ",") + "]"
    fields["stage_codebook_usage"] = "[" + report.stages.map { "\($0.codebookUsage)" }.joined(separator: ",") + "]"
    fields["stage_dead_codes"] = "[" + report.stages.map { "\($0.deadCodes)" }.joined(separator: ",") + "]"
    return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}
