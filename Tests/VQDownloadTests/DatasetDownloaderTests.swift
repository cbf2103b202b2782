import Foundation
import Testing
import VQData
@testable import VQDownload
import _VQTestSupport

/// Downloads from a server the test starts on 127.0.0.1, serving the real Fashion-MNIST files of
/// `../shared/data` (skipped, visibly, when they are absent).
///
/// The label files there are the official ones (their MD5s are the published ones); the image files were
/// re-compressed, so their .gz checksums differ from the official ones (shared/data/README.md). Tests that
/// fetch image files use the re-compressed copy's checksums, written below as `md5sum` printed them.
@Suite(.enabled(if: SharedData.isAvailable("fashion-mnist"),
                "needs ../shared/data/fashion-mnist (or $VQVAE_SHARED_DATA); not found, skipped"))
struct DatasetDownloaderTests {
    static let officialTrainLabels = DatasetCatalogue.fashionMNIST.files.first { $0.name == "train-labels-idx1-ubyte.gz" }!
    static let officialTestLabels = DatasetCatalogue.fashionMNIST.files.first { $0.name == "t10k-labels-idx1-ubyte.gz" }!
    /// The shared copy of the test images (re-compressed with `gzip -n -9`; not the official .gz).
    static let sharedTestImages = RemoteFile(
        name: "t10k-images-idx3-ubyte.gz", byteCount: 4_385_785, md5: "82b3100e99e82162e136666e0851e643",
        sha256: "55ec2dd7358c56fba81678bf2cd00a44de07bae64c342921600298a2b5eb517d")

    /// A Fashion-MNIST dataset limited to `files`, fetched from the server's `/fashion-mnist/` folder.
    func dataset(_ files: [RemoteFile], server: LoopbackHTTPServer) -> DownloadableDataset {
        var dataset = DatasetCatalogue.fashionMNIST
        dataset.files = files
        dataset.baseURL = server.baseURL + "/fashion-mnist/"
        return dataset
    }

    @Test func downloadsAndVerifiesTheRealFiles() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = EventLog()
        let files = [Self.officialTrainLabels, Self.officialTestLabels, Self.sharedTestImages]
        let paths = try DatasetDownloader(dataset: dataset(files, server: server), folder: folder).run(progress: events.append)

        #expect(paths == files.map { folder + "/" + $0.name })
        for file in files {
            let downloaded = try FileIO.read(folder + "/" + file.name)
            #expect(downloaded == (try FileIO.read(SharedData.path("fashion-mnist/" + file.name))))
            #expect(try FileChecksum(ofFileAt: folder + "/" + file.name) == FileChecksum(md5: file.md5, sha256: file.sha256!))
            #expect(!FileIO.exists(folder + "/" + file.name + ".partial"))
        }
        #expect(events.all.filter { if case .verified = $0 { true } else { false } }.count == 3)
        #expect(events.everything.contains(.received(file: "t10k-images-idx3-ubyte.gz", receivedBytes: 4_385_785, totalBytes: 4_385_785)))
        #expect(server.requests.map(\.range) == [nil, nil, nil])

