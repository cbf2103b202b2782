import VQNN

/// How to train a VQ-VAE. The defaults are the PyTorch reference's (`torch_ref.py`): Adam with a
/// constant learning rate of 3e-4, batch 32, no clipping, no warm-up, no codebook tricks.
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
    /// Initialise the codebook by k-means++ on the encoder outputs of the first batches.
    public var kMeansInitialization: Bool
    /// How many batches feed the k-means initialisation.
    public var kMeansBatches: Int
    /// Restart a code unused for this many steps (nil: off).
    public var deadCodePatience: Int?

    public init(steps: Int = 2000, batchSize: Int = 32, seed: UInt64 = 0, learningRate: Float = 3e-4,
                cosineWarmupSteps: Int? = nil, weightDecay: Float = 0, gradientClipNorm: Float? = nil,
                commitmentWarmupSteps: Int = 0, kMeansInitialization: Bool = false, kMeansBatches: Int = 8,
                deadCodePatience: Int? = nil) {
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
        self.learningRate = learningRate
        self.cosineWarmupSteps = cosineWarmupSteps
        self.weightDecay = weightDecay
        self.gradientClipNorm = gradientClipNorm
        self.commitmentWarmupSteps = commitmentWarmupSteps
        self.kMeansInitialization = kMeansInitialization
        self.kMeansBatches = kMeansBatches
        self.deadCodePatience = deadCodePatience
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
