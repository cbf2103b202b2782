/// Where training and test images come from: a folder or file in a known format, or the built-in shapes.
public enum DatasetSource: Equatable, Sendable {
    /// An MNIST-layout IDX folder (gzip or raw).
    case idxFolder(String)
    /// A CIFAR-10 binary folder: the folder holding `data_batch_1..5.bin` and `test_batch.bin`.
    case cifarFolder(String)
    /// A folder of PNG/PGM/PPM/JPEG images (`ImageFolder`: class sub-folders, train/ and test/ or a held-out tenth).
    case imageFolder(String)
    /// One IDX images file (`*-images-idx3-ubyte[.gz]`), with labels from the matching
    /// `*-labels-idx1-ubyte[.gz]` beside it when present; both splits are the whole file.
    case idxFile(String)
    /// One CIFAR-10 batch file (`.bin`); both splits are the whole file.
    case cifarBatchFile(String)
    /// One PNG/PGM/PPM/JPEG image, a dataset of one image without labels; both splits are that image.
    case imageFile(String)
    /// The built-in procedural shapes (`ProceduralShapes`), 28×28 gray.
    case builtInShapes(seed: UInt64)

    /// Detects the format of `path` (nil: the built-in shapes). A folder is, in this order, an IDX
    /// folder (`train-images-idx3-ubyte[.gz]` or `t10k-images-idx3-ubyte[.gz]`), a CIFAR-10 folder
    /// (`data_batch_N.bin` or `test_batch.bin`, here or in `cifar-10-batches-bin/`), or an image folder
    /// (.png/.pgm/.ppm/.pnm/.jpg/.jpeg files here, in sub-folders or in train/). A file is an IDX images file by a
    /// name containing `idx3-ubyte`, a CIFAR-10 batch by the ending `.bin`, or an image by its ending.
    /// Anything else is an error naming the path and what was looked for.
    public static func detect(_ path: String?, seed: UInt64) throws -> DatasetSource {
        guard let path else { return .builtInShapes(seed: seed) }
        guard FileIO.exists(path) else { throw DataError(path, "no such file or folder") }
        guard FileIO.isDirectory(path) else {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if name.contains("idx3-ubyte") { return .idxFile(path) }
            if name.lowercased().hasSuffix(".bin") { return .cifarBatchFile(path) }
            if ImageFile.hasImageExtension(name) { return .imageFile(path) }
            throw DataError(path, "not a dataset file: expected an IDX images file (*-images-idx3-ubyte[.gz]), a CIFAR-10 batch (.bin) or an image (.png, .pgm, .ppm, .jpg, .jpeg), or a folder of them")
        }
        if ImageDataset.findIDX(path, "train-images-idx3-ubyte") != nil || ImageDataset.findIDX(path, "t10k-images-idx3-ubyte") != nil {
            return .idxFolder(path)
        }
        if let batches = CIFARBatch.batchFolder(in: path) { return .cifarFolder(batches) }
        if ImageFolder.containsImages(path) { return .imageFolder(path) }
        throw DataError(path, "no dataset found: looked for IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz]), CIFAR-10 batches (data_batch_1..5.bin, test_batch.bin, here or in cifar-10-batches-bin/) and images (.png, .pgm, .ppm, .jpg, .jpeg, here, in sub-folders or in train/ and test/)")
    }

    /// Loads one split.
    public func load(_ split: DatasetSplit) throws -> ImageDataset {
        switch self {
        case .idxFolder(let folder): return try ImageDataset(idxFolder: folder, split: split)
        case .cifarFolder(let folder): return try ImageDataset(cifarFolder: folder, split: split)
        case .imageFolder(let folder): return try ImageDataset(imageFolder: folder, split: split)
        case .idxFile(let path): return try ImageDataset(idxImagesFile: path)
        case .cifarBatchFile(let path): return try CIFARBatch.read(path)
        case .imageFile(let path):
            let image = try ImageFile.read(path)
            return ImageDataset(images: [image.converted(toChannels: image.channels <= 2 ? 1 : 3)])
        case .builtInShapes(let seed):
            return split == .train ? ProceduralShapes.dataset(count: 12_000, seed: seed)
                                   : ProceduralShapes.dataset(count: 2_000, seed: seed &+ 1_000_003)
        }
    }

    /// A short description for progress output.
    public var name: String {
        switch self {
        case .idxFolder(let path), .cifarFolder(let path), .imageFolder(let path),
             .idxFile(let path), .cifarBatchFile(let path), .imageFile(let path):
            return path
        case .builtInShapes: return "built-in shapes (28x28)"
        }
    }
}
