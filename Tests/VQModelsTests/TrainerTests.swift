import Testing
import VQData
import VQEngine
import VQModels
import VQNN

@Suite struct TrainerTests {
    static let configuration = VQVAEConfiguration(
        inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1, embeddingDim: 2,
        quantizer: QuantizerConfiguration(kind: .vq, codebookSize: 8, deadCodes: DeadCodePolicy(patience: 2)))

    /// 10 synthetic 8x8 gray images: bytes from a fixed generator.
    static let dataset: ImageDataset = {
        var generator = RandomGenerator(seed: 123)
        return ImageDataset(pixels: (0..<640).map { _ in UInt8(generator.nextIndex(below: 256)) }, channels: 1, height: 8, width: 8)
    }()

    static func trainer(seed: UInt64, learningRate: Float = 3e-4, modify: (inout VQVAE) -> Void = { _ in }) -> Trainer<ImageDataset> {
        var generator = RandomGenerator(seed: seed)
        var model = VQVAE(configuration, generator: &generator)
        modify(&model)
        return Trainer(model: model, dataset: dataset,
                       options: TrainingOptions(steps: 3, batchSize: 4, seed: seed, learningRate: learningRate))
    }

    static func bits(_ model: VQVAE) -> [[UInt32]] { model.parameters.map { $0.scalars.map(\.bitPattern) } }

    @Test func sameSeedGivesBitIdenticalSteps() throws {
        var first = Self.trainer(seed: 9), second = Self.trainer(seed: 9)
        for step in 1...3 {
            let (a, b) = (try first.trainStep(), try second.trainStep())
            #expect(a.step == step && b.step == step)
            #expect([a.reconstructionLoss, a.codebookLoss, a.commitmentLoss, a.perplexity].map(\.bitPattern)
                    == [b.reconstructionLoss, b.codebookLoss, b.commitmentLoss, b.perplexity].map(\.bitPattern), "step \(step)")
            #expect(a.restartedCodes == b.restartedCodes)
        }
        #expect(Self.bits(first.model) == Self.bits(second.model))
        #expect(first.model.namedTensors.mapValues(\.scalars) == second.model.namedTensors.mapValues(\.scalars))  // restart counters too
        // ... and a different seed really gives a different run.
        var other = Self.trainer(seed: 10)
        let c = try other.trainStep()
        var again = Self.trainer(seed: 9)
        #expect(c.reconstructionLoss != (try again.trainStep()).reconstructionLoss)
    }

    @Test func nonFiniteLossStopsBeforeTheUpdate() throws {
        var trainer = Self.trainer(seed: 9) { $0.decoder.upsampling[1].bias = Tensor(shape: [1], scalars: [.nan]) }
        let before = Self.bits(trainer.model)
        do {
            _ = try trainer.trainStep()
            Issue.record("a NaN bias gave a finite loss")
        } catch let error as NonFiniteLossError {
            #expect(error.step == 1)
            #expect(error.losses["reconstruction"]!.isNaN)
            #expect(error.description.hasPrefix("training stopped at step 1: the loss is not finite"))
            #expect(error.description.hasSuffix("the model was not updated"))
        }
        #expect(trainer.step == 0)
        #expect(Self.bits(trainer.model) == before)
    }

    /// A learning rate of 1e30 moves every weight by ±1e30 at step 1; step 2's loss overflows and stops.
    @Test func overflowingLearningRateStopsAtTheNextStep() throws {
        var trainer = Self.trainer(seed: 9, learningRate: 1e30)
        _ = try trainer.trainStep()
        let afterFirst = Self.bits(trainer.model)
        do {
            _ = try trainer.trainStep()
            Issue.record("weights of ±1e30 gave a finite loss")
        } catch let error as NonFiniteLossError {
            #expect(error.step == 2)
            #expect(error.description.hasPrefix("training stopped at step 2: the loss is not finite"))
        }
        #expect(trainer.step == 1)
        #expect(Self.bits(trainer.model) == afterFirst)
    }
}
