/// The datasets `vqvae datasets download` knows: where their official files live and the checksums
/// those files must have.
///
/// The MD5 checksums are the ones the datasets' authors publish (Fashion-MNIST's README, the CIFAR
/// page) and that torchvision checks; SHA-256 is recorded where it was computed from a local copy
/// whose MD5 matched the published one. A file is accepted only when every recorded checksum matches.
public enum DatasetCatalogue {
    /// MNIST (LeCun, Cortes, Burges): the four gzip IDX files.
    ///
    /// The original host, `http://yann.lecun.com/exdb/mnist/`, often refuses downloads, so the default
    /// base URL is the copy PyTorch keeps on Amazon S3 for torchvision (the same files, the same MD5s).
    /// Other well-known copies: `https://storage.googleapis.com/cvdf-datasets/mnist/` (TensorFlow's) and
    /// the original host; pass one with `--mirror`.
    public static let mnist = DownloadableDataset(
        name: "mnist",
        title: "MNIST handwritten digits (28x28 gray, 60000 train + 10000 test)",
        baseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/",
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", byteCount: 9_912_422, md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            RemoteFile(name: "train-labels-idx1-ubyte.gz", byteCount: 28_881, md5: "d53e105ee54ea40749a09fcbcd1e9432"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", byteCount: 1_648_877, md5: "9fb629c4189551a2d022fa330f9573f3"),
            RemoteFile(name: "t10k-labels-idx1-ubyte.gz", byteCount: 4_542, md5: "ec29112dd5afa0611ce80d1b7f02629c"),
        ])

    /// Fashion-MNIST (Zalando Research, MIT licence): the four gzip IDX files from the official host
    /// named in its README.
    public static let fashionMNIST = DownloadableDataset(
        name: "fashion-mnist",
        title: "Fashion-MNIST clothing images (28x28 gray, 60000 train + 10000 test)",
        baseURL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", byteCount: 26_421_880, md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            RemoteFile(
                name: "train-labels-idx1-ubyte.gz", byteCount: 29_515, md5: "25c81989df183df01b3e8a0aad5dffbe",
                sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", byteCount: 4_422_102, md5: "bef4ecab320f06d8554ea6380940ec79"),
            RemoteFile(
                name: "t10k-labels-idx1-ubyte.gz", byteCount: 5_148, md5: "bb300cfdad3c16e7a12a480ee83cd310",
                sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        ])

    /// CIFAR-10 (Krizhevsky 2009), binary version: one gzip tar from the University of Toronto,
    /// extracted to `cifar-10-batches-bin/` (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`,
    /// `batches.meta.txt`).
    public static let cifar10 = DownloadableDataset(
        name: "cifar10",
        title: "CIFAR-10 binary batches (32x32 RGB, 50000 train + 10000 test)",
        baseURL: "https://www.cs.toronto.edu/~kriz/",
        files: [
            RemoteFile(name: "cifar-10-binary.tar.gz", byteCount: 170_052_171, md5: "c32a1d4ab5d03f1284b67883e8d87530"),
        ],
        extraction: ArchiveExtraction(
            archive: "cifar-10-binary.tar.gz",
            expectedFiles: ["cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/data_batch_2.bin",
                            "cifar-10-batches-bin/data_batch_3.bin", "cifar-10-batches-bin/data_batch_4.bin",
                            "cifar-10-batches-bin/data_batch_5.bin", "cifar-10-batches-bin/test_batch.bin"]))

    /// Every dataset, in the order `vqvae datasets list` shows them.
    public static let all: [DownloadableDataset] = [mnist, fashionMNIST, cifar10]

    /// The dataset called `name` (`mnist`, `fashion-mnist`, `cifar10`), or nil.
    public static func dataset(named name: String) -> DownloadableDataset? {
        all.first { $0.name == name.lowercased() }
    }
}

/// A dataset that can be fetched: a base URL and the files under it.
public struct DownloadableDataset: Sendable, Equatable {
    /// The name used on the command line.
    public var name: String
    /// One line describing the data.
    public var title: String
    /// The URL each file name is appended to (ends with `/`).
    public var baseURL: String
    /// The files to fetch, each with its checksums.
    public var files: [RemoteFile]
    /// An archive to unpack after download, when the dataset ships as one.
    public var extraction: ArchiveExtraction?

    public init(name: String, title: String, baseURL: String, files: [RemoteFile], extraction: ArchiveExtraction? = nil) {
        self.name = name
        self.title = title
        self.baseURL = baseURL
        self.files = files
        self.extraction = extraction
    }

    /// The URL of `file` under `base` (the catalogue's base URL or a mirror); a missing `/` is added.
    public func url(of file: RemoteFile, base: String? = nil) -> String {
        let root = base ?? baseURL
        return root.hasSuffix("/") ? root + file.name : root + "/" + file.name
    }
}

/// One file of a dataset, with the size and checksums it must have.
public struct RemoteFile: Sendable, Equatable {
    /// The file name, both on the server (under the base URL) and on disk.
    public var name: String
    /// The published size in bytes: the progress total when the server sends no length, and the basis
    /// of a limit that stops a server sending endless data.
    public var byteCount: Int64
    /// Lower-case hexadecimal MD5 of the file.
    public var md5: String
    /// Lower-case hexadecimal SHA-256 of the file, when known.
    public var sha256: String?

    public init(name: String, byteCount: Int64, md5: String, sha256: String? = nil) {
        self.name = name
        self.byteCount = byteCount
        self.md5 = md5.lowercased()
        self.sha256 = sha256?.lowercased()
    }
}

/// A gzip-compressed tar archive unpacked into the download folder after it is verified.
public struct ArchiveExtraction: Sendable, Equatable {
    /// The name of the archive among the dataset's files.
    public var archive: String
    /// Paths (relative to the download folder) the archive must produce; when all exist the archive
    /// is not unpacked again.
    public var expectedFiles: [String]

    public init(archive: String, expectedFiles: [String]) {
        self.archive = archive
        self.expectedFiles = expectedFiles
    }
}
