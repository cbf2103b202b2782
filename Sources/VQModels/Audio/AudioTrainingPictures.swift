import VQData
import VQEngine

/// The pictures a speech training run writes into its folder at every save and at the end, each
/// replaced atomically:
///
/// - `spectrograms.png`: for the first `clipCount` test clips, one row each: the original, its
///   reconstruction, and its conversion to each of up to `conversions` other speakers (all on one
///   dB scale; seconds across, Hz up);
/// - `loss_curves.png`: the reconstruction, codebook and commitment losses of every step (as for images).
public struct AudioTrainingPictures: RunPictures {
    public static let spectrogramsFile = "spectrograms.png"

    public let folder: String
    public let testSet: AudioDataset
    /// The model's label of each of the test set's speakers (nil: the model is unconditioned).
    public let speakerMap: [Int32]?
    public let speakerNames: [String]
    public var clipCount = 4
    public var conversions = 2
    public private(set) var history = LossHistory()
    public private(set) var writingSeconds = 0.0

    public init(folder: String, testSet: AudioDataset, speakerMap: [Int32]?, speakerNames: [String]) {
        self.folder = folder
        self.testSet = testSet
        self.speakerMap = speakerMap
        self.speakerNames = speakerNames
    }

    public mutating func record(_ report: TrainingStepReport) { history.record(report) }

    public mutating func write(model: VQVAE) throws {
        let started = ContinuousClock.now
        defer { writingSeconds += Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6 }
        try PNGEncoder.write(TrainingPictures.lossCurvesChart(history), to: folder + "/" + TrainingPictures.lossCurvesFile)
        try PNGEncoder.write(spectrogramRows(model), to: folder + "/" + AudioTrainingPictures.spectrogramsFile)
    }

    /// The rows of panels: original, reconstruction, conversions.
    func spectrogramRows(_ model: VQVAE) -> RasterImage {
        var rows: [[(title: String, samples: [Float])]] = []
        for index in 0..<min(clipCount, testSet.count) {
            let clip = testSet.clip(index)
            let own = speakerMap.map { $0[Int(testSet.speakers[index])] }
            var panels: [(title: String, samples: [Float])] = [("original", Array(clip))]
            panels.append(("reconstruction", model.reconstruct(clip: clip, condition: own)))
            if let own, !speakerNames.isEmpty {
                let others = (0..<speakerNames.count).map(Int32.init).filter { $0 != own }.prefix(conversions)
                for other in others {
                    panels.append(("as " + speakerNames[Int(other)], model.convert(clip: clip, to: other)))
                }
            }
            rows.append(panels)
        }
        return Spectrogram.panelGrid(rows, sampleRate: testSet.sampleRate)
    }
}
