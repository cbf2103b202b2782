import VQEngine

/// Nearest-code vector quantization with a straight-through gradient (van den Oord et al. 2017).
///
/// Each D-vector of the encoder output z_e is replaced by its nearest codebook row e (squared
/// Euclidean distance, one matrix product for all vectors at once). The decoder's gradient is copied
/// straight through to z_e. Two losses train the codebook and the encoder:
///   codebook loss    ‖sg[z_e] − e‖²       (mean over elements; moves the codes)
///   commitment loss  β·‖z_e − sg[e]‖²     (keeps the encoder near its codes; β = 0.25)
/// With `movingAverages` set, the codebook is learned by exponential moving averages instead
/// (paper appendix A.1): no codebook loss, no codebook gradient.
public struct VectorQuantizer: Layer {
    /// The codes, (numEmbeddings K, embeddingDim D).
    public var codebook: Tensor
    /// β, the weight of the commitment loss.
    public var commitmentCost: Float
    /// The moving-average state when the codebook is learned by EMA; `nil` when learned by loss.
    public var movingAverages: CodebookMovingAverages?

    public var numEmbeddings: Int { codebook.shape[0] }
    public var embeddingDim: Int { codebook.shape[1] }

    /// A codebook learned by loss, initialised U(−1/K, 1/K) as in the Sonnet/PyTorch reference.
    public init(numEmbeddings: Int, embeddingDim: Int, commitmentCost: Float = 0.25, generator: inout RandomGenerator) {
        let bound = 1 / Float(numEmbeddings)
        codebook = Tensor(uniform: [numEmbeddings, embeddingDim], low: -bound, high: bound, generator: &generator)
        self.commitmentCost = commitmentCost
    }

    /// A codebook learned by exponential moving averages, initialised N(0, 1) as in the reference.
    public init(movingAverageCodes numEmbeddings: Int, embeddingDim: Int, commitmentCost: Float = 0.25,
                decay: Float = 0.99, epsilon: Float = 1e-5, generator: inout RandomGenerator) {
        codebook = Tensor(normal: [numEmbeddings, embeddingDim], generator: &generator)
        self.commitmentCost = commitmentCost
        movingAverages = CodebookMovingAverages(codebook: codebook, decay: decay, epsilon: epsilon)
    }

    /// Only a loss-learned codebook is a parameter; an EMA codebook is state (see `forEachBuffer`).
    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        if movingAverages == nil { body("codebook", &codebook) }
    }

    /// What quantizing a batch gives.
    public struct Output {
        /// The quantized vectors with the straight-through gradient, (N, D, H, W).
        public var quantized: Tensor
        /// The chosen code of each vector, in (N, H, W) order.
        public var indices: [Int32]
        /// ‖sg[z_e] − e‖² (zero with an EMA codebook).
        public var codebookLoss: Tensor
        /// ‖z_e − sg[e]‖², not yet multiplied by β.
        public var commitmentLoss: Tensor
        /// The encoder outputs as rows, (N·H·W, D), detached (for EMA updates and restarts).
        public var flatInputs: Tensor
    }

    /// Quantizes encoder outputs `input` (N, D, H, W).
    public func callAsFunction(_ input: Tensor) -> Output {
        precondition(input.rank == 4 && input.shape[1] == embeddingDim,
                     "VectorQuantizer: input shape \(input.shape) is not (N, \(embeddingDim), H, W)")
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        let flat = input.permuted([0, 2, 3, 1]).reshaped(to: [-1, embeddingDim])  // (N·H·W, D)
        let indices = flat.detached().nearestRows(in: codebook.detached()).indices
        let chosen = codebook.gathered(rows: indices)                              // (N·H·W, D)
        let codebookLoss = movingAverages == nil ? Tensor.mseLoss(chosen, flat.detached()) : Tensor(0)
        let commitmentLoss = Tensor.mseLoss(flat, chosen.detached())
        let straightThrough = flat + (chosen - flat).detached()
        let quantized = straightThrough.reshaped(to: [n, h, w, embeddingDim]).permuted([0, 3, 1, 2])
        return Output(quantized: quantized, indices: indices, codebookLoss: codebookLoss,
                      commitmentLoss: commitmentLoss, flatInputs: flat.detached())
    }

    /// The codes of encoder outputs (N, D, H, W), in (N, H, W) order; nothing is recorded.
    public func encode(_ input: Tensor) -> [Int32] {
        input.detached().permuted([0, 2, 3, 1]).reshaped(to: [-1, embeddingDim]).nearestRows(in: codebook).indices
    }

    /// The code vectors of `indices` laid out as (N, D, H, W).
    public func decodeCodes(_ indices: [Int32], batch: Int, height: Int, width: Int) -> Tensor {
        codebook.detached().gathered(rows: indices).reshaped(to: [batch, height, width, embeddingDim]).permuted([0, 3, 1, 2])
    }

    /// Moves an EMA codebook towards the mean of the vectors assigned to each code (training only).
    public mutating func updateMovingAverages(_ output: Output) {
        guard var averages = movingAverages else { return }
        averages.update(with: output.flatInputs, indices: output.indices)
        codebook = averages.codebook()
        movingAverages = averages
    }
}

/// Perplexity exp(−Σ p log p) of code usage counts: the effective number of codes used
/// (1e-10 inside the log, as the reference).
public func codePerplexity(_ counts: [Int]) -> Float {
    let total = Double(counts.reduce(0, +))
    guard total > 0 else { return 0 }
    var entropy = 0.0
    for count in counts where count > 0 {
        let p = Double(count) / total
        entropy -= p * _log(p + 1e-10)
    }
    return Float(_exp(entropy))
}

/// How often each of `numEmbeddings` codes occurs in `indices`.
public func codeCounts(_ indices: [Int32], numEmbeddings: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: numEmbeddings)
    for index in indices { counts[Int(index)] += 1 }
    return counts
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
