import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// The equivalence, on threads standing for processes (`InProcessGroup`, no MPI needed):
/// with the same seed and global batch, 2 ranks each training on half of every batch end every step
/// with the same bits as each other, and with the weights one process reaches on the whole batches,
/// up to the order of the sums (relative difference of all weights below 1e-5, the bound).
@Suite(.serialized) struct DataParallelTrainingTests {
    static let images = ProceduralShapes.dataset(count: 24, size: 16, seed: 1)

    /// Every kind of quantizer with the state it can have: k-means++ and dead-code counters (vq, ema,
    /// each rvq stage), EMA sums (ema), quantizer dropout drawing from the generator (rvq), none (fsq).
    static let quantizers: [QuantizerConfiguration] = [
        QuantizerConfiguration(kind: .vq, codebookSize: 16, kMeansBatches: 2, deadCodes: DeadCodePolicy(patience: 1, minimumUsage: 0.3)),
        QuantizerConfiguration(kind: .ema, codebookSize: 16, kMeansBatches: 2, deadCodes: DeadCodePolicy(patience: 1)),
        QuantizerConfiguration(kind: .rvq, codebookSize: 8, depth: 3, quantizerDropout: true, kMeansBatches: 1,
                               deadCodes: DeadCodePolicy(patience: 2)),
        QuantizerConfiguration(kind: .fsq, levels: [5, 4, 3, 3]),
    ]

