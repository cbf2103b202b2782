import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// The quantizer on a hand example small enough to work on paper.
///
/// Codebook (K 3, D 2): e0 = (0, 0), e1 = (1, 0), e2 = (0, 2). Input rows (M 2, D 2): z0 = (0.2, 0.1) and
/// z1 = (0.9, 0.3).
/// Squared distances: z0 → (0.05, 0.65, 3.65), so e0; z1 → (0.9, 0.1, 3.7), so e1.
/// z − e: z0 − e0 = (0.2, 0.1), z1 − e1 = (−0.1, 0.3); Σ(z − e)² = 0.04 + 0.01 + 0.01 + 0.09 = 0.15 over 4 elements,
/// so codebook loss = commitment loss = 0.15 / 4 = 0.0375.
@Suite struct VectorQuantizerTests {
    static var codebook: Tensor { Tensor(shape: [3, 2], scalars: [0, 0, 1, 0, 0, 2]) }
    static var input: Tensor { Tensor(shape: [2, 2], scalars: [0.2, 0.1, 0.9, 0.3]) }

    static func quantizer() -> VectorQuantizer {
        var generator = RandomGenerator(seed: 0)
        var quantizer = VectorQuantizer(numEmbeddings: 3, embeddingDim: 2, commitmentCost: 0.25, generator: &generator)
        quantizer.codebook = codebook
        return quantizer
    }

    @Test func picksTheNearestCodeAndComputesBothLosses() {
        let output = Self.quantizer()(Self.input)
        #expect(output.indices == [0, 1] && output.depth == 1)
        #expect(output.quantized.shape == [2, 2])
        expectClose(output.quantized.scalars, [0, 0, 1, 0], absolute: 0, relative: 0, "quantized rows e0, e1")
        expectClose([output.codebookLoss.item], [0.0375], absolute: 1e-7, relative: 1e-6, "codebook loss")
        expectClose([output.commitmentLoss.item], [0.0375], absolute: 1e-7, relative: 1e-6, "commitment loss")
        expectClose(output.stages[0].inputs.scalars, [0.2, 0.1, 0.9, 0.3], absolute: 0, relative: 0, "stage inputs (rows z0, z1)")
        #expect(Self.quantizer().encode(Self.input) == [0, 1])
        expectClose(Self.quantizer().decode([2, 0], depth: 1).scalars, [0, 2, 0, 0], absolute: 0, relative: 0, "decode: e2, e0")
    }

    /// L = Σ c·quantized + codebookLoss + β·commitmentLoss, c = [1, 2, 3, 4] (rows), β = 0.25.
    /// Straight through: ∂L/∂z = c + β·2(z − sg[e])/4, i.e. by rows
    ///   β·(z − e)/2 = 0.125·[0.2, 0.1, −0.1, 0.3] = [0.025, 0.0125, −0.0125, 0.0375].
    /// The codebook gets only the codebook loss's gradient 2(e − sg[z])/4 on the chosen rows:
    ///   e0: (−0.1, −0.05), e1: (0.05, −0.15), e2: (0, 0); the upstream c never reaches it.
    @Test func straightThroughGradient() {
        let tape = Tape()
        var quantizer = Self.quantizer()
        let input = tape.watch(Self.input)
        quantizer.codebook = tape.watch(Self.codebook)
        let output = quantizer(input)
        let upstream = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let loss = (output.quantized * upstream).sum() + output.codebookLoss + 0.25 * output.commitmentLoss
        let gradients = tape.gradients(of: loss, withRespectTo: [input, quantizer.codebook])
        expectClose(gradients[0].scalars, [1.025, 2.0125, 2.9875, 4.0375], absolute: 1e-6, relative: 1e-6, "∂L/∂z")
        expectClose(gradients[1].scalars, [-0.1, -0.05, 0.05, -0.15, 0, 0], absolute: 1e-7, relative: 1e-6, "∂L/∂codebook")
    }

    /// EMA update by hand (decay γ 0.9, ε 0.1 so the smoothing shows), K 2, D 2.
    /// Codebook e0 = (1, 1), e1 = (−1, 0); N = (0, 0), m = codebook (the initial state).
    /// Vectors (1, 2) and (3, 4) (both nearest to e0: distances 1 and 13 vs 8 and 32): n = (2, 0), Σz = ((4, 6), (0, 0)).
    ///   N = 0.9·0 + 0.1·(2, 0) = (0.2, 0)
    ///   m = 0.9·((1, 1), (−1, 0)) + 0.1·((4, 6), (0, 0)) = ((1.3, 1.5), (−0.9, 0))
    ///   Ñ = (N + ε) / (ΣN + Kε) · ΣN = (0.3, 0.1) / 0.4 · 0.2 = (0.15, 0.05)
    ///   e0 = m0 / Ñ0 = (8.6667, 10)
    /// The same formula as torch_ref.py's VQ.forward (cs, ew, emb.weight) for e0. e1 was never chosen
    /// (N1 = 0 < `minimumClusterSize`): it keeps (−1, 0), where the reference would give m1 / Ñ1 = (−18, 0),
    /// and its sum is reset to e1·Ñ1 = (−0.05, 0).
    @Test func movingAverageUpdateByHand() {
        var generator = RandomGenerator(seed: 0)
        var quantizer = VectorQuantizer(movingAverageCodes: 2, embeddingDim: 2, decay: 0.9, epsilon: 0.1, generator: &generator)
        quantizer.codebook = Tensor(shape: [2, 2], scalars: [1, 1, -1, 0])
        quantizer.movingAverages = CodebookMovingAverages(codebook: quantizer.codebook, decay: 0.9, epsilon: 0.1)
        #expect(quantizer.parameterNames.isEmpty)  // an EMA codebook is state, not a parameter
        let output = quantizer(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(output.indices == [0, 0])
        #expect(output.codebookLoss.item == 0)
        quantizer.updateMovingAverages(output.stages[0])
        let averages = quantizer.movingAverages!
        expectClose(averages.clusterSizes.scalars, [0.2, 0], absolute: 1e-7, relative: 1e-6, "cluster sizes")
        expectClose(averages.embeddingSums.scalars, [1.3, 1.5, -0.05, 0], absolute: 1e-7, relative: 1e-6, "embedding sums")
        expectClose(quantizer.codebook.scalars, [1.3 / 0.15, 10, -1, 0], absolute: 1e-6, relative: 1e-5, "codebook")
        expectClose(averages.codebook().scalars, [1.3 / 0.15, 10, -1, 0], absolute: 1e-6, relative: 1e-5, "m / Ñ agrees")
    }

    /// The perplexity of code counts: uniform use of 4 codes → 4; one code → 1.
    @Test func perplexity() {
        expectClose([codePerplexity([5, 5, 5, 5, 0])], [4], absolute: 1e-5, relative: 1e-5, "uniform")
        expectClose([codePerplexity([0, 7, 0])], [1], absolute: 1e-5, relative: 1e-5, "one code")
        #expect(codeCounts([2, 0, 2, 2], numEmbeddings: 3) == [1, 0, 3])
    }
}
