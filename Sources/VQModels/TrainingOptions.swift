import Foundation
import VQNN

/// How to train a VQ-VAE. The defaults are the PyTorch reference's (`torch_ref.py`): Adam with a
/// constant learning rate of 3e-4, batch 32, no clipping, no warm-up. How the quantizer learns
/// (k-means initialisation, dead-code restarts) is the quantizer's configuration, not these options.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var steps: Int
    public var batchSize: Int
    public var seed: UInt64
    public var learningRate: Float
    /// Cosine decay with this many warm-up steps when set; constant learning rate when nil.
    public var cosineWarmupSteps: Int?
    /// AdamW's decoupled weight decay (0: plain Adam).
    public var weightDecay: Float
    /// Clip gradients to this global norm when set.
    public var gradientClipNorm: Float?
    /// Ramp β linearly from 0 over this many steps (0: off).
    public var commitmentWarmupSteps: Int
    /// Audio: samples per training window (nil for images).
    public var windowLength: Int?
    /// Audio: the model's sample rate, every clip resampled to it (nil for images).
    public var sampleRate: Int?
    /// The classes the training images were restricted to (`--classes`, one-class training for anomaly
    /// detection), in the order typed; nil for all images. Absent from the JSON when nil, so runs saved
    /// before it keep their settings.
    public var classes: [Int]?

    public init(steps: Int = 2000, batchSize: Int = 32, seed: UInt64 = 0, learningRate: Float = 3e-4,
                cosineWarmupSteps: Int? = nil, weightDecay: Float = 0, gradientClipNorm: Float? = nil,
                commitmentWarmupSteps: Int = 0, windowLength: Int? = nil, sampleRate: Int? = nil, classes: [Int]? = nil) {
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
        self.learningRate = learningRate
        self.cosineWarmupSteps = cosineWarmupSteps
        self.weightDecay = weightDecay
        self.gradientClipNorm = gradientClipNorm
        self.commitmentWarmupSteps = commitmentWarmupSteps
        self.windowLength = windowLength
        self.sampleRate = sampleRate
        self.classes = classes
    }

    /// Adam, or AdamW when there is weight decay, at the options' learning rate.
    public func makeOptimizer() -> Adam {
        weightDecay > 0 ? Adam.adamW(learningRate: learningRate, weightDecay: weightDecay) : Adam(learningRate: learningRate)
    }

    /// The learning-rate schedule these options describe.
    public var schedule: LearningRateSchedule {
        if let warmup = cosineWarmupSteps {
            return .cosine(peak: learningRate, warmupSteps: warmup, totalSteps: steps)
        }
        return .constant(learningRate)
    }

    /// The factor on β at `step`: a linear ramp from 0 during the commitment warm-up, then 1.
    public func commitmentScale(at step: Int) -> Float {
        commitmentWarmupSteps > 0 ? min(1, Float(step) / Float(commitmentWarmupSteps)) : 1
    }
}

extension TrainingOptions {
    /// The options recorded in a model checkpoint's metadata (`training_options`, written by
    /// `vqvae train`), or nil when absent or unreadable.
    public static func recorded(in metadata: [String: String]) -> TrainingOptions? {
        guard let text = metadata["training_options"] else { return nil }
        return try? JSONDecoder().decode(TrainingOptions.self, from: Data(text.utf8))
    }
}
