import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// Residual vector quantization on a hand example: 2 stages, K 3, D 2, M 3 rows, β 0.25.
///
/// Stage 0 codebook e0 = (0, 0), e1 = (2, 0), e2 = (0, 2); stage 1 codebook f0 = (0.25, 0.25),
/// f1 = (−0.25, 0.25), f2 = (0, −0.5). Rows z0 = (1.8, 0.3), z1 = (0.1, 2.4), z2 = (−0.3, −0.6).
///
/// Stage 0, squared distances to (e0, e1, e2):
///   z0 → (3.33, 0.13, 6.13): e1, residual r1 = (−0.2, 0.3)
///   z1 → (5.77, 9.37, 0.17): e2, residual r1 = (0.1, 0.4)
///   z2 → (0.45, 5.65, 6.85): e0, residual r1 = (−0.3, −0.6)
/// Stage 1 on r1, squared distances to (f0, f1, f2):
///   (−0.2, 0.3)  → (0.205, 0.005, 0.68): f1, residual r2 = (0.05, 0.05)
///   (0.1, 0.4)   → (0.045, 0.145, 0.82): f0, residual r2 = (−0.15, 0.15)
///   (−0.3, −0.6) → (1.025, 0.725, 0.1):  f2, residual r2 = (−0.3, −0.1)
/// Indices in (row, stage) order: [1, 1, 2, 0, 0, 2]. Output e + f: (1.75, 0.25), (0.25, 2.25), (0, −0.5).
/// Per-stage losses are means over the 6 elements of the squared residuals:
///   stage 0: (0.13 + 0.17 + 0.45)/6 = 0.125;  stage 1: (0.005 + 0.045 + 0.1)/6 = 0.025
/// so codebook loss = commitment loss = 0.15 (sums over stages).
@Suite struct ResidualVectorQuantizerTests {
    static let firstCodebook: [Float] = [0, 0, 2, 0, 0, 2]
    static let secondCodebook: [Float] = [0.25, 0.25, -0.25, 0.25, 0, -0.5]
    static var rows: Tensor { Tensor(shape: [3, 2], scalars: [1.8, 0.3, 0.1, 2.4, -0.3, -0.6]) }

    static func quantizer(extraCode: [Float]? = nil, deadCodes: DeadCodePolicy? = nil) -> ResidualVectorQuantizer {
        var generator = RandomGenerator(seed: 0)
        let k = extraCode == nil ? 3 : 4
        let stages = [firstCodebook, secondCodebook].map { codes in
            var stage = VectorQuantizer(numEmbeddings: k, embeddingDim: 2, commitmentCost: 0.25, deadCodes: deadCodes,
                                        generator: &generator)
            stage.codebook = Tensor(shape: [k, 2], scalars: codes + (extraCode ?? []))
            return stage
        }
        return ResidualVectorQuantizer(stages: stages)
    }

