import VQData
import VQEngine

/// The pictures a training run writes into its folder (`vqvae train` calls `write` at every save and at
/// the end), each replaced atomically on every write:
///
/// - `reconstructions.png`: the first `reconstructionCount` test images, each beside its
///   reconstruction (decoded codes), four pairs to a row; the same images every time.
/// - `codebook_usage.png`: how often each code was chosen over the test set (up to
///   `usageImageLimit` images), bars sorted from the most used code to the least used, so the used
///   fraction of the codebook reads off the x axis; the title gives the count of codes used.
/// - `loss_curves.png`: reconstruction, codebook and commitment (before β) loss of every step, on a
///   logarithmic y axis (losses span decades; zero losses, as the codebook loss of an EMA codebook,
///   are not drawn). With a codebook learned by loss the codebook and commitment losses are the same
///   number (one distance, two gradients), so their lines coincide.
public struct TrainingPictures {
    public static let reconstructionsFile = "reconstructions.png"
    public static let codebookUsageFile = "codebook_usage.png"
    public static let lossCurvesFile = "loss_curves.png"

    /// The run folder.
    public let folder: String
    public let testSet: ImageDataset
    public var reconstructionCount = 16
    public var usageImageLimit = 2000
    public private(set) var history = LossHistory()
    /// Wall-clock seconds spent in `write`, so a caller timing training can leave them out.
    public private(set) var writingSeconds = 0.0

    public init(folder: String, testSet: ImageDataset) {
        self.folder = folder
        self.testSet = testSet
    }

    /// Records one step's losses.
    public mutating func record(_ report: TrainingStepReport) { history.record(report) }

    /// Writes the three pictures for `model` and the losses recorded so far.
    public mutating func write(model: VQVAE) throws {
        let started = ContinuousClock.now
        defer { writingSeconds += Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6 }
        let (originals, reconstructions) = try model.reconstructedImages(testSet, count: reconstructionCount, source: folder)
        try PNGEncoder.write(ImageGrid.pairs(originals: originals, reconstructions: reconstructions),
                             to: folder + "/" + TrainingPictures.reconstructionsFile)
        let counts = model.encode(testSet, limit: usageImageLimit, depth: 1).indices
            .reduce(into: [Int](repeating: 0, count: model.configuration.numEmbeddings)) { $0[Int($1)] += 1 }
        try PNGEncoder.write(TrainingPictures.codebookUsageChart(counts),
                             to: folder + "/" + TrainingPictures.codebookUsageFile)
        try PNGEncoder.write(TrainingPictures.lossCurvesChart(history),
                             to: folder + "/" + TrainingPictures.lossCurvesFile)
    }

    /// The usage bar chart of code counts (K of them), sorted by count, most used first.
    public static func codebookUsageChart(_ counts: [Int]) -> RasterImage {
        let used = counts.filter { $0 > 0 }.count
        let chart = BarChart(title: "code use, sorted: \(used)/\(counts.count) used",
                             values: counts.sorted(by: >).map(Double.init),
                             firstLabel: "1", lastLabel: "\(counts.count)")
        return chart.render(width: max(640, counts.count + 120), height: 320)
    }

    /// The loss curves: three series against the step, logarithmic y.
    public static func lossCurvesChart(_ history: LossHistory) -> RasterImage {
        let steps = history.steps.map(Double.init)
        let chart = LineChart(title: "losses per step", series: [
            .init(name: "reconstruction", color: .blue, x: steps, y: history.reconstruction.map(Double.init)),
            .init(name: "codebook", color: .orange, x: steps, y: history.codebook.map(Double.init)),
            .init(name: "commitment", color: .green, x: steps, y: history.commitment.map(Double.init)),
        ], logarithmicY: true)
        return chart.render(width: 640, height: 360)
    }
}
