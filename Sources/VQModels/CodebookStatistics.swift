import VQEngine

/// The smallest, mean and largest of a set of numbers.
public struct Summary: Codable, Equatable, Sendable {
    public var minimum: Double
    public var mean: Double
    public var maximum: Double

    public init(minimum: Double, mean: Double, maximum: Double) {
        self.minimum = minimum
        self.mean = mean
        self.maximum = maximum
    }

    /// The summary of `values` (all zero when there are none).
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        var (minimum, maximum, sum, count) = (Double.infinity, -Double.infinity, 0.0, 0)
        for value in values {
            minimum = Swift.min(minimum, value)
            maximum = Swift.max(maximum, value)
            sum += value
            count += 1
        }
        self.minimum = count > 0 ? minimum : 0
        self.maximum = count > 0 ? maximum : 0
        mean = count > 0 ? sum / Double(count) : 0
    }
}

/// What a codebook (K, D) looks like: code lengths, how far apart codes are, and for an EMA codebook
/// its cluster sizes N.
public struct CodebookStatistics: Codable, Equatable, Sendable {
    public var numEmbeddings: Int
    public var embeddingDim: Int
    /// Euclidean norms ‖e_i‖ of the K codes.
    public var norms: Summary
    /// Euclidean distances ‖e_i − e_j‖ over all pairs i < j of the first `comparedCodes` codes.
    public var pairwiseDistances: Summary
    /// For each of those codes, the distance to its nearest other code (0: duplicates).
    public var nearestNeighbourDistances: Summary
    /// How many codes the distances cover: K, or the first 4096 when K is larger.
    public var comparedCodes: Int
    /// The EMA cluster sizes N_i (nil for a codebook learned by loss).
    public var clusterSizes: Summary?
    /// EMA codes whose cluster size is below 1 (hardly chosen lately; nil for a codebook learned by loss).
    public var codesWithClusterSizeBelowOne: Int?

    public static let maximumComparedCodes = 4096

    /// The statistics of `codebook` (K, D) and, for an EMA codebook, its cluster sizes (K).
    public init(codebook: Tensor, clusterSizes: Tensor? = nil) {
        precondition(codebook.rank == 2, "CodebookStatistics: codebook shape \(codebook.shape) is not (K, D)")
        let (k, d) = (codebook.shape[0], codebook.shape[1])
        let values = codebook.scalars
        numEmbeddings = k
        embeddingDim = d
        norms = Summary((0..<k).lazy.map { row in
            (0..<d).reduce(0.0) { $0 + Double(values[row * d + $1]) * Double(values[row * d + $1]) }.squareRoot()
        })
        comparedCodes = Swift.min(k, CodebookStatistics.maximumComparedCodes)
        var nearest = [Double](repeating: .infinity, count: comparedCodes)
        var (smallest, largest, total, pairs) = (Double.infinity, 0.0, 0.0, 0)
        for i in 0..<comparedCodes {
            for j in (i + 1)..<Swift.max(comparedCodes, i + 1) {
                var sum = 0.0
                for column in 0..<d {
                    let difference = Double(values[i * d + column]) - Double(values[j * d + column])
                    sum += difference * difference
                }
                let distance = sum.squareRoot()
                (smallest, largest, total, pairs) = (Swift.min(smallest, distance), Swift.max(largest, distance), total + distance, pairs + 1)
                nearest[i] = Swift.min(nearest[i], distance)
                nearest[j] = Swift.min(nearest[j], distance)
            }
        }
        pairwiseDistances = Summary(minimum: pairs > 0 ? smallest : 0, mean: pairs > 0 ? total / Double(pairs) : 0, maximum: largest)
        nearestNeighbourDistances = Summary(nearest.filter(\.isFinite))
        if let clusterSizes {
            let sizes = clusterSizes.scalars.map(Double.init)
            self.clusterSizes = Summary(sizes)
            codesWithClusterSizeBelowOne = sizes.filter { $0 < 1 }.count
        }
    }
}

extension VQVAE {
    /// The statistics of each quantizer stage's codebook (with EMA cluster sizes where the stage has
    /// them); for FSQ, of its implicit grid of codes.
    public var codebookStatistics: [CodebookStatistics] {
        let buffers = namedTensors
        return quantizer.codebooks.enumerated().map { stage, codebook in
            let prefix = quantizer.depth > 1 ? "quantizer.stages.\(stage)." : "quantizer."
            return CodebookStatistics(codebook: codebook, clusterSizes: buffers[prefix + "ema.cluster_sizes"])
        }
    }
}
