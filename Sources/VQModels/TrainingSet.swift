import VQData
import VQEngine

/// What a `Trainer` draws its batches from: images, windows of audio clips, …
public protocol TrainingSet {
    /// Channels of each input.
    var channels: Int { get }
    /// `count` inputs drawn with `generator`, (count, C, …), and one label per input for a conditioned
    /// decoder (the class of an image, the speaker of a clip), or an empty array when the set has none.
    func trainingBatch(count: Int, generator: inout RandomGenerator) -> (input: Tensor, labels: [Int32])
    /// What identifies these inputs for resume checks, under the name `name` (a path).
    func identity(name: String) -> DatasetIdentity
}

extension ImageDataset: TrainingSet {
    /// Images drawn uniformly with replacement, with their class labels when the set has them.
    public func trainingBatch(count: Int, generator: inout RandomGenerator) -> (input: Tensor, labels: [Int32]) {
        let total = self.count
        let indices = (0..<count).map { _ in generator.nextIndex(below: total) }
        return (batch(indices), labels.isEmpty ? [] : indices.map { labels[$0] })
    }

    public func identity(name: String) -> DatasetIdentity { DatasetIdentity(name: name, dataset: self) }
}

/// Fixed-length windows of an audio set's clips (`AudioDataset.windows`): random clip, random offset,
/// shorter clips padded with zeros; the labels are the clips' speakers. With a clip peak (the model's
/// `VQVAEConfiguration.clipPeak`) the windows are cut from the peak-normalised clips, as the model
/// sees a whole clip.
public struct AudioWindowSet: TrainingSet {
    /// The clips as read (what the run's identity fingerprints).
    public let dataset: AudioDataset
    /// Samples per window.
    public let windowLength: Int
    /// The clips the windows are cut from: `dataset`, or it peak-normalised.
    let windowSource: AudioDataset

    public init(dataset: AudioDataset, windowLength: Int, clipPeak: Float? = nil) {
        precondition(windowLength > 0 && dataset.count > 0, "AudioWindowSet: \(dataset.count) clips, windows of \(windowLength)")
        self.dataset = dataset
        self.windowLength = windowLength
        windowSource = clipPeak.map { dataset.peakNormalized(to: $0) } ?? dataset
    }

    public var channels: Int { 1 }

    public func trainingBatch(count: Int, generator: inout RandomGenerator) -> (input: Tensor, labels: [Int32]) {
        let windows = windowSource.windows(count: count, length: windowLength, generator: &generator)
        return (windows.samples, windows.speakers)
    }

    public func identity(name: String) -> DatasetIdentity { DatasetIdentity(name: name, audio: dataset) }
}