    static func trainer(_ quantizer: QuantizerConfiguration, communicator: any Communicator) -> Trainer<ImageDataset> {
        let configuration = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                               embeddingDim: 4, quantizer: quantizer)
        var generator = RandomGenerator(seed: 4)
        var trainer = Trainer(model: VQVAE(configuration, generator: &generator), dataset: images,
                              options: TrainingOptions(steps: 6, batchSize: 6, seed: 4, learningRate: 3e-3), communicator: communicator)
        trainer.initializeQuantizer()
        return trainer
    }

    /// All weights and buffers laid end to end, by name.
    static func flattened(_ model: VQVAE) -> [Float] {
        model.namedTensors.sorted { $0.key < $1.key }.flatMap(\.value.scalars)
    }

    /// ‖a − b‖ / ‖b‖.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / norm).squareRoot()
    }

    @Test(arguments: 0..<4) func twoRanksMatchOneProcess(quantizer index: Int) throws {
        let quantizer = Self.quantizers[index]
        var alone = Self.trainer(quantizer, communicator: SingleProcessCommunicator.shared)
        let expected = try (0..<6).map { _ in try alone.trainStep() }
        let results = InProcessGroup(size: 2).run { member -> (reports: [TrainingStepReport], agreed: [Bool], weights: [Float]) in
            var trainer = Self.trainer(quantizer, communicator: member)
            try trainer.synchronize()
            var reports: [TrainingStepReport] = [], agreed: [Bool] = []
            for _ in 0..<6 {
                reports.append(try trainer.trainStep())
                agreed.append(try trainer.processesAgree())
            }
            return (reports, agreed, Self.flattened(trainer.model))
        }
        let ranks = try results.map { try $0.get() }
        #expect(ranks.allSatisfy { $0.agreed == Array(repeating: true, count: 6) }, "the ranks agree after every step")
        #expect(ranks[0].weights.map(\.bitPattern) == ranks[1].weights.map(\.bitPattern), "the ranks end with the same bits")
        let difference = Self.relativeDifference(ranks[0].weights, Self.flattened(alone.model))
        #expect(difference < 1e-5, "\(quantizer.kind): relative difference \(difference) from one process")
        for (step, (shared, single)) in zip(ranks[0].reports, expected).enumerated() {
            #expect(shared.restartedCodes == single.restartedCodes, "restarts at step \(step + 1)")
            #expect(shared.perplexity == single.perplexity, "perplexity of the global batch at step \(step + 1)")
            expectClose([shared.reconstructionLoss, shared.codebookLoss, shared.commitmentLoss],
                        [single.reconstructionLoss, single.codebookLoss, single.commitmentLoss],
                        absolute: 1e-6, relative: 1e-5, "losses at step \(step + 1)")
        }
    }

    /// The speech model's loss has a part that is not a mean over items (the spectral convergence, a
    /// ratio of norms over the whole batch), which the ranks combine through `BatchShare`: three steps
    /// of a small speech model on 4 windows of 1024 samples, 2 ranks against one process.
    @Test func speechLossCombinesAcrossRanks() throws {
        var generator = RandomGenerator(seed: 8)
        var clips: [[Float]] = []
        for clip in 0..<4 {
            let frequency = 0.05 * Double(clip + 1)
            clips.append((0..<1500).map { t -> Float in
                let noise = Float(generator.nextUniformDouble() - 0.5)
                return 0.3 * Float(sin(Double(t) * frequency)) + 0.02 * noise
            })
        }
        let windows = AudioWindowSet(dataset: AudioDataset(clips: clips, sampleRate: 8000, speakers: [0, 1, 0, 1]), windowLength: 1024)
        func trainer(_ communicator: any Communicator) -> Trainer<AudioWindowSet> {
            var configuration = VQVAEConfiguration.tinySpeech(sampleRate: 8000, speakers: 2)
            configuration.quantizer.codebookSize = 8
            var generator = RandomGenerator(seed: 6)
            return Trainer(model: VQVAE(configuration, generator: &generator), dataset: windows,
                           options: TrainingOptions(steps: 3, batchSize: 4, seed: 6, learningRate: 1e-3, windowLength: 1024, sampleRate: 8000),
                           communicator: communicator)
        }
        var alone = trainer(SingleProcessCommunicator.shared)
        let expected = try (0..<3).map { _ in try alone.trainStep() }
        let results = InProcessGroup(size: 2).run { member -> ([TrainingStepReport], [Float]) in
            var shared = trainer(member)
            let reports = try (0..<3).map { _ in try shared.trainStep() }
            return (reports, Self.flattened(shared.model))
        }
        let ranks = try results.map { try $0.get() }
        #expect(ranks[0].1.map(\.bitPattern) == ranks[1].1.map(\.bitPattern))
        let difference = Self.relativeDifference(ranks[0].1, Self.flattened(alone.model))
        #expect(difference < 1e-5, "relative difference \(difference) from one process")
        for (step, (shared, single)) in zip(ranks[0].0, expected).enumerated() {
            // The recipe's speaker adversary (two speakers here) is a mean over the share's frames like the rest.
            #expect(Set(shared.reconstructionParts.keys) == ["waveform", "spectral_convergence", "log_magnitude", "log_mel", "speaker_adversary"])
            for (name, value) in single.reconstructionParts {
                expectClose([shared.reconstructionParts[name]!], [value], absolute: 1e-6, relative: 1e-5, "\(name) at step \(step + 1)")
            }
        }
    }

    /// `prior train`'s encoding shared by 3 ranks: 24 images in chunks of 5 (ranks take chunks 0 and
    /// 3, 1 and 4, 2), the same codes and labels, bit for bit, as one process encoding every chunk.
    @Test func codeGridsSharedByChunks() throws {
        var generator = RandomGenerator(seed: 4)
        let configuration = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                               embeddingDim: 4, quantizer: QuantizerConfiguration(kind: .vq, codebookSize: 16, kMeansBatches: 1))
        var model = VQVAE(configuration, generator: &generator)
        // k-means on the images' encodings, so that the grids hold varied codes.
        model.initializeQuantizer(from: [Self.images.batch(Array(0..<24))], generator: &generator)
        let expected = model.codeGrids(of: Self.images, batchSize: 5)
        let results = InProcessGroup(size: 3).run { member in try model.codeGrids(of: Self.images, communicator: member, batchSize: 5) }
        for result in results {
            let grids = try result.get()
            #expect(grids.codes == expected.codes && grids.labels == expected.labels)
            #expect((grids.count, grids.height, grids.width) == (24, 4, 4))
        }
        #expect(Set(expected.codes).count > 1, "the check is not on a constant grid")
    }

    /// The prior's step on 2 ranks: grids of 4×4 codes, 8 per batch, four steps against one process.
    @Test func priorTrainsOnTwoRanks() throws {
        var codes: [Int32] = []
        var generator = RandomGenerator(seed: 1)
        for _ in 0..<32 {
            let a = generator.nextIndex(below: 4)
            for r in 0..<4 { for c in 0..<4 { codes.append(Int32((a + r + c) % 4)) } }
        }
        let grids = CodeGrids(codes: codes, labels: [], count: 32, height: 4, width: 4)
        func trainer(_ communicator: any Communicator) -> PriorTrainer<PixelCNN> {
            var generator = RandomGenerator(seed: 2)
            let configuration = PixelCNNConfiguration(numEmbeddings: 4, channels: 8, layers: 2, kernelSize: 3, outputChannels: 8)
            return PriorTrainer(prior: PixelCNN(configuration, generator: &generator), grids: grids, batchSize: 8,
                                schedule: .constant(3e-3), seed: 3, communicator: communicator)
        }
        var alone = trainer(SingleProcessCommunicator.shared)
        let expected = try (0..<4).map { _ in try alone.trainStep().loss }
        let results = InProcessGroup(size: 2).run { member -> ([Float], [Float]) in
            var shared = trainer(member)
            let losses = try (0..<4).map { _ in try shared.trainStep().loss }
            return (losses, shared.prior.namedTensors.sorted { $0.key < $1.key }.flatMap(\.value.scalars))
        }
        let ranks = try results.map { try $0.get() }
        #expect(ranks[0].1.map(\.bitPattern) == ranks[1].1.map(\.bitPattern))
        expectClose(ranks[0].0, expected, absolute: 1e-6, relative: 1e-5, "losses")
        let single = alone.prior.namedTensors.sorted { $0.key < $1.key }.flatMap(\.value.scalars)
        #expect(Self.relativeDifference(ranks[0].1, single) < 1e-5)
    }
}
