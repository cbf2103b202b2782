import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct VectorQuantizerInitializationTests {
    static let centres: [(Float, Float)] = [(0, 0), (5, 0), (0, 5), (5, 5)]

    /// 4 tight blobs of 25 points each (uniform noise of ±0.05 around each centre), D 2, blob-major order.
    static func blobs() -> Tensor {
        var generator = RandomGenerator(seed: 42)
        var scalars: [Float] = []
        for (x, y) in centres {
            for _ in 0..<25 {
                scalars += [x + (generator.nextUniform() - 0.5) * 0.1, y + (generator.nextUniform() - 0.5) * 0.1]
            }
        }
        return Tensor(shape: [100, 2], scalars: scalars)
    }

    /// Each blob centre has exactly one code within 0.1 of it.
    static func expectOneCodePerBlob(_ codebook: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let codes = codebook.scalars
        for (x, y) in centres {
            let near = (0..<4).filter { c in
                let (dx, dy) = (codes[2 * c] - x, codes[2 * c + 1] - y)
                return (dx * dx + dy * dy).squareRoot() < 0.1
            }
            #expect(near.count == 1, "centre (\(x), \(y)): codes \(codes)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func kMeansPlusPlusRecoversWellSeparatedBlobs(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        var quantizer = VectorQuantizer(numEmbeddings: 4, embeddingDim: 2, generator: &generator)
        quantizer.initializeByKMeans(Self.blobs(), generator: &generator)
        Self.expectOneCodePerBlob(quantizer.codebook)
    }

    /// With an EMA codebook, the state matches: 25 vectors per code over `batchesSeen` 5 batches gives
    /// cluster sizes 5, and the state's own codebook m / Ñ is the k-means codebook.
    @Test func kMeansWithMovingAveragesLeavesAConsistentState() {
        var generator = RandomGenerator(seed: 7)
        var quantizer = VectorQuantizer(movingAverageCodes: 4, embeddingDim: 2, generator: &generator)
        quantizer.initializeByKMeans(Self.blobs(), batchesSeen: 5, generator: &generator)
        Self.expectOneCodePerBlob(quantizer.codebook)
        let averages = quantizer.movingAverages!
        expectClose(averages.clusterSizes.scalars, [5, 5, 5, 5], absolute: 1e-6, relative: 1e-6, "cluster sizes")
        expectClose(averages.codebook(), quantizer.codebook, absolute: 1e-6, relative: 1e-5, "m / Ñ")
    }

    /// 3 distinct vectors and K 5: two codes are seeded on duplicates and get no vectors. They keep their
    /// seed, and with EMA the state must say so too (m / Ñ = codebook), or the next update moves them to 0.
    @Test func codesWithoutVectorsKeepTheirSeedInTheMovingAverages() {
        let vectors = Tensor(shape: [3, 2], scalars: [1, 1, -2, 3, 4, -1])
        var generator = RandomGenerator(seed: 3)
        var quantizer = VectorQuantizer(movingAverageCodes: 5, embeddingDim: 2, generator: &generator)
        quantizer.initializeByKMeans(vectors, generator: &generator)
        let codes = quantizer.codebook.scalars
        for code in 0..<5 {  // every code is one of the vectors
            #expect((0..<3).contains { codes[2 * code] == vectors[flat: 2 * $0] && codes[2 * code + 1] == vectors[flat: 2 * $0 + 1] })
        }
        #expect(quantizer.movingAverages!.clusterSizes.scalars.filter { $0 == 0 }.count == 2)
        expectClose(quantizer.movingAverages!.codebook(), quantizer.codebook, absolute: 1e-5, relative: 1e-5, "m / Ñ")
        // One more EMA step on the same vectors leaves the unused codes where they were (up to γ·m/Ñ's drift).
        let before = quantizer.codebook.scalars
        let output = quantizer(vectors)
        quantizer.updateMovingAverages(output.stages[0])
        let unused = (0..<5).filter { !output.indices.contains(Int32($0)) }
        #expect(unused.count == 2)
        for code in unused {
            let after = quantizer.codebook.scalars
            for j in 0..<2 { #expect(abs(after[2 * code + j] - before[2 * code + j]) < 0.05 * abs(before[2 * code + j]) + 1e-3) }
        }
    }

    /// Codebook e0 = (0, 0), e1 = (10, 10), e2 = (−10, −10), patience 2; every batch vector is near e0.
    /// The restarter runs inside `update(after:)`, after the EMA update.
    @Test(arguments: [false, true]) func deadCodeRestart(movingAverages: Bool) {
        var generator = RandomGenerator(seed: 5)
        let policy = DeadCodePolicy(patience: 2)
        var quantizer = movingAverages
            ? VectorQuantizer(movingAverageCodes: 3, embeddingDim: 2, deadCodes: policy, generator: &generator)
            : VectorQuantizer(numEmbeddings: 3, embeddingDim: 2, deadCodes: policy, generator: &generator)
        quantizer.codebook = Tensor(shape: [3, 2], scalars: [0, 0, 10, 10, -10, -10])
        if movingAverages { quantizer.movingAverages = CodebookMovingAverages(codebook: quantizer.codebook) }
        let batch = Tensor(shape: [3, 2], scalars: [0.1, 0, 0, 0.2, 0.3, -0.1])
        let vectors: [[Float]] = [[0.1, 0], [0, 0.2], [0.3, -0.1]]

        let first = quantizer(batch)
        #expect(first.indices == [0, 0, 0])
        #expect(quantizer.update(after: first, generator: &generator) == 0)
        #expect(quantizer.restarter!.stepsUnused.scalars == [0, 1, 1] && quantizer.restarter!.restarts == 0)
        // Nothing restarted yet (an EMA e0 moves towards its rows; the unchosen codes stay).
        #expect(Array(quantizer.codebook.scalars[2...]) == [10, 10, -10, -10])
        #expect(movingAverages || Array(quantizer.codebook.scalars[0..<2]) == [0, 0])

        let second = quantizer(batch)
        #expect(quantizer.update(after: second, generator: &generator) == 2)
        #expect(quantizer.restarter!.stepsUnused.scalars == [0, 0, 0] && quantizer.restarter!.restarts == 2)
        let codes = quantizer.codebook.scalars
        #expect(movingAverages || Array(codes[0..<2]) == [0, 0])   // (an EMA e0 moves to its rows' mean)
        for code in 1...2 { #expect(vectors.contains(Array(codes[2 * code..<2 * code + 2])), "code \(code): \(codes)") }
        if movingAverages {
            let averages = quantizer.movingAverages!
            expectClose(Array(averages.codebook().scalars[2...]), Array(codes[2...]), absolute: 1e-3, relative: 1e-2, "EMA state of restarted codes")
        }
        // A restarted code now is used; counting starts again.
        let third = quantizer(batch)
        _ = quantizer.update(after: third, generator: &generator)
        #expect(quantizer.restarter!.restarts == 2)
    }
}
