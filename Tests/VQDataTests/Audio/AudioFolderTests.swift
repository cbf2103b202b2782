import Foundation
import Testing
import VQData
import _VQTestSupport

@Suite struct AudioFolderTests {
    /// Writes a 16-bit WAV of `values` / 32768 (exact in 16 bits), `channels` interleaved.
    static func write(_ path: String, _ values: [Int], rate: Int = 8000, channels: Int = 1) throws {
        try WAVFile(sampleRate: rate, channelCount: channels, samples: values.map { Float($0) / 32768 }).write(to: path)
    }

    static func scaled(_ values: [Int]) -> [Float] { values.map { Float($0) / 32768 } }

    /// FSDD names: label = digit, speaker = index among sorted names, takes 0-4 are test. Sorted names
    /// 0_amy_12, 1_amy_4, 1_amy_5, 3_bob_0, 3_bob_7: train 0_amy_12, 1_amy_5, 3_bob_7; test 1_amy_4, 3_bob_0.
    /// A text file and a hidden WAV are ignored.
    @Test func fsddNamesGiveDigitsSpeakersAndTheTakeSplit() throws {
        let root = try temporaryFolder()
        for (name, values) in [("3_bob_0.wav", [10, 11]), ("3_bob_7.wav", [20]), ("1_amy_4.wav", [30, 31, 32]),
                               ("1_amy_5.wav", [40]), ("0_amy_12.wav", [50, 51]), (".9_zed_9.wav", [60])] {
            try AudioFolderTests.write(root + "/" + name, values)
        }
        try FileIO.writeAtomically(Array("notes".utf8), to: root + "/readme.txt")
        let folder = try AudioFolder(root)
        #expect(folder.layout == .spokenDigits && folder.split == .byTake)
        #expect(folder.classNames == (0...9).map(String.init) && folder.speakerNames == ["amy", "bob"])
        let (train, test) = (folder.train, folder.test)
        #expect(train.fileNames == ["0_amy_12.wav", "1_amy_5.wav", "3_bob_7.wav"])
        #expect(train.labels == [0, 1, 3] && train.speakers == [0, 0, 1])
        #expect(train.samples == AudioFolderTests.scaled([50, 51, 40, 20]) && train.clipBounds == [0, 2, 3, 4])
        #expect(test.fileNames == ["1_amy_4.wav", "3_bob_0.wav"])
        #expect(test.labels == [1, 3] && test.speakers == [0, 1])
        #expect(test.samples == AudioFolderTests.scaled([30, 31, 32, 10, 11]) && test.clipBounds == [0, 3, 5])
        #expect(train.sampleRate == 8000 && test.sampleRate == 8000)
        #expect(test.classNames == folder.classNames && test.speakerNames == ["amy", "bob"])
    }

    /// Class sub-folders, no train/ and test/: 12 files in sorted order cat/00…cat/06, dog/00…dog/04;
    /// position 9 (dog/02) is the held-out test clip. dog/02 is stereo: mixed to the mean of its channels.
    @Test func classSubFoldersGiveLabelsAndATenthIsHeldOut() throws {
        let root = try temporaryFolder()
        try makeFolder(root + "/dog")
        try makeFolder(root + "/cat")
        for index in 0..<7 { try AudioFolderTests.write(root + "/cat/0\(index).\(index == 6 ? "WAV" : "wav")", [100 + index]) }
        for index in 0..<5 where index != 2 { try AudioFolderTests.write(root + "/dog/0\(index).wav", [200 + index, 1]) }
        try AudioFolderTests.write(root + "/dog/02.wav", [300, 104, 10, 20], channels: 2)
        let folder = try AudioFolder(root)
        #expect(folder.layout == .classFolders && folder.split == .everyTenth)
        #expect(folder.classNames == ["cat", "dog"] && folder.speakerNames.isEmpty)
        #expect(folder.train.count == 11 && folder.test.count == 1)
        #expect(folder.train.labels == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1] && folder.test.labels == [1])
        #expect(folder.train.speakers.isEmpty && folder.test.speakers.isEmpty)
        #expect(folder.test.fileNames == ["dog/02.wav"] && folder.test.samples == AudioFolderTests.scaled([202, 15]))
        #expect(folder.train.fileNames == (0..<7).map { "cat/0\($0).\($0 == 6 ? "WAV" : "wav")" } + ["dog/00.wav", "dog/01.wav", "dog/03.wav", "dog/04.wav"])
        #expect(Array(folder.train.clip(9)) == AudioFolderTests.scaled([203, 1]))
        #expect(folder.train.classNames == ["cat", "dog"])
    }

