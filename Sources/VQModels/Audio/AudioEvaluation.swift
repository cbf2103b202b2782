#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQData
import VQEngine
import VQNN

/// Test-set quality of a speech VQ-VAE (`vqvae audio eval`): how close the reconstructions are, what
/// the codes cost, and how much of the content the units keep.
public struct AudioEvaluationReport: Codable, Equatable, Sendable {
    public var clips: Int
    public var seconds: Double
    /// 10·log₁₀(Σ x² / Σ (x − x̂)²) over every sample of every clip.
    public var snrDecibels: Double
    /// `SpectralMeasures`' log-spectral distance, mean over frames.
    public var logSpectralDistanceDecibels: Double
    /// `SpectralMeasures`' mean absolute log-mel difference, mean over frames.
    public var melDistance: Double
    /// What the decoder is sent per second: the codes' rate, (sample rate / F) positions per second ×
    /// depth × ⌈log₂ K⌉ bits, plus with a pitch source 6 bits of F0 per position.
    public var bitsPerSecond: Double
    /// The pitch source's share of `bitsPerSecond` (0 without one).
    public var pitchBitsPerSecond: Double = 0
    /// exp(entropy) of the first stage's codes over the test clips.
    public var perplexity: Double
    /// The fraction of the first stage's codes used at least once.
    public var codebookUsage: Double
    public var deadCodes: Int
    /// Accuracy on the test clips of a `UnitClassifier` of labels trained on the training clips' units
    /// (nil without labels or training clips).
    public var unitLabelAccuracy: Double?
    /// I(unit; label) in bits over the test clips (nil without labels).
    public var unitLabelMutualInformation: Double?
    /// Accuracy on the test clips of a `UnitClassifier` of speakers trained on the training clips'
    /// units: how much the units say about who spoke (the lower, the closer to chance, 1/speakers, the
    /// better for conversion). nil without two or more speakers in both splits.
    public var unitSpeakerAccuracy: Double?
}

extension VQVAE {
    /// Reconstructs every clip of `test` (whole, with its own speaker when the decoder is conditioned:
    /// `speakerMap` maps the dataset's speaker indices to the model's), measures the distances, and
    /// with labels, classifies the test clips' units with a classifier trained on `training`'s.
    public func evaluateAudio(on test: AudioDataset, training: AudioDataset? = nil, speakerMap: [Int32]? = nil,
                              depth: Int? = nil) -> AudioEvaluationReport {
        let measures = SpectralMeasures(sampleRate: test.sampleRate)
        var signal = 0.0, noise = 0.0, logSpectral = 0.0, mel = 0.0, frames = 0
        var usage = CodeUsage(depth: 1, codebookSize: configuration.numEmbeddings)
        let stages = quantizer.resolvedDepth(depth)
        var testUnits: [[Int32]] = []
        for index in 0..<test.count {
            let clip = test.clip(index)
            let condition = configuration.conditionClasses > 0 ? speakerMap.map { $0[Int(test.speakers[index])] } ?? test.speakers[index] : nil
            let (codes, output) = decodeOwnCodes(clip, depth: stages, condition: condition, pitch: pitch(clip: clip))
            for (x, y) in zip(clip, output) { signal += Double(x) * Double(x); noise += Double(x - y) * Double(x - y) }
            let distances = measures.distances(original: Array(clip), reconstruction: output)
            (logSpectral, mel, frames) = (logSpectral + distances.logSpectral, mel + distances.mel, frames + distances.frames)
            let firstStage = stages > 1 ? stride(from: 0, to: codes.count, by: stages).map { codes[$0] } : codes
            usage.record(firstStage, depth: 1)
            testUnits.append(firstStage)
        }
        let positionsPerSecond = Double(test.sampleRate) / Double(configuration.downsampling)
        let bitsPerCode = Double(max(1, Int(ceil(log2(Double(configuration.numEmbeddings))))))
        let pitchBits = pitchSource == nil ? 0 : positionsPerSecond * Double(PitchSource.bitsPerFrame)
        var report = AudioEvaluationReport(
            clips: test.count, seconds: test.duration, snrDecibels: 10 * log10(signal / max(noise, 1e-30)),
            logSpectralDistanceDecibels: logSpectral / Double(max(frames, 1)), melDistance: mel / Double(max(frames, 1)),
            bitsPerSecond: positionsPerSecond * Double(stages) * bitsPerCode + pitchBits, pitchBitsPerSecond: pitchBits,
            perplexity: usage.perplexities[0],
            codebookUsage: usage.usages[0], deadCodes: usage.deadCodes[0])
        if !test.labels.isEmpty {
            let classes = Int((test.labels + (training?.labels ?? [])).max()!) + 1
            report.unitLabelMutualInformation = UnitClassifier.mutualInformation(
                testUnits, labels: test.labels, codebookSize: configuration.numEmbeddings, classes: classes)
        }
        guard let training, training.count > 0, !(training.labels.isEmpty && training.speakers.isEmpty) else { return report }
        let trainingUnits = (0..<training.count).map { encode(clip: training.clip($0), depth: 1) }
        report.unitLabelAccuracy = unitAccuracy(training: trainingUnits, training.labels, test: testUnits, test.labels)
        report.unitSpeakerAccuracy = unitAccuracy(training: trainingUnits, training.speakers, test: testUnits, test.speakers)
        return report
    }

    /// The test accuracy of a `UnitClassifier` trained on `trainingUnits` and `trainingLabels` (labels
    /// in one index space for both splits, as a folder's splits share their speakers and classes); nil
    /// unless every clip of both splits has a label and there are at least two.
    func unitAccuracy(training trainingUnits: [[Int32]], _ trainingLabels: [Int32], test testUnits: [[Int32]], _ testLabels: [Int32]) -> Double? {
        guard trainingLabels.count == trainingUnits.count, testLabels.count == testUnits.count, !testLabels.isEmpty,
              Set(trainingLabels).count >= 2 else { return nil }
        let classes = Int((trainingLabels + testLabels).max()!) + 1
        return UnitClassifier(units: trainingUnits, labels: trainingLabels, codebookSize: configuration.numEmbeddings, classes: classes)
            .accuracy(testUnits, labels: testLabels)
    }
}
