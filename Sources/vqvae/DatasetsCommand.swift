import ArgumentParser
import Foundation
import VQData
import VQDownload

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List and download the public datasets vqvae knows.",
        subcommands: [DatasetsListCommand.self, DatasetsDownloadCommand.self])
}

/// The environment variable that replaces the catalogue's base URL when `--mirror` is not given.
let datasetMirrorVariable = "VQVAE_DATASET_MIRROR"

struct DatasetsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the datasets `vqvae datasets download` can fetch, their source and files.")

    func run() {
        for dataset in DatasetCatalogue.all {
            print("\(dataset.name): \(dataset.title)")
            print("  from \(dataset.baseURL)")
            for file in dataset.files {
                print("  \(file.name)  \(file.byteCount) bytes  md5 \(file.md5)")
            }
            if let extraction = dataset.extraction {
                print("  unpacked to \(extraction.expectedFiles.first.map { String($0.prefix { $0 != "/" }) } ?? ".")/")
            }
        }
    }
}

struct DatasetsDownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a dataset's official files, verify their checksums and unpack archives.",
        discussion: """
            Each file is written to DIR/<file>.partial, verified against the catalogue's MD5 (and SHA-256 \
            where known) and then renamed. Running the command again resumes a broken download with an \
            HTTP range request and skips files already present with the right checksum; a file with a \
            wrong checksum is deleted and reported. cifar10 is unpacked into DIR/cifar-10-batches-bin/.

            MNIST comes from PyTorch's copy on S3 by default because yann.lecun.com often refuses \
            downloads; `vqvae datasets list` shows every source and checksum.

            Afterwards: vqvae train --data DIR (MNIST and Fashion-MNIST).
            """)

    @Argument(help: ArgumentHelp("The dataset: \(DatasetCatalogue.all.map(\.name).joined(separator: ", ")).", valueName: "dataset"))
    var name: String
    @Option(help: ArgumentHelp("Folder for the files, created when missing (default: data/<dataset>).", valueName: "DIR"))
    var to: String?
    @Option(help: ArgumentHelp(
        "Base URL to fetch the files from instead of the official one; files are read from URL/<file> (default: $\(datasetMirrorVariable) when set, else the official host).",
        valueName: "URL"))
    var mirror: String?
    @Option(help: ArgumentHelp("Seconds without data before a transfer is given up.", valueName: "seconds")) var timeout: Double = 60
    @Option(help: ArgumentHelp("Tries per file when the connection breaks; each try resumes where the last stopped.", valueName: "count"))
    var attempts = 3

    func validate() throws {
        guard DatasetCatalogue.dataset(named: name) != nil else {
            throw ValidationError("unknown dataset '\(name)'; choose one of \(DatasetCatalogue.all.map(\.name).joined(separator: ", "))")
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be positive") }
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
    }

    func run() throws {
        let dataset = DatasetCatalogue.dataset(named: name)!
        let folder = to ?? "data/\(dataset.name)"
        let environmentMirror = ProcessInfo.processInfo.environment[datasetMirrorVariable].flatMap { $0.isEmpty ? nil : $0 }
        var downloader = DatasetDownloader(dataset: dataset, folder: folder, mirror: mirror ?? environmentMirror)
        downloader.timeout = timeout
        downloader.attempts = attempts
        let renderer = DownloadProgressRenderer()
        do {
            let paths = try downloader.run { renderer.show($0) }
            renderer.finish()
            print("\(dataset.name): \(paths.count) files verified in \(folder)")
        } catch let error as DataError {
            renderer.finish()
            throw CommandFailure(error.description)
        }
    }
}

/// Renders download events on standard error: a live line per file on a terminal, plain lines otherwise.
final class DownloadProgressRenderer: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var lineOpen = false
    private var lastShown: (file: String, percent: Int) = ("", -1)

    func show(_ event: DownloadEvent) {
        lock.withLock {
            switch event {
            case .alreadyPresent(let file): line("\(file): already present, checksum matches")
            case .replacing(let file, let reason): line("\(file): present but \(reason); downloading again")
            case .started(let file, let url, let resumingAt):
                line(resumingAt > 0 ? "\(file): resuming \(url) from byte \(resumingAt)" : "\(file): fetching \(url)")
            case .received(let file, let receivedBytes, let totalBytes):
                guard isTerminal else { return }
                let percent = totalBytes.map { $0 > 0 ? Int(receivedBytes * 100 / $0) : 100 } ?? -1
                guard (file, percent) != lastShown else { return }
                lastShown = (file, percent)
                let amount = "\(megabytes(receivedBytes))" + (totalBytes.map { " / \(megabytes($0))" } ?? "") + " MB"
                writeError("\r\u{1B}[2K\(file) \(amount)" + (percent >= 0 ? " \(percent)%" : ""))
                lineOpen = true
            case .retrying(let file, let reason): line("\(file): \(reason); retrying")
            case .verified(let file): line("\(file): checksum verified")
            case .extracting(let archive): line("\(archive): unpacking")
            case .extracted(let archive, let fileCount): line("\(archive): unpacked \(fileCount) files")
            }
        }
    }

    /// Ends an open progress line so later output starts on its own line.
    func finish() {
        lock.withLock {
            if lineOpen { writeError("\n") }
            lineOpen = false
        }
    }

    private func line(_ text: String) {
        writeError((lineOpen ? "\r\u{1B}[2K" : "") + text + "\n")
        lineOpen = false
    }

    private func megabytes(_ bytes: Int64) -> String { format(Double(bytes) / 1_000_000, 1) }
}