    /// train/ and test/ are the splits; class names are the union of both (cat, dog, emu). Loose files in
    /// train/ and test/ give no labels.
    @Test func trainAndTestFoldersAreTheSplits() throws {
        let root = try temporaryFolder()
        for folder in ["train", "test", "train/cat", "train/dog", "test/dog", "test/emu"] { try makeFolder(root + "/" + folder) }
        for (name, value) in [("train/cat/a.wav", 1), ("train/dog/b.wav", 2), ("test/dog/c.wav", 3), ("test/emu/d.wav", 4)] {
            try AudioFolderTests.write(root + "/" + name, [value])
        }
        let folder = try AudioFolder(root)
        #expect(folder.layout == .classFolders && folder.split == .folders)
        #expect(folder.classNames == ["cat", "dog", "emu"])
        #expect(folder.train.labels == [0, 1] && folder.test.labels == [1, 2])
        #expect(folder.train.fileNames == ["train/cat/a.wav", "train/dog/b.wav"] && folder.test.fileNames == ["test/dog/c.wav", "test/emu/d.wav"])
        #expect(folder.test.samples == AudioFolderTests.scaled([3, 4]))

        let loose = try temporaryFolder()
        for folder in ["train", "test"] { try makeFolder(loose + "/" + folder) }
        try AudioFolderTests.write(loose + "/train/x.wav", [5, 6])
        try AudioFolderTests.write(loose + "/test/y.wav", [7])
        let looseFolder = try AudioFolder(loose)
        #expect(looseFolder.layout == .looseFiles && looseFolder.split == .folders && looseFolder.classNames.isEmpty)
        #expect(looseFolder.train.labels.isEmpty && looseFolder.train.fileNames == ["train/x.wav"] && looseFolder.test.samples == AudioFolderTests.scaled([7]))
    }

    /// One name outside the FSDD pattern makes the folder plain loose files; fewer than 10 are not split.
    @Test func aNameOutsideThePatternMeansLooseFiles() throws {
        let root = try temporaryFolder()
        try AudioFolderTests.write(root + "/1_amy_5.wav", [1])
        try AudioFolderTests.write(root + "/1_amy_x.wav", [2])
        let folder = try AudioFolder(root)
        #expect(folder.layout == .looseFiles && folder.split == .whole)
        #expect(folder.train.fileNames == ["1_amy_5.wav", "1_amy_x.wav"] && folder.test.fileNames == folder.train.fileNames)
        #expect(folder.train.labels.isEmpty && folder.train.speakers.isEmpty && folder.speakerNames.isEmpty)
    }

    /// A 440 Hz tone at 8000 Hz and a 1000 Hz tone at 16000 Hz, both half a second: at 16000 Hz the
    /// first doubles in length and keeps its frequency, the second is unchanged; at 8000 Hz the reverse.
    /// Amplitudes measured as in ResamplerTests (projection on whole cycles, away from the ends).
    @Test func resamplesEveryFileToTheRequestedRate() throws {
        let root = try temporaryFolder()
        let low = ResamplerTests.tones([(440, 0.5)], rate: 8000, count: 4000)
        let high = ResamplerTests.tones([(1000, 0.5)], rate: 16000, count: 8000)
        try WAVFile(sampleRate: 8000, samples: low).write(to: root + "/a.wav")
        try WAVFile(sampleRate: 16000, samples: high).write(to: root + "/b.wav")
        let written = try [WAVFile(contentsOf: root + "/a.wav").samples, WAVFile(contentsOf: root + "/b.wav").samples]

        let up = try AudioFolder(root, sampleRate: 16000).train
        #expect(up.sampleRate == 16000 && up.clipBounds == [0, 8000, 16000])
        #expect(Array(up.clip(1)) == written[1])
        let upTone = Array(up.clip(0))
        #expect(abs(ResamplerTests.amplitude(upTone, frequency: 440, rate: 16000) - 0.5) < 0.0005)
        #expect(ResamplerTests.residual(upTone, removing: [440], rate: 16000) < 0.0005)

        let down = try AudioFolder(root, sampleRate: 8000).train
        #expect(down.sampleRate == 8000 && down.clipBounds == [0, 4000, 8000])
        #expect(Array(down.clip(0)) == written[0])
        let downTone = Array(down.clip(1))
        #expect(abs(ResamplerTests.amplitude(downTone, frequency: 1000, rate: 8000) - 0.5) < 0.0005)
        #expect(ResamplerTests.residual(downTone, removing: [1000], rate: 8000) < 0.0005)

        // 22050 Hz → 16000 Hz: ⌈1000 · 16000 / 22050⌉ = 726 samples.
        try WAVFile(sampleRate: 22050, samples: [Float](repeating: 0.25, count: 1000)).write(to: root + "/c.wav")
        #expect(try AudioFolder(root, sampleRate: 16000).train.length(ofClip: 2) == 726)
    }

