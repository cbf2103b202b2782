import VQEngine

/// The state of a codebook learned by exponential moving averages (VQ-VAE paper, appendix A.1).
///
/// For each code i with n_i vectors z_{i,j} assigned in a batch:
///   N_i ← γ·N_i + (1−γ)·n_i                    (cluster sizes, `clusterSizes`)
///   m_i ← γ·m_i + (1−γ)·Σ_j z_{i,j}             (`embeddingSums`)
///   e_i = m_i / Ñ_i,  Ñ_i = (N_i + ε) / (Σ N + K·ε) · Σ N   (Laplace smoothing, so unused codes
///                                                           never divide by zero)
/// with decay γ = 0.99 and ε = 1e-5, as the PyTorch reference (`torch_ref.py`), with one departure:
/// a code whose cluster size N_i is below `minimumClusterSize` (chosen less than once in a thousand
/// batches lately, or never) keeps its vector, and its sum is reset to e_i·Ñ_i to stay consistent.
/// The reference divides such a code's decayed sum by Ñ_i ≈ ε, which throws a never-chosen code to a
/// norm of ~1e5 at the first step (its fixture shows 1.5e5 to 2.4e5), where it can never be chosen
/// again; kept in place it stays a candidate, and a dead-code restart can still move it.
public struct CodebookMovingAverages {
    /// N, (K).
    public var clusterSizes: Tensor
    /// m, (K, D).
    public var embeddingSums: Tensor
    public var decay: Float
    public var epsilon: Float

    /// Below this cluster size a code keeps its vector (see the type's comment).
    public static let minimumClusterSize: Float = 1e-3

    /// Starts from `codebook` with zero cluster sizes (the reference's initial state).
    public init(codebook: Tensor, decay: Float = 0.99, epsilon: Float = 1e-5) {
        clusterSizes = Tensor(zeros: [codebook.shape[0]])
        embeddingSums = codebook.detached()
        self.decay = decay
        self.epsilon = epsilon
    }

    /// Folds in one batch, `inputs` (M, D) assigned to codes `indices` (M), and moves `codebook`
    /// (K, D) to m / Ñ, leaving codes below `minimumClusterSize` where they are.
    public mutating func update(with inputs: Tensor, indices: [Int32], codebook: inout Tensor) {
        let statistics = CodebookMovingAverages.batchStatistics(of: inputs, indices: indices, codes: clusterSizes.count)
        update(statistics: statistics, codebook: &codebook)
    }

    /// One batch's per-code figures laid end to end: the counts n_i (K), then the sums Σ_j z_{i,j}
    /// (K·D, code-major) of `inputs` (M, D) assigned to codes `indices` (M), summed in row order.
    /// Figures of several processes' shares of a batch add up to the whole batch's.
    public static func batchStatistics(of inputs: Tensor, indices: [Int32], codes k: Int) -> [Float] {
        let d = inputs.shape[1]
        var statistics = [Float](repeating: 0, count: k + k * d)
        statistics.withUnsafeMutableBufferPointer { figures in
            inputs.withUnsafeBufferPointer { z in
                for (row, code) in indices.enumerated() {
                    let c = Int(code)
                    figures[c] += 1
                    for j in 0..<d { figures[k + c * d + j] += z[row * d + j] }
                }
            }
        }
        return statistics
    }

    /// Folds in one batch given by its `batchStatistics` (counts, then sums: the global batch's when
    /// several processes share it) and moves `codebook` (K, D) to m / Ñ, leaving codes below
    /// `minimumClusterSize` where they are.
    public mutating func update(statistics: [Float], codebook: inout Tensor) {
        let (k, d) = (clusterSizes.count, embeddingSums.shape[1])
        precondition(statistics.count == k + k * d, "CodebookMovingAverages.update: \(statistics.count) figures, not K + K·D = \(k + k * d)")
        let (keep, take) = (decay, 1 - decay)
        statistics.withUnsafeBufferPointer { figures in
            clusterSizes.withUnsafeMutableBufferPointer { sizes in
                for i in 0..<k { sizes[i] = keep * sizes[i] + take * figures[i] }
            }
            embeddingSums.withUnsafeMutableBufferPointer { m in
                for i in 0..<(k * d) { m[i] = keep * m[i] + take * figures[k + i] }
            }
        }
        codebook = self.codebook(keeping: codebook)
    }

    /// The Laplace-smoothed cluster sizes Ñ, (K).
    public func smoothedClusterSizes() -> [Float] {
        let (k, sizes) = (clusterSizes.count, clusterSizes.scalars)
        let total = sizes.reduce(0, +)
        return sizes.map { ($0 + epsilon) / (total + Float(k) * epsilon) * total }
    }

    /// The codebook e = m / Ñ, (K, D), with the rows of codes below `minimumClusterSize` taken from
    /// `current`, whose sums are reset to match.
    mutating func codebook(keeping current: Tensor) -> Tensor {
        let (k, d) = (clusterSizes.count, embeddingSums.shape[1])
        let smoothed = smoothedClusterSizes(), sizes = clusterSizes.scalars
        var result = embeddingSums.detached()
        let previous = current.scalars
        result.withUnsafeMutableBufferPointer { e in
            embeddingSums.withUnsafeMutableBufferPointer { m in
                for i in 0..<k {
                    if sizes[i] < CodebookMovingAverages.minimumClusterSize {
                        for j in 0..<d {
                            e[i * d + j] = previous[i * d + j]
                            m[i * d + j] = previous[i * d + j] * smoothed[i]
                        }
                    } else {
                        for j in 0..<d { e[i * d + j] /= smoothed[i] }
                    }
                }
            }
        }
        return result
    }

    /// The codebook e = m / Ñ, (K, D), as the reference computes it (no code kept in place).
    public func codebook() -> Tensor {
        let (k, d) = (clusterSizes.count, embeddingSums.shape[1])
        let smoothed = smoothedClusterSizes()
        var result = embeddingSums.detached()
        result.withUnsafeMutableBufferPointer { e in
            for i in 0..<k {
                for j in 0..<d { e[i * d + j] /= smoothed[i] }
            }
        }
        return result
    }
}