    @Test func residualsIndicesOutputAndLossesByHand() {
        let quantizer = Self.quantizer()
        #expect(quantizer.depth == 2 && quantizer.dimension == 2 && quantizer.codebookSize == 3 && quantizer.commitmentCost == 0.25)
        let output = quantizer(Self.rows)
        #expect(output.depth == 2)
        #expect(output.indices == [1, 1, 2, 0, 0, 2])
        #expect(output.stages.map(\.indices) == [[1, 2, 0], [1, 0, 2]])
        expectClose(output.stages[0].inputs.scalars, [1.8, 0.3, 0.1, 2.4, -0.3, -0.6], absolute: 0, relative: 0, "stage 0 sees z")
        expectClose(output.stages[1].inputs.scalars, [-0.2, 0.3, 0.1, 0.4, -0.3, -0.6], absolute: 1e-6, relative: 0, "stage 1 sees r1")
        expectClose(output.quantized.scalars, [1.75, 0.25, 0.25, 2.25, 0, -0.5], absolute: 1e-6, relative: 0, "e + f")
        expectClose([output.codebookLoss.item, output.commitmentLoss.item], [0.15, 0.15], absolute: 1e-7, relative: 1e-6, "losses")

        #expect(quantizer.encode(Self.rows) == [1, 1, 2, 0, 0, 2])
        #expect(quantizer.encode(Self.rows, depth: 1) == [1, 2, 0])
        #expect(quantizer.decode([1, 2, 0], depth: 1).scalars == [2, 0, 0, 2, 0, 0])
        expectClose(quantizer.decode([1, 1, 2, 0, 0, 2], depth: 2).scalars, [1.75, 0.25, 0.25, 2.25, 0, -0.5],
                    absolute: 0, relative: 0, "decode at depth 2")

        // Depth 1: the first stage alone, its losses alone (0.75 / 6 = 0.125).
        let first = quantizer(Self.rows, depth: 1)
        #expect(first.depth == 1 && first.indices == [1, 2, 0])
        expectClose(first.quantized.scalars, [2, 0, 0, 2, 0, 0], absolute: 1e-6, relative: 0, "depth-1 output")
        expectClose([first.codebookLoss.item, first.commitmentLoss.item], [0.125, 0.125], absolute: 1e-7, relative: 1e-6, "depth-1 losses")
        #expect(quantizer.codebooks.map(\.scalars) == [Self.firstCodebook, Self.secondCodebook])
    }

