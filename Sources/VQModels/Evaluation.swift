import VQData
import VQEngine
import VQNN

/// Test-set quality of a VQ-VAE: reconstruction error and how the codebook is used.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// Mean squared error per pixel (pixels in [−0.5, 0.5]).
    public var mse: Double
    /// MSE divided by the variance of the test pixels (as `torch_ref.py`).
    public var nmse: Double
    /// Peak signal-to-noise ratio in dB for a pixel range of 1: 10·log10(1 / MSE).
    public var psnr: Double
    /// exp(entropy) of the code frequencies over the whole test set.
    public var perplexity: Double
    /// The fraction of the K codes used at least once.
    public var codebookUsage: Double
    /// Codes never used on the test set.
    public var deadCodes: Int
    /// How often each code was used.
    public var usageHistogram: [Int]
}

extension VQVAE {
    /// Evaluates on every image of `dataset`, `batchSize` images at a time, recording nothing.
    public func evaluate(on dataset: ImageDataset, batchSize: Int = 500) -> EvaluationReport {
        var squaredError = 0.0
        var counts = [Int](repeating: 0, count: configuration.numEmbeddings)
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            let images = dataset.batch(Array(start..<min(start + batchSize, dataset.count)))
            let output = self(images)
            squaredError += Double(Tensor.mseLoss(output.reconstruction, images).item) * Double(images.count)
            for index in output.quantization.indices { counts[Int(index)] += 1 }
        }
        let mse = squaredError / Double(dataset.pixels.count)
        let used = counts.filter { $0 > 0 }.count
        return EvaluationReport(
            mse: mse, nmse: mse / dataset.pixelVariance, psnr: 10 * log10(1 / max(mse, 1e-20)),
            perplexity: Double(codePerplexity(counts)), codebookUsage: Double(used) / Double(counts.count),
            deadCodes: counts.count - used, usageHistogram: counts)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