        // A second run finds every file in place and asks the server for nothing.
        let again = EventLog()
        try DatasetDownloader(dataset: dataset(files, server: server), folder: folder).run(progress: again.append)
        #expect(again.all == files.map { .alreadyPresent(file: $0.name) })
        #expect(server.requests.count == 3)
    }

    @Test func resumesAPartialFileWithARangeRequest() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = try FileIO.read(SharedData.path("fashion-mnist/train-labels-idx1-ubyte.gz"))
        try FileIO.writeAtomically(Array(original.prefix(10_000)), to: folder + "/train-labels-idx1-ubyte.gz.partial")

        let events = EventLog()
        try DatasetDownloader(dataset: dataset([Self.officialTrainLabels], server: server), folder: folder).run(progress: events.append)
        #expect(server.requests == [.init(path: "/fashion-mnist/train-labels-idx1-ubyte.gz", range: "bytes=10000-")])
        #expect(events.all.first == .started(file: "train-labels-idx1-ubyte.gz", url: server.baseURL + "/fashion-mnist/train-labels-idx1-ubyte.gz", resumingAt: 10_000))
        #expect(try FileIO.read(folder + "/train-labels-idx1-ubyte.gz") == original)
        #expect(!FileIO.exists(folder + "/train-labels-idx1-ubyte.gz.partial"))
    }

    @Test func resumesAfterTheServerDropsTheConnection() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder, behaviour: .dropConnections(count: 1, afterBytes: 1_000_000))
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = EventLog()
        try DatasetDownloader(dataset: dataset([Self.sharedTestImages], server: server), folder: folder).run(progress: events.append)

        #expect(server.requests.map(\.range) == [nil, "bytes=1000000-"])
        #expect(events.all.contains { if case .retrying(file: "t10k-images-idx3-ubyte.gz", _) = $0 { true } else { false } })
        #expect(try FileChecksum(ofFileAt: folder + "/t10k-images-idx3-ubyte.gz").md5 == Self.sharedTestImages.md5)
    }

    @Test func brokenConnectionWithoutRetriesLeavesThePartialFileForTheNextRun() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder, behaviour: .dropConnections(count: 1, afterBytes: 1_000_000))
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var downloader = DatasetDownloader(dataset: dataset([Self.sharedTestImages], server: server), folder: folder)
        downloader.attempts = 1
        let url = server.baseURL + "/fashion-mnist/t10k-images-idx3-ubyte.gz"
        let error = #expect(throws: DataError.self) { try downloader.run() }
        #expect(error?.path == url)
        #expect(error?.problem.hasPrefix("download stopped after 1000000 bytes") == true)
        #expect(FileIO.exists(folder + "/t10k-images-idx3-ubyte.gz.partial"))
        #expect(!FileIO.exists(folder + "/t10k-images-idx3-ubyte.gz"))

        try downloader.run()  // the next run resumes
        #expect(server.requests.map(\.range) == [nil, "bytes=1000000-"])
        #expect(try FileChecksum(ofFileAt: folder + "/t10k-images-idx3-ubyte.gz").md5 == Self.sharedTestImages.md5)
    }

    @Test func aServerIgnoringRangesRestartsFromZero() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder, behaviour: .ignoreRanges)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileIO.writeAtomically([UInt8](repeating: 0xEE, count: 3000), to: folder + "/t10k-labels-idx1-ubyte.gz.partial")
        try DatasetDownloader(dataset: dataset([Self.officialTestLabels], server: server), folder: folder).run()
        #expect(server.requests.map(\.range) == ["bytes=3000-"])
        #expect(try FileChecksum(ofFileAt: folder + "/t10k-labels-idx1-ubyte.gz").md5 == Self.officialTestLabels.md5)
    }

    @Test func aCompletePartialFileIsVerifiedWithoutDownloadingAgain() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = try FileIO.read(SharedData.path("fashion-mnist/t10k-labels-idx1-ubyte.gz"))
        try FileIO.writeAtomically(original, to: folder + "/t10k-labels-idx1-ubyte.gz.partial")
        try DatasetDownloader(dataset: dataset([Self.officialTestLabels], server: server), folder: folder).run()
        #expect(server.requests.map(\.range) == ["bytes=5148-"])  // answered 416: nothing left
        #expect(try FileIO.read(folder + "/t10k-labels-idx1-ubyte.gz") == original)
    }

    @Test func checksumMismatchDeletesTheDownloadAndNamesBothChecksums() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var wrong = Self.officialTestLabels
        wrong.md5 = "00000000000000000000000000000000"
        let url = server.baseURL + "/fashion-mnist/t10k-labels-idx1-ubyte.gz"
        #expect(throws: DataError(
            folder + "/t10k-labels-idx1-ubyte.gz",
            "MD5 checksum mismatch: expected 00000000000000000000000000000000, got bb300cfdad3c16e7a12a480ee83cd310 (downloaded from \(url); the download was deleted)")) {
            try DatasetDownloader(dataset: dataset([wrong], server: server), folder: folder).run()
        }
        #expect(!FileIO.exists(folder + "/t10k-labels-idx1-ubyte.gz.partial"))
        #expect(!FileIO.exists(folder + "/t10k-labels-idx1-ubyte.gz"))
    }

    /// The official catalogue against the shared copy: the label files pass, the re-compressed image
    /// files are refused with both checksums named (this is what the shared README says to expect).
    @Test func officialCatalogueRefusesTheRecompressedSharedImages() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var official = DatasetCatalogue.fashionMNIST
        official.files = official.files.filter { $0.name.hasPrefix("t10k") }.reversed()  // labels, then images
        let mirror = server.baseURL + "/fashion-mnist"
        let error = #expect(throws: DataError.self) {
            try DatasetDownloader(dataset: official, folder: folder, mirror: mirror).run()
        }
        #expect(error?.description == "\(folder)/t10k-images-idx3-ubyte.gz: MD5 checksum mismatch: expected bef4ecab320f06d8554ea6380940ec79, got 82b3100e99e82162e136666e0851e643 (downloaded from \(mirror)/t10k-images-idx3-ubyte.gz; the download was deleted)")
        #expect(FileIO.exists(folder + "/t10k-labels-idx1-ubyte.gz"))
        #expect(!FileIO.exists(folder + "/t10k-images-idx3-ubyte.gz.partial"))
    }
}

