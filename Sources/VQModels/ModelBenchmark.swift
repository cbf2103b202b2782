import VQEngine
import VQNN

/// Training and reconstruction throughput of a VQ-VAE, measured exactly as `torch_ref.py speed`:
/// one fixed batch of uniform inputs in [−0.5, 0.5], Adam (lr 3e-4), loss = MSE + VQ loss;
/// 3 untimed warm-up steps, then `steps` timed steps; reconstruction (encode, quantize, decode, no
/// tape) likewise.
public enum ModelBenchmark {
    public struct Result: Codable, Equatable, Sendable {
        public var trainImagesPerSecond: Double
        public var reconstructImagesPerSecond: Double
    }

    public static func run(configuration: VQVAEConfiguration, imageSize: Int, batchSize: Int, steps: Int,
                           seed: UInt64 = 0) -> Result {
        var generator = RandomGenerator(seed: seed)
        let model = VQVAE(configuration, generator: &generator)
        let images = Tensor(uniform: [batchSize, configuration.inputChannels, imageSize, imageSize],
                            low: -0.5, high: 0.5, generator: &generator)
        var trainer = ModelTrainer(model: model, optimizer: Adam(learningRate: 3e-4), schedule: .constant(3e-4),
                                   generator: RandomGenerator(seed: seed))
        func trainStep() { _ = try? trainer.step(on: VQVAE.Batch(input: images)) }
        let clock = ContinuousClock()
        for _ in 0..<3 { trainStep() }
        let trainSeconds = clock.measure { for _ in 0..<steps { trainStep() } }.seconds
        let trained = trainer.model
        for _ in 0..<3 { _ = trained(images) }
        let reconstructSeconds = clock.measure { for _ in 0..<steps { _ = trained(images).reconstruction } }.seconds
        let imageCount = Double(batchSize * steps)
        return Result(trainImagesPerSecond: imageCount / trainSeconds, reconstructImagesPerSecond: imageCount / reconstructSeconds)
    }
}

extension ModelBenchmark {
    /// Training and reconstruction throughput of a speech model, measured as `audio_ref.py speed`:
    /// training on one fixed batch of `batchSize` windows of `windowLength` uniform samples in
    /// [−0.5, 0.5] with random speakers (3 untimed warm-up steps, then `steps` timed steps, windows per
    /// second); reconstruction of whole clips of `clipLength` samples, one at a time (encode, quantize,
    /// decode with the clip's speaker, no tape), clips per second.
    public static func runAudio(configuration: VQVAEConfiguration, batchSize: Int, windowLength: Int, clipLength: Int,
                                steps: Int, seed: UInt64 = 0) -> Result {
        var generator = RandomGenerator(seed: seed)
        let model = VQVAE(configuration, generator: &generator)
        let windows = Tensor(uniform: [batchSize, 1, windowLength], low: -0.5, high: 0.5, generator: &generator)
        let classes = configuration.conditionClasses
        let speakers = classes > 0 ? (0..<batchSize).map { _ in Int32(generator.nextIndex(below: classes)) } : nil
        var trainer = ModelTrainer(model: model, optimizer: Adam(learningRate: 3e-4), schedule: .constant(3e-4),
                                   generator: RandomGenerator(seed: seed))
        func trainStep() { _ = try? trainer.step(on: VQVAE.Batch(input: windows, condition: speakers)) }
        let clock = ContinuousClock()
        for _ in 0..<3 { trainStep() }
        let trainSeconds = clock.measure { for _ in 0..<steps { trainStep() } }.seconds
        let trained = trainer.model
        let clips = (0..<steps).map { _ in (0..<clipLength).map { _ in Float(generator.nextUniformDouble()) - 0.5 } }
        let speaker: Int32? = classes > 0 ? 0 : nil
        for clip in clips.prefix(3) { _ = trained.reconstruct(clip: clip[...], condition: speaker) }
        let reconstructSeconds = clock.measure { for clip in clips { _ = trained.reconstruct(clip: clip[...], condition: speaker) } }.seconds
        return Result(trainImagesPerSecond: Double(batchSize * steps) / trainSeconds,
                      reconstructImagesPerSecond: Double(steps) / reconstructSeconds)
    }
}

extension ModelBenchmark {
    /// Training throughput of a PixelCNN prior in code grids per second, measured as
    /// `pixelcnn_ref.py speed-train`: batches of `batchSize` grids drawn (uniformly, with replacement)
    /// from a pool of `poolSize` grids of uniform random codes, Adam (lr 1e-3) through `PriorTrainer`;
    /// 3 untimed warm-up steps, then `repeats` rounds of `steps` timed steps → the rounds' durations
    /// (grids per second = steps · batchSize / seconds).
    public static func runPrior(configuration: PixelCNNConfiguration, height: Int, width: Int, batchSize: Int,
                                steps: Int, repeats: Int, poolSize: Int = 1000, seed: UInt64 = 0) throws -> Benchmark.Measurement {
        var generator = RandomGenerator(seed: seed)
        let prior = PixelCNN(configuration, generator: &generator)
        let codes = (0..<(poolSize * height * width)).map { _ in Int32(generator.nextIndex(below: configuration.numEmbeddings)) }
        let labels = configuration.numClasses > 0 ? (0..<poolSize).map { Int32($0 % configuration.numClasses) } : []
        let context = configuration.contextChannels > 0
            ? Tensor(normal: [poolSize * configuration.contextChannels * height * width], generator: &generator).scalars : []
        let grids = CodeGrids(codes: codes, labels: labels, count: poolSize, height: height, width: width,
                              contextChannels: configuration.contextChannels, contextValues: context)
        var trainer = PriorTrainer(prior: prior, grids: grids, batchSize: batchSize, schedule: .constant(1e-3), seed: seed)
        for _ in 0..<3 { _ = try trainer.trainStep() }
        return Benchmark.measure(warmUpRuns: 0, targetSeconds: 0, minimumRuns: repeats, maximumRuns: repeats) {
            for _ in 0..<steps { _ = try? trainer.trainStep() }
        }
    }
}
