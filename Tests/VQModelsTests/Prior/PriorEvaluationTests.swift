import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import _VQTestSupport

@Suite struct PriorEvaluationTests {
    /// [0, 0, 1, 1]: two equally likely codes, 1 bit. [0, 0, 0, 1]: −¾·log₂¾ − ¼·log₂¼ = 0.811278 bits.
    /// One code only: 0 bits.
    @Test func unigramEntropyByHand() {
        #expect(abs(unigramBitsPerCode([0, 0, 1, 1], numEmbeddings: 4) - 1) < 1e-12)
        #expect(abs(unigramBitsPerCode([0, 0, 0, 1], numEmbeddings: 2) - 0.8112781244591328) < 1e-12)
        #expect(unigramBitsPerCode([3, 3, 3], numEmbeddings: 4) == 0)
        #expect(abs(unigramBitsPerCode(Array(0..<8), numEmbeddings: 8) - 3) < 1e-12)
    }

    /// σ = 1/255 (one bin): a pixel at its mean gets Φ(½) − Φ(−½) = 0.3829249, 1.384867 bits; the
    /// first bin at its own centre reaches to −∞: Φ(½) = 0.6914625, 0.532277 bits; the last bin
    /// likewise; a mean one bin off gives Φ(1.5) − Φ(0.5) = 0.2417303, 2.048530 bits.
    @Test func discretizedGaussianByHand() {
        let likelihood = DiscretizedGaussian(scale: 1.0 / 255)
        #expect(abs(likelihood.bits(byte: 128, mean: Float(128.0 / 255 - 0.5)) - 1.384867) < 1e-5)
        #expect(abs(likelihood.bits(byte: 0, mean: -0.5) - 0.532277) < 1e-5)
        #expect(abs(likelihood.bits(byte: 255, mean: 0.5) - 0.532277) < 1e-5)
        #expect(abs(likelihood.bits(byte: 101, mean: Float(100.0 / 255 - 0.5)) - 2.048530) < 1e-4)
    }

    /// The 256 bin probabilities sum to 1 for any mean and scale, and a far-off bin stays finite.
    @Test func discretizedGaussianIsADistribution() {
        for (scale, mean) in [(0.05, Float(0.1)), (0.3, Float(-0.45)), (0.002, Float(0.5))] {
            let likelihood = DiscretizedGaussian(scale: scale)
            let total = (0...255).reduce(0.0) { $0 + pow(2, -likelihood.bits(byte: UInt8($1), mean: mean)) }
            #expect(abs(total - 1) < 1e-9, "scale \(scale), mean \(mean): total \(total)")
        }
        let far = DiscretizedGaussian(scale: 0.01).bits(byte: 255, mean: -0.5)
        #expect(far.isFinite && far > 1000)
    }

    /// On a tiny model: the parts add up, and the unigram figure is the entropy of the codes seen.
    @Test func bitsPerDimensionAddsTheParts() {
        var generator = RandomGenerator(seed: 1)
        let vqvae = VQVAE(VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                             numEmbeddings: 5, embeddingDim: 3), generator: &generator)
        let prior = PixelCNN(PixelCNNConfiguration(numEmbeddings: 5, channels: 4, layers: 2, outputChannels: 4, numClasses: 2),
                             generator: &generator)
        let pixels = (0..<(6 * 8 * 8)).map { _ in UInt8(generator.nextIndex(below: 256)) }
        let dataset = ImageDataset(pixels: pixels, labels: [0, 1, 0, 1, 1, 0], channels: 1, height: 8, width: 8)
        let report = vqvae.evaluatePrior(prior, on: dataset, batchSize: 4)
        let codes = vqvae.codeGrids(of: dataset).codes
        #expect(codes.count == 6 * 2 * 2)
        #expect(abs(report.unigramBitsPerCode - unigramBitsPerCode(codes, numEmbeddings: 5)) < 1e-12)
        let expected = report.reconstructionBitsPerDimension + report.priorBitsPerCode * Double(codes.count) / Double(pixels.count)
        #expect(abs(report.bitsPerDimension - expected) < 1e-9)
        #expect(report.priorBitsPerCode > 0 && report.reconstructionBitsPerDimension > 0)
    }
}

@Suite struct CodeGridsTests {
    @Test func batchesPickGridsAndLabelsInOrder() {
        let grids = CodeGrids(codes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], labels: [7, 8, 9], count: 3, height: 2, width: 2)
        let batch = grids.batch([2, 0, 2])
        #expect(batch.codes == [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
        #expect(batch.labels == [9, 7, 9])
        #expect(CodeGrids(codes: [1, 2], count: 2, height: 1, width: 1).batch([1]).labels == nil)
    }
}

@Suite struct HeldOutBitsTests {
    /// `bitsPerCode(on:)` scores the grids in chunks; the total is the one-batch loss over every grid
    /// (nats per code) divided by ln 2, with a context map and a chunk size that leaves a short last
    /// chunk (5 grids, 2 at a time).
    @Test func priorBitsAreTheLossInBits() {
        var generator = RandomGenerator(seed: 11)
        let configuration = PixelCNNConfiguration(numEmbeddings: 6, channels: 4, layers: 2, outputChannels: 8, contextChannels: 3)
        let prior = PixelCNN(configuration, generator: &generator)
        let codes = (0..<(5 * 3 * 4)).map { _ in Int32(generator.nextIndex(below: 6)) }
        let context = Tensor(uniform: [5, 3, 3, 4], low: -1, high: 1, generator: &generator)
        let grids = CodeGrids(codes: codes, count: 5, height: 3, width: 4, contextChannels: 3, contextValues: context.scalars)
        let whole = Double(prior.loss(for: CodeBatch(codes: codes, count: 5, height: 3, width: 4, context: context)).item) / log(2)
        #expect(abs(prior.bitsPerCode(on: grids, batchSize: 2) - whole) < 1e-5)
    }

    /// A table of weights 1:1:2 costs 2, 2 and 1 bits: codes [0, 1, 2, 2] average 1.5.
    @Test func histogramBitsByHand() {
        let table = FrequencyTable(weights: [1, 1, 2])
        let grids = CodeGrids(codes: [0, 1, 2, 2], count: 1, height: 2, width: 2)
        #expect(abs(table.bitsPerCode(on: grids) - 1.5) < 1e-3)
    }
}