    @Test func everyProblemIsOneLineNamingTheFileOrFolder() throws {
        let empty = try temporaryFolder()
        #expect(throws: DataError(empty, "holds no WAV files (.wav) directly, in class sub-folders, or in train/ and test/")) {
            _ = try AudioFolder(empty)
        }
        try FileIO.writeAtomically(Array("notes".utf8), to: empty + "/readme.txt")
        #expect(throws: DataError(empty, "holds no WAV files (.wav) directly, in class sub-folders, or in train/ and test/")) {
            _ = try AudioFolder(empty)
        }

        let root = try temporaryFolder()
        try AudioFolderTests.write(root + "/a.wav", [1, 2])
        try AudioFolderTests.write(root + "/b.wav", [3], rate: 16000)
        #expect(throws: DataError(root + "/b.wav", "is at 16000 Hz but \(root)/a.wav is at 8000 Hz; without a sample rate to resample to, all files must share one")) {
            _ = try AudioFolder(root)
        }
        #expect(try AudioFolder(root, sampleRate: 8000).train.sampleRate == 8000)
        try FileIO.writeAtomically(Array("RIFF\u{4}\0\0\0WAVX".utf8), to: root + "/c.wav")
        #expect(throws: DataError(root + "/c.wav", "not a WAV file (RIFF form type 'WAVX', expected 'WAVE')")) {
            _ = try AudioFolder(root, sampleRate: 8000)
        }
        try WAVFile(sampleRate: 8000, samples: []).write(to: root + "/c.wav")
        #expect(throws: DataError(root + "/c.wav", "holds no samples (a data chunk of 0 frames)")) {
            _ = try AudioFolder(root, sampleRate: 8000)
        }

        let mixed = try temporaryFolder()
        try makeFolder(mixed + "/class")
        try AudioFolderTests.write(mixed + "/a.wav", [1])
        try AudioFolderTests.write(mixed + "/class/b.wav", [1])
        #expect(throws: DataError(mixed, "holds WAV files both directly (\(mixed)/a.wav) and in sub-folders (\(mixed)/class/b.wav); put them all in class sub-folders or all directly in the folder")) {
            _ = try AudioFolder(mixed)
        }

        let halfSplit = try temporaryFolder()
        try makeFolder(halfSplit + "/train")
        try AudioFolderTests.write(halfSplit + "/train/a.wav", [1])
        #expect(throws: DataError(halfSplit, "has train/ but no test/ folder; both are needed to use them as the splits")) {
            _ = try AudioFolder(halfSplit)
        }
        try makeFolder(halfSplit + "/test")
        #expect(throws: DataError(halfSplit + "/test", "holds no WAV files (.wav)")) { _ = try AudioFolder(halfSplit) }

        let onlyTest = try temporaryFolder()
        try AudioFolderTests.write(onlyTest + "/1_amy_0.wav", [1])
        #expect(throws: DataError(onlyTest, "holds FSDD-named files (DIGIT_SPEAKER_TAKE.wav) of takes 0-4 only, the test split; training needs takes 5 and above")) {
            _ = try AudioFolder(onlyTest)
        }
        let onlyTrain = try temporaryFolder()
        try AudioFolderTests.write(onlyTrain + "/1_amy_5.wav", [1])
        #expect(throws: DataError(onlyTrain, "holds FSDD-named files (DIGIT_SPEAKER_TAKE.wav) but no take 0-4, the test split")) {
            _ = try AudioFolder(onlyTrain)
        }
    }

    /// The Free Spoken Digit Dataset in ../shared/data/fsdd (skipped, visibly, without it): counts from
    /// ../shared/data/README.md; sample totals and the sorted first names checked with Python's `wave`
    /// module (train 9 464 394 samples, test 1 034 030; 0_jackson_0.wav is 5148 samples).
    @Test(.enabled(if: SharedData.isAvailable("fsdd/recordings"), "needs ../shared/data/fsdd"))
    func readsTheFreeSpokenDigitDataset() throws {
        let folder = try AudioFolder(SharedData.path("fsdd/recordings"))
        #expect(folder.layout == .spokenDigits && folder.split == .byTake)
        let (train, test) = (folder.train, folder.test)
        #expect(train.count == 2700 && test.count == 300)
        #expect(train.sampleRate == 8000 && test.sampleRate == 8000)
        #expect(train.samples.count == 9_464_394 && test.samples.count == 1_034_030)
        #expect(train.speakerNames == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"] && test.speakerNames == train.speakerNames)
        #expect(train.classNames == (0...9).map(String.init))
        for speaker in 0..<6 {
            #expect(train.speakers.filter { $0 == speaker }.count == 450 && test.speakers.filter { $0 == speaker }.count == 50)
        }
        for digit in 0..<10 {
            #expect(train.labels.filter { $0 == digit }.count == 270 && test.labels.filter { $0 == digit }.count == 30)
        }
        #expect(train.fileNames.prefix(2) == ["0_george_10.wav", "0_george_11.wav"] && test.fileNames.prefix(2) == ["0_george_0.wav", "0_george_1.wav"])
        let jackson = try #require(test.fileNames.firstIndex(of: "0_jackson_0.wav"))
        #expect(test.length(ofClip: jackson) == 5148 && test.labels[jackson] == 0 && test.speakers[jackson] == 1)
        #expect(Array(test.clip(jackson).prefix(2)) == AudioFolderTests.scaled([-369, -431]))
    }
}