    /// L = Σ c ⊙ output + codebook loss + β·commitment loss, c = [1, 2, 3, 4, 5, 6], β = 0.25.
    /// The output is straight through, so the rows get c unchanged, plus β·Σ_s 2(r_s − sg[e_s])/6 from the
    /// commitment terms (r_s − e_s is the residual after stage s): β/3·(r1 + r2) =
    ///   (1/12)·[(−0.15, 0.35), (−0.05, 0.55), (−0.6, −0.7)] = [−0.0125, 0.0291667, −0.0041667, 0.0458333, −0.05, −0.0583333].
    /// Each codebook gets only its own codebook loss, 2(e − sg[r_s])/6 = −(residual after the stage)/3 on
    /// the chosen rows:
    ///   stage 0: e0 (z2) (0.1, 0.2), e1 (z0) (0.0666667, −0.1), e2 (z1) (−0.0333333, −0.1333333)
    ///   stage 1: f0 (z1) (0.05, −0.05), f1 (z0) (−0.0166667, −0.0166667), f2 (z2) (0.1, 0.0333333).
    @Test func straightThroughGradientByHand() {
        let tape = Tape()
        var quantizer = Self.quantizer()
        let rows = tape.watch(Self.rows)
        quantizer.watchParameters(on: tape)
        let output = quantizer(rows)
        let loss = (output.quantized * Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])).sum()
            + output.codebookLoss + 0.25 * output.commitmentLoss
        let gradients = tape.gradients(of: loss, withRespectTo: [rows] + quantizer.parameters)
        #expect(quantizer.parameterNames == ["stages.0.codebook", "stages.1.codebook"])
        expectClose(gradients[0].scalars, [0.9875, 2.0291667, 2.9958333, 4.0458333, 4.95, 5.9416667],
                    absolute: 1e-6, relative: 1e-6, "∂L/∂z")
        expectClose(gradients[1].scalars, [0.1, 0.2, 0.0666667, -0.1, -0.0333333, -0.1333333],
                    absolute: 1e-6, relative: 1e-5, "∂L/∂(stage 0 codebook)")
        expectClose(gradients[2].scalars, [0.05, -0.05, -0.0166667, -0.0166667, 0.1, 0.0333333],
                    absolute: 1e-6, relative: 1e-5, "∂L/∂(stage 1 codebook)")
    }

    /// With quantizer dropout each training step draws its depth uniformly in 1...N: 4000 draws for
    /// N = 4 give each depth 1000 ± 150 times (the binomial standard deviation is √(4000·¼·¾) ≈ 27, so
    /// the band is over 5 of them; the generator is seeded, so the counts are fixed anyway). Without
    /// dropout, or with a single stage, the depth is nil (all stages).
    @Test func quantizerDropoutDrawsEveryDepthUniformly() {
        var generator = RandomGenerator(seed: 1)
        let configuration = QuantizerConfiguration(kind: .rvq, codebookSize: 4, depth: 4, quantizerDropout: true)
        let quantizer = ResidualVectorQuantizer(configuration, embeddingDim: 2, generator: &generator)
        #expect(quantizer.quantizerDropout && quantizer.depth == 4)
        var counts = [Int: Int]()
        for _ in 0..<4000 {
            let depth = quantizer.trainingDepth(generator: &generator)
            counts[depth ?? 0, default: 0] += 1
        }
        #expect(Set(counts.keys) == [1, 2, 3, 4], "\(counts)")
        for depth in 1...4 { #expect(abs(counts[depth, default: 0] - 1000) <= 150, "depth \(depth): \(counts)") }

        var without = quantizer
        without.quantizerDropout = false
        let before = generator
        #expect((0..<20).allSatisfy { _ in without.trainingDepth(generator: &generator) == nil })
        #expect(generator == before, "no draw without dropout")
        let single = ResidualVectorQuantizer(QuantizerConfiguration(kind: .rvq, codebookSize: 4, depth: 1, quantizerDropout: true),
                                             embeddingDim: 2, generator: &generator)
        #expect(single.trainingDepth(generator: &generator) == nil)
    }

    /// 4 coarse centres C ∈ {(0, 0), (5, 0), (0, 5), (5, 5)} times 4 fine offsets s ∈ {(±0.6, ±0.6)}, 10
    /// points each (uniform noise ±0.05): 160 rows. The offsets average to 0, so the best 4 codes for
    /// the rows are the centres; the residuals then form 4 blobs at the offsets. k-means++ (seeded) of
    /// stage 0 finds each centre within 0.1, and of stage 1, on the residuals, each offset within 0.1.
    @Test func kMeansInitialisesEachStageOnItsResiduals() {
        let centres: [(Float, Float)] = [(0, 0), (5, 0), (0, 5), (5, 5)]
        let offsets: [(Float, Float)] = [(0.6, 0.6), (-0.6, 0.6), (0.6, -0.6), (-0.6, -0.6)]
        var generator = RandomGenerator(seed: 42)
        var scalars: [Float] = []
        for (cx, cy) in centres {
            for (sx, sy) in offsets {
                for _ in 0..<10 {
                    scalars += [cx + sx + (generator.nextUniform() - 0.5) * 0.1, cy + sy + (generator.nextUniform() - 0.5) * 0.1]
                }
            }
        }
        let rows = Tensor(shape: [160, 2], scalars: scalars)
        var quantizer = ResidualVectorQuantizer(QuantizerConfiguration(kind: .rvq, codebookSize: 4, depth: 2, kMeansBatches: 1),
                                                embeddingDim: 2, generator: &generator)
        #expect(quantizer.initializationBatches == 1)
        quantizer.initialize(from: rows, batches: 1, generator: &generator)

        func expectOneCodeNear(_ points: [(Float, Float)], _ codebook: Tensor, _ comment: String) {
            let codes = codebook.scalars
            for (x, y) in points {
                let near = (0..<4).filter { c in
                    let (dx, dy) = (codes[2 * c] - x, codes[2 * c + 1] - y)
                    return (dx * dx + dy * dy).squareRoot() < 0.1
                }
                #expect(near.count == 1, "\(comment) (\(x), \(y)): codes \(codes)")
            }
        }
        expectOneCodeNear(centres, quantizer.stages[0].codebook, "stage 0 centre")
        expectOneCodeNear(offsets, quantizer.stages[1].codebook, "stage 1 offset")
        // Two stages now reconstruct every row to within the noise.
        let decoded = quantizer.decode(quantizer.encode(rows), depth: 2)
        let worst = zip(decoded.scalars, rows.scalars).map { abs($0 - $1) }.max()!
        #expect(worst < 0.15, "largest reconstruction error \(worst)")
    }

    /// Names: `stages.<s>.` before each stage's own names. Loss-learned stages have their codebooks as
    /// parameters; EMA stages have them as buffers with the EMA state; dead-code restarters add their
    /// counters to each stage's buffers.
    @Test func parameterAndBufferNames() {
        var generator = RandomGenerator(seed: 2)
        let policy = DeadCodePolicy(patience: 3)
        let plain = ResidualVectorQuantizer(QuantizerConfiguration(kind: .rvq, codebookSize: 5, depth: 2, deadCodes: policy),
                                            embeddingDim: 3, generator: &generator)
        #expect(plain.parameterNames == ["stages.0.codebook", "stages.1.codebook"])
        #expect(plain.bufferNames == ["stages.0.dead_codes.steps_unused", "stages.0.dead_codes.average_usage", "stages.0.dead_codes.restarts",
                                      "stages.1.dead_codes.steps_unused", "stages.1.dead_codes.average_usage", "stages.1.dead_codes.restarts"])
        let ema = ResidualVectorQuantizer(QuantizerConfiguration(kind: .rvq, codebookSize: 5, depth: 2, movingAverageStages: true),
                                          embeddingDim: 3, generator: &generator)
        #expect(ema.parameterNames.isEmpty)
        #expect(ema.bufferNames == ["stages.0.codebook", "stages.0.ema.cluster_sizes", "stages.0.ema.embedding_sums",
                                    "stages.1.codebook", "stages.1.ema.cluster_sizes", "stages.1.ema.embedding_sums"])
        #expect(ema.namedTensors["stages.1.ema.cluster_sizes"]?.shape == [5])
        #expect(ema.namedTensors["stages.1.ema.embedding_sums"]?.shape == [5, 3])
        #expect(ema.stages.allSatisfy { $0.movingAverages != nil })
    }

    /// The hand example with a fourth code (10, 10) in each stage, never chosen (the assignments
    /// above do not change), and dead-code restarts after 1 unused step. `update(after:)` restarts it
    /// in each stage from that stage's own inputs: stage 0 from a row z, stage 1 from a residual r1.
    /// After a depth-1 step only stage 0 counts and restarts.
    @Test func updateRestartsEachStageFromItsOwnResiduals() {
        var quantizer = Self.quantizer(extraCode: [10, 10], deadCodes: DeadCodePolicy(patience: 1))
        var generator = RandomGenerator(seed: 3)
        let output = quantizer(Self.rows)
        #expect(output.indices == [1, 1, 2, 0, 0, 2])
        #expect(quantizer.update(after: output, generator: &generator) == 2)
        let zs: [[Float]] = [[1.8, 0.3], [0.1, 2.4], [-0.3, -0.6]]
        let r1: [[Float]] = [[-0.2, 0.3], [0.1, 0.4], [-0.3, -0.6]]
        let restarted0 = Array(quantizer.stages[0].codebook.scalars[6...])
        let restarted1 = Array(quantizer.stages[1].codebook.scalars[6...])
        #expect(zs.contains(restarted0), "stage 0 code 3: \(restarted0)")
        #expect(r1.contains { zip($0, restarted1).allSatisfy { abs($0 - $1) < 1e-6 } }, "stage 1 code 3: \(restarted1)")
        #expect(Array(quantizer.stages[0].codebook.scalars[..<6]) == Self.firstCodebook)
        #expect(Array(quantizer.stages[1].codebook.scalars[..<6]) == Self.secondCodebook)
        #expect(quantizer.stages.map { $0.restarter!.restarts } == [1, 1])

        var shallow = Self.quantizer(extraCode: [10, 10], deadCodes: DeadCodePolicy(patience: 1))
        #expect(shallow.update(after: shallow(Self.rows, depth: 1), generator: &generator) == 1)
        #expect(shallow.stages.map { $0.restarter!.restarts } == [1, 0])
        #expect(shallow.stages[1].restarter!.stepsUnused.scalars == [0, 0, 0, 0], "stage 1 did not run")
    }
}
