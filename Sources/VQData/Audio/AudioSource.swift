/// Where training and test audio come from: a folder of WAV files or one WAV file (the audio
/// counterpart of `DatasetSource`).
public enum AudioSource: Equatable, Sendable {
    /// A folder of WAV files (`AudioFolder`: FSDD names, class sub-folders, train/ and test/ or a
    /// held-out tenth).
    case folder(String)
    /// One WAV file, a dataset of one clip without labels; both splits are that clip.
    case file(String)

    /// Detects what `path` is. A file is a WAV file by its ending (`.wav`, any case). A folder is an
    /// audio folder when it holds WAV files directly, in sub-folders or in train/; a folder whose only
    /// sub-folder holding WAVs is `recordings/`, and that holds none itself, is read as that
    /// sub-folder (the Free Spoken Digit Dataset repository's layout), rather than as a dataset of one
    /// class named "recordings". Anything else is an error naming the path and what was looked for.
    public static func detect(_ path: String) throws -> AudioSource {
        guard FileIO.exists(path) else { throw DataError(path, "no such file or folder") }
        guard FileIO.isDirectory(path) else {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if AudioFolder.isWAVName(name) { return .file(path) }
            throw DataError(path, "not an audio file: expected a WAV file (.wav) or a folder of them")
        }
        let recordings = path + "/recordings"
        if FileIO.isDirectory(recordings), AudioFolder.containsAudio(recordings),
           let names = try? ImageFolder.listing(path),
           !names.contains(where: { $0 != "recordings" && AudioFolder.containsAudio(path + "/" + $0) }),
           !names.contains(where: AudioFolder.isWAVName) {
            return .folder(recordings)
        }
        if AudioFolder.containsAudio(path) { return .folder(path) }
        throw DataError(path, "no audio found: looked for WAV files (.wav) here, in sub-folders, in train/ and test/, and in recordings/")
    }

    /// Reads both splits at `sampleRate` (nil: the files' common rate; see `AudioFolder`).
    public func load(sampleRate: Int?) throws -> (train: AudioDataset, test: AudioDataset) {
        switch self {
        case .folder(let folder):
            let audio = try AudioFolder(folder, sampleRate: sampleRate)
            return (audio.train, audio.test)
        case .file(let path):
            let (clips, rate) = try AudioFolder.readClips([path], sampleRate: sampleRate)
            var dataset = AudioDataset(clips: clips, sampleRate: rate)
            dataset.fileNames = [path.split(separator: "/").last.map(String.init) ?? path]
            return (dataset, dataset)
        }
    }

    /// Reads one split (the whole source is read: see `AudioFolder`).
    public func load(_ split: DatasetSplit, sampleRate: Int?) throws -> AudioDataset {
        let both = try load(sampleRate: sampleRate)
        return split == .train ? both.train : both.test
    }

    /// The path, for progress output.
    public var name: String {
        switch self {
        case .folder(let path), .file(let path): return path
        }
    }
}
