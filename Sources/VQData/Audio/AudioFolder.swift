/// A folder of WAV files as the train and test splits of an `AudioDataset`.
///
/// - Files: WAVs by their name ending (`.wav`, any case), decoded by their content (`WAVFile`); other
///   files, names starting with "." and folders deeper than the class level are ignored.
/// - FSDD names (`layout` `.spokenDigits`): when the WAVs lie directly in the folder (not in class
///   sub-folders, nor in train/ and test/, which keep the rules below) and every one is named
///   `DIGIT_SPEAKER_TAKE.wav` (`SpokenDigitName`, the Free Spoken Digit Dataset's pattern), the label
///   is the digit (`classNames` "0"…"9", whichever digits occur), the speaker the index of the name
///   among the sorted speaker names, and takes 0-4 are the test split, the others the train split
///   (the usual FSDD split). Both splits must hold a file.
/// - Otherwise, as `ImageFolder`: the WAVs lie directly in the folder (`.looseFiles`: no labels) or in
///   class sub-folders (`.classFolders`: labels are the indices of the sorted sub-folder names, the
///   union over both splits); a folder holding both is refused. No speakers: a second level of
///   folders is not read (`speaker/clip.wav` inside a class folder has no single convention, and
///   guessing one would mislabel sets that use that level for something else).
/// - Splits (`split`): `train/` and `test/` sub-folders when both exist (`.folders`, each laid out as
///   above); one without the other is refused (rather than read as a class named "train", which is
///   what `ImageFolder` does when train/ holds loose images). Otherwise, with the files in sorted
///   order (by class, then name), positions 9, 19, 29, … are the test split and the rest the train
///   split (`.everyTenth`), and a folder of fewer than 10 files holds none out (`.whole`: both
///   splits are all of it).
/// - Audio: each file is mixed to mono (`WAVFile.mono`: the mean of its channels), then resampled to
///   `sampleRate` (`Resampler`, from each file's own rate). With `sampleRate` nil the files keep their
///   rate, which must then be the same for all (the first file that differs is named). A file with no
///   frames is refused: a clip of no samples gives no window and no evaluation.
/// The whole folder is read, both splits, so that rates and names agree between them. Speed (release
/// build, one core, files in the page cache): FSDD's 3000 files in 0.1 s at their 8000 Hz, 0.7 s
/// resampled to 16000 Hz.
public struct AudioFolder: Sendable {
    /// Where labels and speakers come from.
    public enum Layout: Equatable, Sendable {
        /// FSDD file names: labels are digits, speakers are names.
        case spokenDigits
        /// Class sub-folders: labels, no speakers.
        case classFolders
        /// Files directly in the folder (or in train/ and test/): no labels, no speakers.
        case looseFiles
    }

    /// How the files are divided into the splits.
    public enum Split: Equatable, Sendable {
        /// FSDD takes: 0-4 test, the others train.
        case byTake
        /// The `train/` and `test/` sub-folders.
        case folders
        /// Every tenth file in sorted order (positions 9, 19, …) is test.
        case everyTenth
        /// Fewer than 10 files: both splits are all of them.
        case whole
    }

    public let train: AudioDataset
    public let test: AudioDataset
    /// The label names (FSDD: "0"…"9"; class folders: the sorted sub-folder names; else empty).
    public let classNames: [String]
    /// The speaker names in index order (FSDD: sorted; else empty).
    public let speakerNames: [String]
    public let layout: Layout
    public let split: Split

    /// One WAV file: its path, its name relative to the folder read, its class sub-folder (nil for a
    /// loose file).
    struct Entry {
        let path: String
        let name: String
        let className: String?
    }

