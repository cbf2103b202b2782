import Testing
import VQData
import VQEngine

@Suite struct AudioDatasetTests {
    /// Clips of lengths 3, 1 and 6 whose samples are 1…10 / 16 in order, labelled and with speakers.
    static func small() -> AudioDataset {
        AudioDataset(clips: [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10]].map { $0.map { Float($0) / 16 } }, sampleRate: 8000,
                     labels: [3, 1, 3], speakers: [0, 1, 1])
    }

    /// Window `row` of a batch of 4-sample windows.
    static func row(_ windows: AudioWindows, _ row: Int) -> [Float] { Array(windows.samples.scalars[(row * 4)..<(row * 4 + 4)]) }

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

    /// Every window takes two draws, clip then offset, in that order, whatever the clip lengths; the
    /// samples are the clip's from the offset, zeros past a short clip's end.
    @Test func windowsFollowTheGeneratorAndPadShortClips() {
        let set = AudioDatasetTests.small()
        var generator = RandomGenerator(seed: 11)
        let windows = set.windows(count: 40, length: 4, generator: &generator)
        #expect(windows.samples.shape == [40, 1, 4])

        var reference = RandomGenerator(seed: 11)
        for row in 0..<40 {
            let clip = reference.nextIndex(below: 3)
            let offset = reference.nextIndex(below: max(1, set.length(ofClip: clip) - 4 + 1))
            #expect(windows.clips[row] == clip && windows.offsets[row] == offset)
            let expected = (0..<4).map { offset + $0 < set.length(ofClip: clip) ? set.samples[set.clipBounds[clip] + offset + $0] : 0 }
            #expect(AudioDatasetTests.row(windows, row) == expected)
            #expect(windows.labels[row] == set.labels[clip] && windows.speakers[row] == set.speakers[clip])
        }
        #expect(generator == reference)
        // The 40 windows reach every clip, and the long clip's offsets reach both ends (0 and 6 − 4).
        #expect(Set(windows.clips) == [0, 1, 2])
        #expect(Set(zip(windows.clips, windows.offsets).filter { $0.0 == 2 }.map(\.1)) == [0, 1, 2])
        // Clips of 3 and 1 samples against 4: the clip then zeros.
        let shortRow = windows.clips.firstIndex(of: 1)!
        #expect(AudioDatasetTests.row(windows, shortRow) == [0.25, 0, 0, 0])
        let threeRow = windows.clips.firstIndex(of: 0)!
        #expect(AudioDatasetTests.row(windows, threeRow) == [1, 2, 3, 0].map { Float($0) / 16 })

        // The same seed gives the same windows; another seed others.
        var again = RandomGenerator(seed: 11), other = RandomGenerator(seed: 12)
        let repeated = set.windows(count: 40, length: 4, generator: &again)
        #expect(repeated.samples.scalars == windows.samples.scalars && repeated.clips == windows.clips && repeated.offsets == windows.offsets)
        #expect(set.windows(count: 40, length: 4, generator: &other).clips != windows.clips)
    }

    @Test func windowsOfAnUnlabelledSetHaveNoLabels() {
        let set = AudioDataset(clips: [[1, 2, 3, 4, 5]], sampleRate: 100)
        var generator = RandomGenerator(seed: 0)
        let windows = set.windows(count: 3, length: 5, generator: &generator)
        #expect(windows.labels.isEmpty && windows.speakers.isEmpty)
        #expect(windows.offsets == [0, 0, 0] && windows.samples.scalars == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
    }

    @Test func paddedClipRoundsUpToTheFactor() {
        let set = AudioDatasetTests.small()
        let padded = set.paddedClip(2, toMultipleOf: 4)  // 6 samples → 8
        #expect(padded.samples.shape == [1, 1, 8] && padded.length == 6)
        #expect(padded.samples.scalars == [5, 6, 7, 8, 9, 10].map { Float($0) / 16 } + [0, 0])
        let exact = set.paddedClip(0, toMultipleOf: 3)  // 3 samples, already a multiple
        #expect(exact.samples.shape == [1, 1, 3] && exact.length == 3)
        let one = set.paddedClip(1, toMultipleOf: 16)
        #expect(one.samples.shape == [1, 1, 16] && one.samples.scalars == [0.25] + [Float](repeating: 0, count: 15))
        #expect(set.paddedClip(2, toMultipleOf: 1).samples.shape == [1, 1, 6])
    }
}
