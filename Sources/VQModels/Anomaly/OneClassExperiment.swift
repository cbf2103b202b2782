import VQData
import VQEngine
import VQNN

/// The standard one-class protocol for one normal class: train a VQ-VAE (and optionally an
/// unconditional PixelCNN prior over its codes) on the training images of that class only, fit the
/// combined score's standardisation on those same training images, then score the whole test split,
/// the other classes being the anomalies. What `vqvae bench anomaly` runs for each class.
public struct OneClassExperiment: Sendable {
    /// The budget of one class.
    public struct Settings: Sendable {
        public var configuration: VQVAEConfiguration
        public var options: TrainingOptions
        /// Prior training steps (0: no prior, so no surprise score).
        public var priorSteps: Int
        public var priorBatch: Int
        public var priorConfiguration: PixelCNNConfiguration
        public var priorLearningRate: Float

        public init(configuration: VQVAEConfiguration, options: TrainingOptions, priorSteps: Int, priorBatch: Int = 32,
                    priorConfiguration: PixelCNNConfiguration, priorLearningRate: Float = 1e-3) {
            self.configuration = configuration
            self.options = options
            self.priorSteps = priorSteps
            self.priorBatch = priorBatch
            self.priorConfiguration = priorConfiguration
            self.priorLearningRate = priorLearningRate
        }
    }

    /// What happens while it runs, for progress output.
    public enum Event {
        case vqvaeStep(TrainingStepReport)
        case priorStep(PriorTrainingStepReport)
        /// Images scored so far of `total` (the reference images first, then the test split).
        case scored(Int, total: Int)
    }

    /// The outcome for one class.
    public struct Result {
        public var normalClass: Int
        public var model: VQVAE
        public var prior: PixelCNN?
        /// The test split's scores, with the combined score.
        public var scores: AnomalyScores
        /// The normal training images' scores (the reference of the combined score), with it.
        public var reference: AnomalyScores
        public var rule: ScoreStandardization
        public var report: AnomalyDetectionReport
        public var trainSeconds: Double
        public var priorSeconds: Double
        public var scoreSeconds: Double
        public var trainingImages: Int
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    /// Runs the protocol with `normalClass` normal: `trainSet` and `testSet` are the whole splits
    /// (labelled); `source` names them in errors. Throws `DataError` (unknown class) or
    /// `NonFiniteLossError`.
    public func run(normalClass: Int, trainSet: ImageDataset, testSet: ImageDataset, source: String,
                    events: (Event) -> Void = { _ in }) throws -> Result {
        let normalImages = try trainSet.restricted(toClasses: [normalClass], source: source)
        var options = settings.options
        options.classes = [normalClass]
        var generator = RandomGenerator(seed: options.seed)
        var trainer = Trainer(model: VQVAE(settings.configuration, generator: &generator), dataset: normalImages, options: options)
        let trainStarted = ContinuousClock.now
        trainer.initializeQuantizer()
        while trainer.step < options.steps { events(.vqvaeStep(try trainer.trainStep())) }
        let trainSeconds = (ContinuousClock.now - trainStarted).seconds
        let model = trainer.model

        var prior: PixelCNN?
        let priorStarted = ContinuousClock.now
        if settings.priorSteps > 0 {
            var priorGenerator = RandomGenerator(seed: options.seed)
            var priorTrainer = PriorTrainer(prior: PixelCNN(settings.priorConfiguration, generator: &priorGenerator),
                                            grids: model.codeGrids(of: normalImages), batchSize: settings.priorBatch,
                                            schedule: .constant(settings.priorLearningRate), seed: options.seed)
            while priorTrainer.step < settings.priorSteps { events(.priorStep(try priorTrainer.trainStep())) }
            prior = priorTrainer.prior
        }
        let priorSeconds = (ContinuousClock.now - priorStarted).seconds

        let scoreStarted = ContinuousClock.now
        let total = normalImages.count + testSet.count
        let reference = model.anomalyScores(of: normalImages, prior: prior) { events(.scored($0, total: total)) }.scores
        let rule = ScoreStandardization(reference: reference)
        let measured = model.anomalyScores(of: testSet, prior: prior) { events(.scored(normalImages.count + $0, total: total)) }.scores
        let scores = rule.addingCombined(to: measured)
        guard let report = AnomalyDetectionReport(scores: scores, labels: testSet.labels, normalClasses: [normalClass]) else {
            throw DataError(source, "the test split needs images of class \(normalClass) and of other classes")
        }
        return Result(normalClass: normalClass, model: model, prior: prior, scores: scores,
                      reference: rule.addingCombined(to: reference), rule: rule, report: report,
                      trainSeconds: trainSeconds, priorSeconds: priorSeconds,
                      scoreSeconds: (ContinuousClock.now - scoreStarted).seconds, trainingImages: normalImages.count)
    }
}
