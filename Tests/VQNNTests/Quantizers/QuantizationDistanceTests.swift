import Testing
import VQEngine
@testable import VQNN
import _VQTestSupport

/// `Quantizer.quantizationDistances`: the codes `encode` gives and each row's squared distance to
/// what they stand for, by hand.
@Suite struct QuantizationDistanceTests {
    /// Codebook rows (0, 0) and (1, 1); rows (0.1, −0.2) → code 0 at 0.01 + 0.04 = 0.05,
    /// (2, 1) → code 1 at 1 + 0 = 1.
    @Test func vectorQuantizerMeasuresToTheNearestCode() {
        var generator = RandomGenerator(seed: 0)
        var quantizer = VectorQuantizer(numEmbeddings: 2, embeddingDim: 2, generator: &generator)
        quantizer.codebook = Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
        let rows = Tensor(shape: [2, 2], scalars: [0.1, -0.2, 2, 1])
        let (indices, distances) = quantizer.quantizationDistances(rows, depth: nil)
        #expect(indices == [0, 1] && indices == quantizer.encode(rows))
        expectClose(distances, [0.05, 1], absolute: 1e-6, relative: 1e-6)
    }

    /// Two stages: stage 1 codes (0, 0), (2, 2); stage 2 codes (0, 0), (0.5, 0.5). The row (2.6, 2.4)
    /// takes (2, 2) then (0.5, 0.5): what is left is (0.1, −0.1), distance 0.02; with the first stage only, 0.52.
    @Test func residualQuantizerMeasuresToTheSumOfItsStages() {
        var generator = RandomGenerator(seed: 0)
        var first = VectorQuantizer(numEmbeddings: 2, embeddingDim: 2, generator: &generator)
        var second = VectorQuantizer(numEmbeddings: 2, embeddingDim: 2, generator: &generator)
        first.codebook = Tensor(shape: [2, 2], scalars: [0, 0, 2, 2])
        second.codebook = Tensor(shape: [2, 2], scalars: [0, 0, 0.5, 0.5])
        let quantizer = ResidualVectorQuantizer(stages: [first, second])
        let rows = Tensor(shape: [1, 2], scalars: [2.6, 2.4])
        let full = quantizer.quantizationDistances(rows, depth: nil)
        #expect(full.indices == [1, 1])
        expectClose(full.squaredDistances, [0.02], absolute: 1e-6, relative: 1e-5)
        let one = quantizer.quantizationDistances(rows, depth: 1)
        #expect(one.indices == [1])
        expectClose(one.squaredDistances, [0.52], absolute: 1e-6, relative: 1e-5)
    }

    /// FSQ measures in its output space: the hand rows of FiniteScalarQuantizerTests, levels [8, 5, 3].
    /// Row (0.5, −0.3, 0.6): bounded (1.487922, −0.583208, 0.537587) / (4, 2, 1) = (0.371981, −0.291604, 0.537587),
    /// code output (0.25, −0.5, 1): distance 0.121981² + 0.208396² + 0.462413² = 0.272134.
    /// Row (0, 0, 0): bounded 0, code 0, distance 0.
    @Test func finiteScalarQuantizerMeasuresInItsBoundedSpace() {
        let quantizer = FiniteScalarQuantizer(levels: [8, 5, 3])
        let rows = Tensor(shape: [2, 3], scalars: [0.5, -0.3, 0.6, 0, 0, 0])
        let (indices, distances) = quantizer.quantizationDistances(rows, depth: nil)
        #expect(indices == [93, 60] && indices == quantizer.encode(rows))
        expectClose(distances, [0.272134, 0], absolute: 2e-6, relative: 1e-5)
    }
}
