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
        var model = VQVAE(configuration, generator: &generator)
        var optimizer = Adam(learningRate: 3e-4)
        let images = Tensor(uniform: [batchSize, configuration.inputChannels, imageSize, imageSize],
                            low: -0.5, high: 0.5, generator: &generator)
        func trainStep() {
            let tape = Tape()
            var tracked = model
            tracked.watchParameters(on: tape)
            let output = tracked(images)
            let loss = tracked.loss(output, images: images)
            let gradients = tape.gradients(of: loss, withRespectTo: tracked.parameters)
            optimizer.update(&model, gradients: gradients)
            model.quantizer.updateMovingAverages(output.quantization)
        }
        let clock = ContinuousClock()
        for _ in 0..<3 { trainStep() }
        let trainSeconds = clock.measure { for _ in 0..<steps { trainStep() } }.seconds
        for _ in 0..<3 { _ = model(images) }
        let reconstructSeconds = clock.measure { for _ in 0..<steps { _ = model(images).reconstruction } }.seconds
        let imageCount = Double(batchSize * steps)
        return Result(trainImagesPerSecond: imageCount / trainSeconds, reconstructImagesPerSecond: imageCount / reconstructSeconds)
    }
}
