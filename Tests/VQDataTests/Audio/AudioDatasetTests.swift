import Testing
import VQData

@Suite struct AudioDatasetTests {
    /// Clips of lengths 3, 1 and 6 whose samples are 1…10 / 16 in order, labelled and with speakers.
    static func small() -> AudioDataset {
        AudioDataset(clips: [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10]].map { $0.map { Float($0) / 16 } }, sampleRate: 8000,
                     labels: [3, 1, 3], speakers: [0, 1, 1])
    }

    @Test func clipsLieEndToEnd() {
        let set = AudioDatasetTests.small()
        #expect(set.count == 3 && set.clipBounds == [0, 3, 4, 10] && set.samples.count == 10)
        #expect(Array(set.clip(1)) == [0.25] && Array(set.clip(2)) == [5, 6, 7, 8, 9, 10].map { Float($0) / 16 })
        #expect(set.length(ofClip: 0) == 3 && set.length(ofClip: 2) == 6)
        #expect(set.duration == 10.0 / 8000)
        #expect(set.fileNames.isEmpty && set.classNames.isEmpty && set.speakerNames.isEmpty)
    }

    /// FNV-1a values computed with Python (`struct.pack('<qq', 3, 1) + struct.pack('<4f', 0.5, -0.25, 0,
    /// 0.125)`, then the labels and speakers as '<ii' each).
    @Test func fingerprintCoversLengthsSamplesLabelsAndSpeakers() {
        let labelled = AudioDataset(clips: [[0.5, -0.25, 0], [0.125]], sampleRate: 16000, labels: [2, 7], speakers: [1, 0])
        #expect(labelled.fingerprint == "4324fdf6bf8561e2")
        let bare = AudioDataset(clips: [[0.5, -0.25, 0], [0.125]], sampleRate: 16000)
        #expect(bare.fingerprint == "30008c5c854017b6")
        #expect(bare.summary == "2 clips, 16000 Hz, 0.0 s, fingerprint 30008c5c854017b6")
        // Same samples cut elsewhere, or -0 for 0: another dataset.
        #expect(AudioDataset(clips: [[0.5, -0.25], [0, 0.125]], sampleRate: 16000).fingerprint != bare.fingerprint)
        #expect(AudioDataset(clips: [[0.5, -0.25, -0.0], [0.125]], sampleRate: 16000).fingerprint != bare.fingerprint)
        // The rate is not part of it (an identity keeps it beside the fingerprint).
        #expect(AudioDataset(clips: [[0.5, -0.25, 0], [0.125]], sampleRate: 8000).fingerprint == bare.fingerprint)
        let long = AudioDataset(clips: [[Float](repeating: 0.25, count: 12_000)], sampleRate: 8000)
        #expect(long.summary.hasPrefix("1 clips, 8000 Hz, 1.5 s, fingerprint "))
    }
}
