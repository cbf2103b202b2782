import VQData
import VQEngine
import VQNN

/// Test-set quality of a VQ-VAE: reconstruction error and how the codes are used.
///
/// For a residual quantizer the code figures are given per stage (`stages`), and the top-level ones
/// summarise them: `perplexity` and `codebookUsage` are the means over stages, `deadCodes` the sum,
/// `usageHistogram` the first stage's.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// Mean squared error per pixel (pixels in [−0.5, 0.5]).
    public var mse: Double
    /// MSE divided by the variance of the test pixels (as `torch_ref.py`).
    public var nmse: Double
    /// Peak signal-to-noise ratio in dB for a pixel range of 1: 10·log10(1 / MSE).
    public var psnr: Double
    /// The quantizer stages used.
    public var depth: Int
    /// exp(entropy) of the code frequencies over the whole test set (mean over stages).
    public var perplexity: Double
    /// The fraction of the K codes used at least once (mean over stages).
    public var codebookUsage: Double
    /// Codes never used on the test set (summed over stages).
    public var deadCodes: Int
    /// How often each code of the first stage was used.
    public var usageHistogram: [Int]
    /// Each stage's perplexity, usage and dead codes.
    public var stages: [StageFigures]

    /// The code figures of one quantizer stage.
    public struct StageFigures: Codable, Equatable, Sendable {
        public var perplexity: Double
        public var codebookUsage: Double
        public var deadCodes: Int
    }
}

extension VQVAE {
    /// Evaluates on every image of `dataset`, `batchSize` images at a time, recording nothing, with
    /// the first `depth` quantizer stages (all when nil).
    public func evaluate(on dataset: ImageDataset, depth: Int? = nil, batchSize: Int = 100) -> EvaluationReport {
        let stages = quantizer.resolvedDepth(depth)
        var squaredError = 0.0
        var usage = CodeUsage(depth: stages, codebookSize: configuration.numEmbeddings)
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            let images = dataset.batch(Array(start..<min(start + batchSize, dataset.count)))
            let output = self(images, depth: stages)
            squaredError += Double(Tensor.mseLoss(output.reconstruction, images).item) * Double(images.count)
            usage.record(output.quantization.indices, depth: stages)
        }
        let mse = squaredError / Double(dataset.pixels.count)
        let figures = zip(zip(usage.perplexities, usage.usages), usage.deadCodes).map {
            EvaluationReport.StageFigures(perplexity: $0.0, codebookUsage: $0.1, deadCodes: $1)
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        return EvaluationReport(
            mse: mse, nmse: mse / dataset.pixelVariance, psnr: 10 * log10(1 / max(mse, 1e-20)), depth: stages,
            perplexity: mean(figures.map(\.perplexity)), codebookUsage: mean(figures.map(\.codebookUsage)),
            deadCodes: figures.map(\.deadCodes).reduce(0, +), usageHistogram: usage.counts[0], stages: figures)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
