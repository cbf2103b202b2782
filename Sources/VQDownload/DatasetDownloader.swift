import VQData

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a download is doing, reported through the progress callback (the library never prints).
public enum DownloadEvent: Sendable, Equatable {
    /// `file` is already in the folder with the right checksums; it is not fetched again.
    case alreadyPresent(file: String)
    /// `file` is in the folder but its checksum is wrong; it will be fetched and replaced.
    case replacing(file: String, reason: String)
    /// Fetching `file` from `url`, asking for the bytes from `resumingAt` on (0: from the start).
    case started(file: String, url: String, resumingAt: Int64)
    /// `receivedBytes` of `file` are on disk, of `totalBytes` when known.
    case received(file: String, receivedBytes: Int64, totalBytes: Int64?)
    /// The transfer of `file` broke (`reason`); trying again from what is on disk.
    case retrying(file: String, reason: String)
    /// `file` is complete, its checksums match and it has its final name.
    case verified(file: String)
    /// Unpacking `archive` into the folder.
    case extracting(archive: String)
    /// `archive` produced `fileCount` files.
    case extracted(archive: String, fileCount: Int)
}

/// Downloads a catalogue dataset into a folder: each file goes to `<name>.partial`, resumes from there
/// with an HTTP range request, is verified against the catalogue's checksums and then renamed to its
/// final name. Files already present with the right checksums are skipped; a file whose checksum is
/// wrong is deleted and reported. Archives are unpacked after they are verified.
public struct DatasetDownloader: Sendable {
    /// The dataset to fetch.
    public var dataset: DownloadableDataset
    /// The folder the files go into (created when missing).
    public var folder: String
    /// A base URL used instead of the catalogue's (files are fetched from `mirror/<file name>`).
    public var mirror: String?
    /// How many times one file is tried when the connection breaks (each try resumes).
    public var attempts = 3
    /// Seconds without any data before a transfer is given up.
    public var timeout: Double = 60

    public init(dataset: DownloadableDataset, folder: String, mirror: String? = nil) {
        self.dataset = dataset
        self.folder = folder
        self.mirror = mirror
    }

    /// Fetches, verifies and (for archives) unpacks every file; returns the paths of the files now in
    /// the folder. Throws a `DataError` naming the file or URL on the first problem.
    @discardableResult
    public func run(progress: @escaping @Sendable (DownloadEvent) -> Void = { _ in }) throws -> [String] {
        try makeFolders(folder)
        var fetchedArchive = false
        var paths: [String] = []
        for file in dataset.files {
            let fetched = try fetch(file, progress: progress)
            if file.name == dataset.extraction?.archive { fetchedArchive = fetched }
            paths.append(path(of: file.name))
        }
        if let extraction = dataset.extraction {
            let complete = extraction.expectedFiles.allSatisfy { FileIO.exists(path(of: $0)) }
            if fetchedArchive || !complete {
                progress(.extracting(archive: extraction.archive))
                let archivePath = path(of: extraction.archive)
                let compressed = try FileIO.read(archivePath)
                let tarBytes = try Zlib.decompress(compressed, path: archivePath)
                let written = try TarArchive(tarBytes, path: archivePath).extract(into: folder)
                for expected in extraction.expectedFiles where !written.contains(expected) {
                    throw DataError(archivePath, "does not contain \(expected)")
                }
                progress(.extracted(archive: extraction.archive, fileCount: written.count))
            }
            paths += extraction.expectedFiles.map(path(of:))
        }
        return paths
    }

    /// Makes `file` present and verified; returns whether it had to be downloaded.
    private func fetch(_ file: RemoteFile, progress: @escaping @Sendable (DownloadEvent) -> Void) throws -> Bool {
        let finalPath = path(of: file.name)
        if FileIO.exists(finalPath) {
            if let mismatch = try FileChecksum(ofFileAt: finalPath).mismatch(with: file) {
                progress(.replacing(file: file.name, reason: "\(mismatch.algorithm) is \(mismatch.actual), expected \(mismatch.expected)"))
            } else {
                progress(.alreadyPresent(file: file.name))
                return false
            }
        }
        let url = dataset.url(of: file, base: mirror)
        let partialPath = finalPath + ".partial"
        // A generous cap: the checksum decides, this only stops a server that never stops sending.
        let byteLimit = file.byteCount * 2 + (1 << 20)
        var attempt = 1
        while true {
            let startOffset = fileSize(partialPath) ?? 0
            progress(.started(file: file.name, url: url, resumingAt: startOffset))
            do {
                let outcome = try HTTPTransfer.run(
                    url: url, into: partialPath, startOffset: startOffset, byteLimit: byteLimit, timeout: timeout
                ) { receivedBytes, totalBytes in
                    progress(.received(file: file.name, receivedBytes: receivedBytes, totalBytes: totalBytes ?? file.byteCount))
                }
                if outcome == .rangeNotSatisfiable {
                    // The partial file is as long as the resource (or longer): let the checksum decide.
                    progress(.received(file: file.name, receivedBytes: startOffset, totalBytes: startOffset))
                }
                break
            } catch let failure {
                guard failure.retryable && attempt < attempts else { throw failure.error }
                attempt += 1
                progress(.retrying(file: file.name, reason: failure.error.problem))
            }
        }
        if let mismatch = try FileChecksum(ofFileAt: partialPath).mismatch(with: file) {
            unlink(partialPath)
            throw DataError(finalPath, "\(mismatch.algorithm) checksum mismatch: expected \(mismatch.expected), got \(mismatch.actual) (downloaded from \(url); the download was deleted)")
        }
        guard rename(partialPath, finalPath) == 0 else {
            throw DataError(finalPath, "cannot rename \(partialPath) to it (\(systemErrorText()))")
        }
        progress(.verified(file: file.name))
        return true
    }

    private func path(of name: String) -> String { folder.hasSuffix("/") ? folder + name : folder + "/" + name }
}

/// The size of the regular file at `path`, or nil when there is none.
private func fileSize(_ path: String) -> Int64? {
    var status = stat()
    guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int64(status.st_size)
}
