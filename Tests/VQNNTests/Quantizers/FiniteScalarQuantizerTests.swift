#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import VQEngine
@testable import VQNN
import _VQTestSupport

/// FSQ (Mentzer et al. 2023) against hand computations of its bound / round / normalise formula.
///
/// Levels [8, 5, 3]. Per dimension, half = (L − 1)(1 + 10⁻³)/2, offset = ½ for even L, shift = atanh(offset/half):
///   L 8: half 3.5035, offset 0.5, shift atanh(0.5/3.5035) = 0.1436954, ⌊L/2⌋ 4
///   L 5: half 2.002,  offset 0,   shift 0,                              ⌊L/2⌋ 2
///   L 3: half 1.001,  offset 0,   shift 0,                              ⌊L/2⌋ 1
/// bounded = tanh(z + shift)·half − offset, q = round(bounded), output = q/⌊L/2⌋, digit = q + ⌊L/2⌋,
/// index = d₀ + 8·d₁ + 40·d₂ (first dimension least significant):
///   z = (0, 0, 0):          bounded (0, 0, 0)                     q (0, 0, 0)    output (0, 0, 0)        digits (4, 2, 1) → 60
///   z = (100, −100, 100):   bounded (3.0035, −2.002, 1.001)       q (3, −2, 1)   output (0.75, −1, 1)    digits (7, 0, 2) → 87
///   z = (−100, 100, −100):  bounded (−4.0035, 2.002, −1.001)      q (−4, 2, −1)  output (−1, 1, −1)      digits (0, 4, 0) → 32
///   z = (0.5, −0.3, 0.6):   bounded (1.487922, −0.583208, 0.537587) q (1, −1, 1) output (0.25, −0.5, 1)  digits (5, 1, 2) → 93
///   z = (−0.4, 1, −0.2):    bounded (−1.378804, 1.524712, −0.197573) q (−1, 2, 0) output (−0.25, 1, 0)  digits (3, 4, 1) → 75
/// e.g. bounded₀ of the fourth row: tanh(0.5 + 0.1436954)·3.5035 − 0.5 = 0.5673·3.5035 − 0.5 = 1.487922.
/// (For even L the bounded range is (−⌊L/2⌋ − ½, ⌈L/2⌉ − ½): L 8 rounds to −4…3, so its outputs are −1…0.75.)
@Suite struct FiniteScalarQuantizerTests {
    static var handRows: Tensor { Tensor(shape: [5, 3], scalars: [0, 0, 0, 100, -100, 100, -100, 100, -100, 0.5, -0.3, 0.6, -0.4, 1, -0.2]) }

    @Test func boundRoundAndNormaliseByHand() {
        let quantizer = FiniteScalarQuantizer(levels: [8, 5, 3])
        #expect(quantizer.dimension == 3 && quantizer.codebookSize == 120 && quantizer.depth == 1)
        expectClose(quantizer.bounded(Self.handRows).scalars,
                    [0, 0, 0, 3.0035, -2.002, 1.001, -4.0035, 2.002, -1.001,
                     1.487922, -0.583208, 0.537587, -1.378804, 1.524712, -0.197573],
                    absolute: 2e-6, relative: 1e-6, "bounded values")
        let output = quantizer(Self.handRows)
        #expect(output.quantized.shape == [5, 3])
        expectClose(output.quantized.scalars, [0, 0, 0, 0.75, -1, 1, -1, 1, -1, 0.25, -0.5, 1, -0.25, 1, 0],
                    absolute: 1e-6, relative: 0, "outputs q / ⌊L/2⌋")
        #expect(output.indices == [60, 87, 32, 93, 75])
        #expect(quantizer.encode(Self.handRows) == [60, 87, 32, 93, 75])
        // decode gives the outputs exactly: (digit − ⌊L/2⌋) / ⌊L/2⌋.
        #expect(quantizer.decode([60, 87, 32, 93, 75], depth: 1).scalars == [0, 0, 0, 0.75, -1, 1, -1, 1, -1, 0.25, -0.5, 1, -0.25, 1, 0])
    }

    /// No codebook to learn and no commitment: both losses are exactly 0, β is 0, and there are no
    /// parameters or buffers.
    @Test func hasNoLossesParametersOrBuffers() {
        let quantizer = FiniteScalarQuantizer(levels: [8, 5, 3])
        let output = quantizer(Self.handRows)
        #expect(output.codebookLoss.item == 0 && output.commitmentLoss.item == 0)
        #expect(output.codebookLoss.rank == 0 && output.commitmentLoss.rank == 0)
        #expect(quantizer.commitmentCost == 0)
        #expect(quantizer.parameterNames.isEmpty && quantizer.bufferNames.isEmpty)
        #expect(output.depth == 1 && output.stages[0].inputs.scalars == Self.handRows.scalars)
    }

