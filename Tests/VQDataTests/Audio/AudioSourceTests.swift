import Testing
import VQData
import _VQTestSupport

@Suite struct AudioSourceTests {
    @Test func detectsFilesFoldersAndTheFSDDRepositoryLayout() throws {
        let root = try temporaryFolder()
        try AudioFolderTests.write(root + "/one.WAV", [1, 2, 3], channels: 1)
        #expect(try AudioSource.detect(root + "/one.WAV") == .file(root + "/one.WAV"))
        let (train, test) = try AudioSource.file(root + "/one.WAV").load(sampleRate: nil)
        #expect(train.count == 1 && train.fileNames == ["one.WAV"] && train.labels.isEmpty && train.sampleRate == 8000)
        #expect(test.samples == train.samples && train.samples == AudioFolderTests.scaled([1, 2, 3]))
        #expect(try AudioSource.file(root + "/one.WAV").load(.test, sampleRate: 16000).clipBounds == [0, 6])
        #expect(try AudioSource.detect(root) == .folder(root))

        // A repository checkout: recordings/ beside non-audio files is the dataset itself.
        let repository = try temporaryFolder()
        try makeFolder(repository + "/recordings")
        try makeFolder(repository + "/utils")
        try FileIO.writeAtomically(Array("# FSDD".utf8), to: repository + "/README.md")
        try AudioFolderTests.write(repository + "/recordings/1_amy_5.wav", [1])
        try AudioFolderTests.write(repository + "/recordings/1_amy_0.wav", [2])
        #expect(try AudioSource.detect(repository) == .folder(repository + "/recordings"))
        let digits = try AudioSource.detect(repository).load(.train, sampleRate: nil)
        #expect(digits.labels == [1] && digits.speakerNames == ["amy"])
        // With another audio sub-folder beside it, recordings/ is one class among others.
        try makeFolder(repository + "/extra")
        try AudioFolderTests.write(repository + "/extra/x.wav", [3])
        #expect(try AudioSource.detect(repository) == .folder(repository))
        #expect(try AudioSource.detect(repository).load(.train, sampleRate: nil).classNames == ["extra", "recordings"])
    }

    @Test func unrecognisedPathsNameWhatWasLookedFor() throws {
        let root = try temporaryFolder()
        #expect(throws: DataError(root + "/missing", "no such file or folder")) { _ = try AudioSource.detect(root + "/missing") }
        try FileIO.writeAtomically([1], to: root + "/notes.txt")
        #expect(throws: DataError(root + "/notes.txt", "not an audio file: expected a WAV file (.wav) or a folder of them")) {
            _ = try AudioSource.detect(root + "/notes.txt")
        }
        #expect(throws: DataError(root, "no audio found: looked for WAV files (.wav) here, in sub-folders, in train/ and test/, and in recordings/")) {
            _ = try AudioSource.detect(root)
        }
        try FileIO.writeAtomically(Array("RIFF".utf8), to: root + "/cut.wav")
        #expect(throws: DataError(root + "/cut.wav", "too short for a RIFF header (4 bytes, at least 12)")) {
            _ = try AudioSource.detect(root + "/cut.wav").load(sampleRate: nil)
        }
    }

    /// ../shared/data/fsdd holds recordings/: detected as that folder.
    @Test(.enabled(if: SharedData.isAvailable("fsdd/recordings"), "needs ../shared/data/fsdd"))
    func detectsTheSharedFSDDFolder() throws {
        #expect(try AudioSource.detect(SharedData.path("fsdd")) == .folder(SharedData.path("fsdd/recordings")))
        #expect(try AudioSource.detect(SharedData.path("fsdd/recordings")) == .folder(SharedData.path("fsdd/recordings")))
    }
}
