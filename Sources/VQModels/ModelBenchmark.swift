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