    /// Levels [8, 5, 5, 5]: 1000 codes. For every index, an input that lands exactly on its grid point
    /// (the bound's inverse: z = atanh((q + offset)/half) − shift, q = digit − ⌊L/2⌋) encodes to that
    /// index, and decoding the index gives the quantizer's output for that input. The 1000 decoded
    /// vectors are distinct and lie in [−1, 1]; `codebooks` lists exactly them, (1000, 4).
    @Test func everyIndexRoundTrips() {
        let levels = [8, 5, 5, 5]
        let quantizer = FiniteScalarQuantizer(levels: levels)
        #expect(quantizer.codebookSize == 1000)
        var inputs: [Float] = []
        for index in 0..<1000 {
            var rest = index
            for level in levels {
                let q = Double(rest % level - level / 2)
                rest /= level
                let half = Double(level - 1) * 1.001 / 2, offset = level % 2 == 0 ? 0.5 : 0
                inputs.append(Float(atanh((q + offset) / half) - atanh(offset / half)))
            }
        }
        let rows = Tensor(shape: [1000, 4], scalars: inputs)
        let all = (0..<1000).map(Int32.init)
        #expect(quantizer.encode(rows) == all)
        let decoded = quantizer.decode(all, depth: 1)
        #expect(decoded.shape == [1000, 4])
        expectClose(quantizer(rows).quantized.scalars, decoded.scalars, absolute: 1e-6, relative: 0, "output vs decode")
        let vectors = (0..<1000).map { Array(decoded.scalars[(4 * $0)..<(4 * $0 + 4)]) }
        #expect(Set(vectors).count == 1000)
        #expect(decoded.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        // The grid per dimension: L 8 gives −1, −0.75, …, 0.75; L 5 gives −1, −0.5, 0, 0.5, 1.
        #expect(Set(vectors.map { $0[0] }) == Set([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]))
        #expect(Set(vectors.map { $0[3] }) == Set([-1, -0.5, 0, 0.5, 1]))
        #expect(quantizer.codebooks.count == 1)
        #expect(quantizer.codebooks[0].shape == [1000, 4])
        #expect(quantizer.codebooks[0].scalars == decoded.scalars)
        // Beyond `maximumListedCodes` (65536) the grid is not listed.
        #expect(FiniteScalarQuantizer(levels: [256, 257]).codebooks.isEmpty)
    }

    /// On arbitrary rows (N(0, 2²)), the training forward's indices are `encode`'s, and its output is
    /// the decoding of those indices.
    @Test func forwardIndicesEqualEncodeAndDecode() {
        var generator = RandomGenerator(seed: 21)
        let quantizer = FiniteScalarQuantizer(levels: [8, 5, 5, 5])
        let rows = Tensor(normal: [300, 4], standardDeviation: 2, generator: &generator)
        let output = quantizer(rows)
        let indices = quantizer.encode(rows)
        #expect(output.indices == indices)
        #expect(indices.allSatisfy { (0..<1000).contains($0) })
        #expect(Set(indices).count > 100, "the rows spread over the grid")
        expectClose(output.quantized.scalars, quantizer.decode(indices, depth: 1).scalars, absolute: 1e-6, relative: 0, "output")
    }

    /// L = Σ c ⊙ output. Rounding passes the gradient straight through, so
    ///   ∂L/∂z = c · tanh'(z + shift) · half / ⌊L/2⌋ = c · (1 − tanh²(z + shift)) · half / ⌊L/2⌋.
    /// For the rows (0.5, −0.3, 0.6) and (−0.4, 1, −0.2) the factors (1 − tanh²)·half/⌊L/2⌋ are
    /// (0.5938830, 0.9160521, 0.7122893) and (0.8207661, 0.4203943, 0.9620040).
    /// Checked against the formula and against central finite differences (ε 10⁻³, in Double) of the
    /// bounded, unrounded function (tanh(z + shift)·half − offset)/⌊L/2⌋ written out here.
    @Test func straightThroughGradient() {
        let levels = [8, 5, 3]
        let quantizer = FiniteScalarQuantizer(levels: levels)
        let values: [Float] = [0.5, -0.3, 0.6, -0.4, 1, -0.2]
        let c: [Float] = [1, -2, 3, 0.5, 4, -1]
        let tape = Tape()
        let rows = tape.watch(Tensor(shape: [2, 3], scalars: values))
        let loss = (quantizer(rows).quantized * Tensor(shape: [2, 3], scalars: c)).sum()
        let gradient = tape.gradients(of: loss, withRespectTo: [rows])[0]
        let factors: [Float] = [0.5938830, 0.9160521, 0.7122893, 0.8207661, 0.4203943, 0.9620040]
        expectClose(gradient.scalars, zip(c, factors).map { $0 * $1 }, absolute: 1e-6, relative: 1e-5, "hand factors")

        func unrounded(_ z: Double, level: Int) -> Double {
            let half = Double(level - 1) * 1.001 / 2, offset = level % 2 == 0 ? 0.5 : 0
            return (tanh(z + atanh(offset / half)) * half - offset) / Double(level / 2)
        }
        let epsilon = 1e-3
        let numeric = values.indices.map { i -> Float in
            let (z, level) = (Double(values[i]), levels[i % 3])
            return c[i] * Float((unrounded(z + epsilon, level: level) - unrounded(z - epsilon, level: level)) / (2 * epsilon))
        }
        expectClose(gradient.scalars, numeric, absolute: 1e-5, relative: 1e-4, "finite differences of the unrounded function")
    }
}
