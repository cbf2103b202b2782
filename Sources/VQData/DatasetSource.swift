/// Where training and test images come from: a folder in a known format, or the built-in shapes.
public enum DatasetSource: Equatable, Sendable {
    /// An MNIST-layout IDX folder (gzip or raw).
    case idxFolder(String)
    /// The built-in procedural shapes (`ProceduralShapes`), 28×28 gray.
    case builtInShapes(seed: UInt64)

    /// Detects the format of `path` (nil: the built-in shapes).
    public static func detect(_ path: String?, seed: UInt64) throws -> DatasetSource {
        guard let path else { return .builtInShapes(seed: seed) }
        guard FileIO.exists(path) else { throw DataError(path, "no such file or folder") }
        guard FileIO.isDirectory(path) else { throw DataError(path, "expected a folder holding an IDX dataset (MNIST layout)") }
        if ImageDataset.findIDX(path, "train-images-idx3-ubyte") != nil || ImageDataset.findIDX(path, "t10k-images-idx3-ubyte") != nil {
            return .idxFolder(path)
        }
        throw DataError(path, "no dataset found: expected train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz] (MNIST layout)")
    }

    /// Loads one split.
    public func load(_ split: DatasetSplit) throws -> ImageDataset {
        switch self {
        case .idxFolder(let folder): return try ImageDataset(idxFolder: folder, split: split)
        case .builtInShapes(let seed):
            return split == .train ? ProceduralShapes.dataset(count: 12_000, seed: seed)
                                   : ProceduralShapes.dataset(count: 2_000, seed: seed &+ 1_000_003)
        }
    }

    /// A short description for progress output.
    public var name: String {
        switch self {
        case .idxFolder(let folder): return folder
        case .builtInShapes: return "built-in shapes (28x28)"
        }
    }
}
