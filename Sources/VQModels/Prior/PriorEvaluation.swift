import VQData
import VQEngine

/// Test-set likelihoods of a VQ-VAE with its learnt prior.
public struct PriorEvaluationReport: Codable, Equatable, Sendable {
    /// −log₂ p(z) of the test codes under the prior, per code.
    public var priorBitsPerCode: Double
    /// Entropy of the test codes' frequencies (`unigramBitsPerCode`), per code: the context-free baseline.
    public var unigramBitsPerCode: Double
    /// −log₂ p(x | z) under the discretised Gaussian decoder likelihood, per input dimension (pixel value).
    public var reconstructionBitsPerDimension: Double
    /// (−log₂ p(x | z) − log₂ p(z)) / dimensions: the paper's bits per dimension, with z the encoder's codes.
    public var bitsPerDimension: Double
    /// σ of the decoder likelihood (`DiscretizedGaussian`), fitted as √MSE of the reconstructions.
    public var decoderScale: Double
}

extension VQVAE {
    /// Encodes every image of `dataset` (`batchSize` at a time, recording nothing; the first quantizer
    /// stage, which the prior models), scores its codes under `prior` (with the dataset's labels when
    /// the prior is conditional) and its pixels, decoded from those codes, under the decoder likelihood
    /// `DiscretizedGaussian` with σ = √MSE over the set.
    ///
    /// bits per dimension = Σ_images (−log₂ p(x | z) − log₂ p(z)) / (images · C · H · W), where z is the
    /// grid of nearest codes (the VQ-VAE's deterministic posterior) and p(z) the prior.
    public func evaluatePrior(_ prior: any CodePrior, on dataset: ImageDataset, batchSize: Int = 100) -> PriorEvaluationReport {
        precondition(!prior.isConditional || dataset.labels.count == dataset.count,
                     "evaluatePrior: a class-conditional prior needs a labelled dataset")
        var allCodes: [Int32] = []
        var means: [Float] = []
        means.reserveCapacity(dataset.pixels.count)
        var priorNats = 0.0, squaredError = 0.0
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        let (height, width) = (grid[0], grid[1])
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, dataset.count))
            let images = dataset.batch(indices)
            let codes = encode(images, depth: 1)
            let reconstruction = decode(codes, batch: indices.count, gridShape: grid)
            squaredError += Double(Tensor.mseLoss(reconstruction, images).item) * Double(images.count)
            means += reconstruction.scalars
            let labels = prior.isConditional ? indices.map { dataset.labels[$0] } : nil
            let batch = CodeBatch(codes: codes, count: indices.count, height: height, width: width, labels: labels)
            priorNats += Double(prior.loss(for: batch).item)
                * Double(codes.count)
            allCodes += codes
        }
        let dimensions = Double(dataset.pixels.count)
        let likelihood = DiscretizedGaussian(scale: max((squaredError / dimensions).squareRoot(), 1e-4))
        var reconstructionBits = 0.0
        for (byte, mean) in zip(dataset.pixels, means) { reconstructionBits += likelihood.bits(byte: byte, mean: mean) }
        let priorBits = priorNats / 0.6931471805599453
        return PriorEvaluationReport(
            priorBitsPerCode: priorBits / Double(allCodes.count),
            unigramBitsPerCode: unigramBitsPerCode(allCodes, numEmbeddings: configuration.numEmbeddings),
            reconstructionBitsPerDimension: reconstructionBits / dimensions,
            bitsPerDimension: (reconstructionBits + priorBits) / dimensions,
            decoderScale: likelihood.scale)
    }
}

extension CodePrior {
    /// Mean −log₂ p of `grids`' codes under the prior, in bits per code (scored `batchSize` grids at a
    /// time with their labels and context maps, recording nothing): a held-out figure for a prior
    /// trained on other grids.
    public func bitsPerCode(on grids: CodeGrids, batchSize: Int = 64) -> Double {
        var nats = 0.0
        for start in stride(from: 0, to: grids.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, grids.count))
            let drawn = grids.batch(indices)
            let batch = CodeBatch(codes: drawn.codes, count: indices.count, height: grids.height, width: grids.width,
                                  labels: isConditional ? drawn.labels : nil, context: grids.context(of: indices))
            nats += Double(loss(for: batch).item) * Double(drawn.codes.count)
        }
        return nats / 0.6931471805599453 / Double(grids.codes.count)
    }
}
