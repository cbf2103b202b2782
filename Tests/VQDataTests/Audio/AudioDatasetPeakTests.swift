import Testing
import VQData

/// Peak normalisation (AudioDataset+Peak.swift): gains by hand, and a dataset scaled clip by clip.
@Suite struct AudioDatasetPeakTests {
    /// level / max|x|: 0.5 / 0.25 = 2 (the peak is the negative sample's magnitude); a clip of zeros
    /// keeps gain 1.
    @Test func gainBringsThePeakToTheLevel() {
        #expect(AudioDataset.peakGain(of: [0.1, -0.25, 0.2][...], level: 0.5) == 2)
        #expect(AudioDataset.peakGain(of: [0.03][...], level: 0.6) == Float(0.6) / Float(0.03))
        #expect(AudioDataset.peakGain(of: [0, 0, 0][...], level: 0.5) == 1)
        #expect(AudioDataset.peakGain(of: [][...], level: 0.5) == 1)
    }

    /// Every clip of AudioDatasetTests.small() (peaks 3/16, 4/16, 10/16) ends with peak 0.5, its shape
    /// unchanged (clip i is x · 0.5 / peak_i), the silent clip stays silent, and labels, speakers, names
    /// and rate are kept.
    @Test func everyClipIsScaledOnItsOwn() {
        var dataset = AudioDatasetTests.small()
        dataset.speakerNames = ["a", "b"]
        dataset.fileNames = ["1.wav", "2.wav", "3.wav"]
        let scaled = dataset.peakNormalized(to: 0.5)
        #expect(scaled.clipBounds == dataset.clipBounds && scaled.sampleRate == 8000)
        #expect(Array(scaled.clip(0)) == [1, 2, 3].map { Float($0) / 16 * (Float(0.5) / (Float(3) / 16)) })
        #expect(Array(scaled.clip(1)) == [0.5])
        #expect(Array(scaled.clip(2)) == (5...10).map { Float($0) / 16 * (Float(0.5) / (Float(10) / 16)) })
        #expect(scaled.labels == dataset.labels && scaled.speakers == dataset.speakers)
        #expect(scaled.speakerNames == ["a", "b"] && scaled.fileNames == dataset.fileNames)
        let silent = AudioDataset(clips: [[0, 0], [0.2, -0.1]], sampleRate: 8000).peakNormalized(to: 0.5)
        #expect(Array(silent.clip(0)) == [0, 0] && Array(silent.clip(1)) == [0.5, -0.25])
    }
}