    /// Reads every WAV of `folder`, at `sampleRate` (nil: the files' common rate).
    public init(_ folder: String, sampleRate: Int? = nil) throws {
        if let sampleRate { precondition(sampleRate > 0, "AudioFolder: sample rate \(sampleRate) is not positive") }
        let trainFolder = folder + "/train", testFolder = folder + "/test"
        var trainEntries: [Entry], testEntries: [Entry]
        var digitNames: [SpokenDigitName]? = nil
        if FileIO.isDirectory(trainFolder) && FileIO.isDirectory(testFolder) {
            trainEntries = try AudioFolder.entries(in: trainFolder, prefix: "train/")
            testEntries = try AudioFolder.entries(in: testFolder, prefix: "test/")
            guard !trainEntries.isEmpty else { throw DataError(trainFolder, "holds no WAV files (.wav)") }
            guard !testEntries.isEmpty else { throw DataError(testFolder, "holds no WAV files (.wav)") }
            guard (trainEntries[0].className == nil) == (testEntries[0].className == nil) else {
                throw DataError(folder, "train/ and test/ must both use class sub-folders or both hold loose WAV files")
            }
            split = .folders
        } else {
            let hasTrain = FileIO.isDirectory(trainFolder), hasTest = FileIO.isDirectory(testFolder)
            if hasTrain != hasTest {
                throw DataError(folder, "has \(hasTrain ? "train/" : "test/") but no \(hasTrain ? "test/" : "train/") folder; both are needed to use them as the splits")
            }
            let all = try AudioFolder.entries(in: folder, prefix: "")
            guard !all.isEmpty else {
                throw DataError(folder, "holds no WAV files (.wav) directly, in class sub-folders, or in train/ and test/")
            }
            let names = all.allSatisfy { $0.className == nil } ? all.compactMap { SpokenDigitName($0.name) } : []
            if names.count == all.count {
                trainEntries = zip(all, names).filter { !$1.isTest }.map(\.0)
                testEntries = zip(all, names).filter { $1.isTest }.map(\.0)
                guard !trainEntries.isEmpty else {
                    throw DataError(folder, "holds FSDD-named files (DIGIT_SPEAKER_TAKE.wav) of takes 0-4 only, the test split; training needs takes 5 and above")
                }
                guard !testEntries.isEmpty else {
                    throw DataError(folder, "holds FSDD-named files (DIGIT_SPEAKER_TAKE.wav) but no take 0-4, the test split")
                }
                digitNames = zip(all, names).filter { !$1.isTest }.map(\.1) + zip(all, names).filter { $1.isTest }.map(\.1)
                split = .byTake
            } else if all.count < 10 {
                (trainEntries, testEntries) = (all, all)
                split = .whole
            } else {
                trainEntries = all.enumerated().filter { $0.offset % 10 != 9 }.map(\.element)
                testEntries = all.enumerated().filter { $0.offset % 10 == 9 }.map(\.element)
                split = .everyTenth
            }
        }

        let entries = trainEntries + testEntries
        var labels: [Int32] = [], speakers: [Int32] = [], classNames: [String] = [], speakerNames: [String] = []
        if let digitNames {
            layout = .spokenDigits
            classNames = (0...9).map(String.init)
            speakerNames = Set(digitNames.map(\.speaker)).sorted()
            let speakerOf = Dictionary(uniqueKeysWithValues: speakerNames.enumerated().map { ($0.element, Int32($0.offset)) })
            labels = digitNames.map { Int32($0.digit) }
            speakers = digitNames.map { speakerOf[$0.speaker]! }
        } else if entries[0].className != nil {
            layout = .classFolders
            classNames = Set(entries.compactMap(\.className)).sorted()
            let labelOf = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($0.element, Int32($0.offset)) })
            labels = entries.map { labelOf[$0.className!]! }
        } else {
            layout = .looseFiles
        }

        let (clips, rate) = try AudioFolder.readClips(entries.map(\.path), sampleRate: sampleRate)
        func dataset(_ range: Range<Int>) -> AudioDataset {
            var result = AudioDataset(clips: Array(clips[range]), sampleRate: rate,
                                      labels: labels.isEmpty ? [] : Array(labels[range]),
                                      speakers: speakers.isEmpty ? [] : Array(speakers[range]))
            result.classNames = classNames
            result.speakerNames = speakerNames
            result.fileNames = entries[range].map(\.name)
            return result
        }
        train = dataset(0..<trainEntries.count)
        test = dataset(trainEntries.count..<entries.count)
        self.classNames = classNames
        self.speakerNames = speakerNames
    }

    /// The mono samples of every file of `paths`, in order, at `sampleRate`, or at the files' common
    /// rate when nil (the first file's; any file at another is named). Returns the clips and their rate.
    static func readClips(_ paths: [String], sampleRate: Int?) throws -> (clips: [[Float]], rate: Int) {
        var resamplers: [Int: Resampler] = [:]
        var clips: [[Float]] = [], rate = sampleRate, firstPath = ""
        clips.reserveCapacity(paths.count)
        for path in paths {
            let file = try WAVFile(contentsOf: path)
            guard file.frameCount > 0 else { throw DataError(path, "holds no samples (a data chunk of 0 frames)") }
            guard let target = rate else {
                (rate, firstPath) = (file.sampleRate, path)
                clips.append(file.mono)
                continue
            }
            if sampleRate == nil {
                guard file.sampleRate == target else {
                    throw DataError(path, "is at \(file.sampleRate) Hz but \(firstPath) is at \(target) Hz; without a sample rate to resample to, all files must share one")
                }
                clips.append(file.mono)
            } else if file.sampleRate == target {
                clips.append(file.mono)
            } else {
                if resamplers[file.sampleRate] == nil { resamplers[file.sampleRate] = Resampler(from: file.sampleRate, to: target) }
                clips.append(resamplers[file.sampleRate]!(file.mono))
            }
        }
        return (clips, rate!)
    }

    /// The WAV files of one folder level: loose files, or files one level down in class sub-folders,
    /// in sorted order (class, then file name); names are `prefix` + the path below `folder`.
    static func entries(in folder: String, prefix: String) throws -> [Entry] {
        var loose: [Entry] = [], inClasses: [Entry] = []
        for name in try ImageFolder.listing(folder) {
            let path = folder + "/" + name
            if FileIO.isDirectory(path) {
                for file in try ImageFolder.listing(path) where isWAVName(file) && !FileIO.isDirectory(path + "/" + file) {
                    inClasses.append(Entry(path: path + "/" + file, name: prefix + name + "/" + file, className: name))
                }
            } else if isWAVName(name) {
                loose.append(Entry(path: path, name: prefix + name, className: nil))
            }
        }
        if let file = loose.first, let classed = inClasses.first {
            throw DataError(folder, "holds WAV files both directly (\(file.path)) and in sub-folders (\(classed.path)); put them all in class sub-folders or all directly in the folder")
        }
        return loose + inClasses
    }

    /// Whether `name` ends in `.wav` (any case).
    static func isWAVName(_ name: String) -> Bool { name.count > 4 && name.suffix(4).lowercased() == ".wav" }

    /// Whether `folder` holds WAV files directly, in sub-folders, or in train/.
    public static func containsAudio(_ folder: String) -> Bool {
        guard let names = try? ImageFolder.listing(folder) else { return false }
        return names.contains { name in
            let path = folder + "/" + name
            if FileIO.isDirectory(path) {
                return (try? ImageFolder.listing(path))?.contains(where: isWAVName) ?? false
                    || (name == "train" && containsAudio(path))
            }
            return isWAVName(name)
        }
    }
}
