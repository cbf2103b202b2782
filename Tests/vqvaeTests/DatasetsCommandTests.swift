import ArgumentParser
import Foundation
import Testing
import VQData
import _VQTestSupport
@testable import vqvae

/// `vqvae datasets download` end to end, in process, against a server on 127.0.0.1 serving the shared
/// Fashion-MNIST files through `--mirror`.
@Suite(.enabled(if: SharedData.isAvailable("fashion-mnist"),
                "needs ../shared/data/fashion-mnist (or $VQVAE_SHARED_DATA); not found, skipped"))
struct DatasetsCommandTests {
    /// The official catalogue against the shared copy, whose image files were re-compressed
    /// (shared/data/README.md): the first file, train-images, downloads completely and is refused with
    /// exit status 1 and one line naming the file and both checksums, and no partial file is left.
    @Test func downloadFashionMNISTFromALoopbackMirror() throws {
        let server = try LoopbackHTTPServer(root: SharedData.folder)
        defer { server.stop() }
        let folder = NSTemporaryDirectory() + "/vqvae-datasets-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let mirror = server.baseURL + "/fashion-mnist/"

        var command = try VQVAECommand.parseAsRoot(["datasets", "download", "fashion-mnist", "--to", folder, "--mirror", mirror])
        let error = #expect(throws: CommandFailure.self) { try command.run() }
        let failure = try #require(error)
        #expect(VQVAECommand.exitCode(for: failure) == .failure)
        let message = VQVAECommand.message(for: failure)
        #expect(message == "\(folder)/train-images-idx3-ubyte.gz: MD5 checksum mismatch: expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d, got 2b9bada633afdf344031e540388fa280 (downloaded from \(mirror)train-images-idx3-ubyte.gz; the download was deleted)")
        #expect(!message.contains("\n"))
        #expect(!FileIO.exists(folder + "/train-images-idx3-ubyte.gz.partial"))
        #expect(!FileIO.exists(folder + "/train-images-idx3-ubyte.gz"))
        #expect(server.requests == [.init(path: "/fashion-mnist/train-images-idx3-ubyte.gz", range: nil)])
    }
}

@Suite struct DatasetsCommandOptionTests {
    /// A file the catalogue names that the mirror lacks: exit status 1, one line naming the URL.
    @Test func missingFileOnTheMirror() throws {
        let served = NSTemporaryDirectory() + "/vqvae-served-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: served) }
        let server = try LoopbackHTTPServer(root: served)
        defer { server.stop() }
        let folder = NSTemporaryDirectory() + "/vqvae-datasets-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var command = try VQVAECommand.parseAsRoot(["datasets", "download", "mnist", "--to", folder, "--mirror", server.baseURL + "/mnist"])
        let error = #expect(throws: CommandFailure.self) { try command.run() }
        #expect(error.map { VQVAECommand.message(for: $0) } == "\(server.baseURL)/mnist/train-images-idx3-ubyte.gz: server answered 404 Not Found")
    }

    @Test func unknownDatasetIsAUsageError() {
        let error = #expect(throws: (any Error).self) { _ = try VQVAECommand.parseAsRoot(["datasets", "download", "imagenet"]) }
        #expect(error.map { VQVAECommand.message(for: $0) }?.contains("unknown dataset 'imagenet'; choose one of mnist, fashion-mnist, cifar10") == true)
    }

    @Test func helpExplainsEveryOptionWithItsDefault() {
        let help = VQVAECommand.helpMessage(for: DatasetsDownloadCommand.self, columns: 400)
        for expected in ["--to <DIR>", "default: data/<dataset>", "--mirror <URL>", "$VQVAE_DATASET_MIRROR",
                         "--timeout", "(default: 60.0)", "--attempts", "(default: 3)", "mnist, fashion-mnist, cifar10"] {
            #expect(help.contains(expected), "help lacks \(expected):\n\(help)")
        }
    }
}