/// Downloads that need no shared data: an archive unpacked afterwards, as for CIFAR-10, from a folder
/// the test fills, and the errors of a missing file and an unreachable host.
@Suite struct DownloadWithoutSharedDataTests {
    @Test func missingFileOnTheServerIsAClearError() throws {
        let served = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: served) }
        let server = try LoopbackHTTPServer(root: served)
        defer { server.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: DataError(server.baseURL + "/fashion-mnist/train-images-idx3-ubyte.gz", "server answered 404 Not Found")) {
            try DatasetDownloader(dataset: DatasetCatalogue.fashionMNIST, folder: folder, mirror: server.baseURL + "/fashion-mnist").run()
        }
        #expect(!FileIO.exists(folder + "/train-images-idx3-ubyte.gz.partial"))
    }

    @Test func unreachableHostIsAClearError() throws {
        let closedURL = "http://127.0.0.1:1"  // port 1: nothing listens there
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = EventLog()
        #expect(throws: DataError(closedURL + "/train-images-idx3-ubyte.gz", "request failed (cannot connect to the host)")) {
            try DatasetDownloader(dataset: DatasetCatalogue.mnist, folder: folder, mirror: closedURL).run(progress: events.append)
        }
        #expect(!events.all.contains { if case .retrying = $0 { true } else { false } })  // refused: not worth retrying
    }

    @Test func downloadsVerifiesAndUnpacksATarGz() throws {
        let served = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: served) }
        let batch = (0..<3073 * 3).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let tar = TarBuilder.archive([
            TarBuilder.entry("cifar-10-batches-bin/", [], type: "5"),
            TarBuilder.entry("cifar-10-batches-bin/data_batch_1.bin", batch),
            TarBuilder.entry("cifar-10-batches-bin/test_batch.bin", Array(batch.prefix(3073))),
        ])
        try FileIO.writeAtomically(Zlib.compress(tar), to: served + "/tiny.tar.gz")
        let checksum = try FileChecksum(ofFileAt: served + "/tiny.tar.gz")
        let server = try LoopbackHTTPServer(root: served)
        defer { server.stop() }

        let dataset = DownloadableDataset(
            name: "tiny-cifar", title: "test archive", baseURL: server.baseURL + "/",
            files: [RemoteFile(name: "tiny.tar.gz", byteCount: 4000, md5: checksum.md5, sha256: checksum.sha256)],
            extraction: ArchiveExtraction(archive: "tiny.tar.gz", expectedFiles: [
                "cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/test_batch.bin"]))
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = EventLog()
        let paths = try DatasetDownloader(dataset: dataset, folder: folder).run(progress: events.append)
        #expect(paths == [folder + "/tiny.tar.gz", folder + "/cifar-10-batches-bin/data_batch_1.bin", folder + "/cifar-10-batches-bin/test_batch.bin"])
        #expect(try FileIO.read(folder + "/cifar-10-batches-bin/data_batch_1.bin") == batch)
        #expect(events.all.contains(.extracted(archive: "tiny.tar.gz", fileCount: 2)))

        // Present and unpacked: nothing is fetched or unpacked again.
        let again = EventLog()
        try DatasetDownloader(dataset: dataset, folder: folder).run(progress: again.append)
        #expect(again.all == [.alreadyPresent(file: "tiny.tar.gz")])
        #expect(server.requests.count == 1)
    }

    @Test func theCatalogueNamesEveryDatasetOnce() {
        #expect(DatasetCatalogue.all.map(\.name) == ["mnist", "fashion-mnist", "cifar10"])
        #expect(DatasetCatalogue.dataset(named: "Fashion-MNIST") == DatasetCatalogue.fashionMNIST)
        #expect(DatasetCatalogue.dataset(named: "imagenet") == nil)
        for dataset in DatasetCatalogue.all {
            #expect(dataset.baseURL.hasSuffix("/"))
            for file in dataset.files {
                #expect(file.md5.count == 32 && file.md5.allSatisfy(\.isHexDigit))
                #expect(dataset.url(of: file, base: "http://mirror.example/data") == "http://mirror.example/data/" + file.name)
            }
        }
    }

    @Test func parsesContentRange() {
        #expect(ContentRange("bytes 100-199/200") == ContentRange(first: 100, last: 199, completeLength: 200))
        #expect(ContentRange("bytes 0-9/*")?.completeLength == nil)
        #expect(ContentRange("bytes */200") == nil)
        #expect(ContentRange("items 0-9/10") == nil)
    }
}

/// Collects download events from any thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DownloadEvent] = []

    /// The events without the byte counts.
    var all: [DownloadEvent] { lock.withLock { events.filter { if case .received = $0 { false } else { true } } } }
    /// Every event.
    var everything: [DownloadEvent] { lock.withLock { events } }

    @Sendable func append(_ event: DownloadEvent) { lock.withLock { events.append(event) } }
}
