import VQData
import VQEngine

/// Inference from files: images to code grids (`CodesFile`), code grids to images, and
/// reconstructions defined as exactly "decode the codes of the image".
///
/// Every path runs the network on the same fixed chunks of items (`inferenceBatchSize` from item 0),
/// so `decodedImages(encode(dataset))` and `reconstructedImages(dataset)` agree byte for byte: same
/// inputs, same batch shapes, same kernels.
extension VQVAE {
    /// Images per forward pass for a code grid of `height`×`width`: 64, fewer for large grids so a
    /// chunk's activations stay within a few hundred megabytes.
    public static func inferenceBatchSize(gridHeight height: Int, gridWidth width: Int) -> Int {
        max(1, min(64, 16_384 / max(height * width, 1)))
    }

    /// The largest grid area (h·w) `decodedImages` accepts: 256×256 codes, 1024×1024 images.
    public static let maximumGridArea = 1 << 16

    /// The checkpoint metadata key recording the training images' size, as `HEIGHTxWIDTH` (`28x28`).
    public static let imageSizeMetadataKey = "image_size"

    /// The metadata entry recording an image size, for `checkpoint(metadata:)`.
    public static func imageSizeMetadata(height: Int, width: Int) -> [String: String] {
        [imageSizeMetadataKey: "\(height)x\(width)"]
    }

    /// The training images' size recorded in checkpoint metadata, or nil when absent or unreadable
    /// (checkpoints written before it was recorded).
    public static func trainedImageSize(_ metadata: [String: String]) -> (height: Int, width: Int)? {
        guard let parts = metadata[imageSizeMetadataKey]?.split(separator: "x"), parts.count == 2,
              let height = Int(parts[0]), let width = Int(parts[1]), height > 0, width > 0 else { return nil }
        return (height, width)
    }

    /// Checks that `dataset` fits this model: same channels, sides divisible by 4, and the size the
    /// model was trained on when known. Throws `DataError(source, problem)`.
    public func checkCompatible(_ dataset: ImageDataset, source: String, trainedImageSize: (height: Int, width: Int)? = nil) throws {
        guard dataset.channels == configuration.inputChannels else {
            throw DataError(source, "images have \(dataset.channels) channels, the model expects \(configuration.inputChannels)")
        }
        guard dataset.height % 4 == 0, dataset.width % 4 == 0 else {
            throw DataError(source, "images are \(dataset.height)x\(dataset.width); the model needs sizes divisible by 4")
        }
        if let size = trainedImageSize, size != (dataset.height, dataset.width) {
            throw DataError(source, "images are \(dataset.height)x\(dataset.width), the model was trained on \(size.height)x\(size.width)")
        }
    }

    /// The code grids of the first `limit` images of `dataset` (all when nil), with their labels.
    /// Grids are (H/4)×(W/4). The dataset must pass `checkCompatible`.
    public func encode(_ dataset: ImageDataset, limit: Int? = nil) -> CodesFile {
        let count = min(limit ?? dataset.count, dataset.count)
        let (height, width) = (dataset.height / 4, dataset.width / 4)
        let chunk = VQVAE.inferenceBatchSize(gridHeight: height, gridWidth: width)
        var indices: [Int32] = []
        indices.reserveCapacity(count * height * width)
        for start in stride(from: 0, to: count, by: chunk) {
            indices += encode(dataset.batch(Array(start..<min(start + chunk, count))))
        }
        let labels = dataset.labels.isEmpty ? [] : Array(dataset.labels[0..<count])
        return CodesFile(count: count, height: height, width: width, numEmbeddings: configuration.numEmbeddings,
                         indices: indices, labels: labels)
    }

    /// The images decoded from every grid of `codes`, as bytes (C = the model's channels, size 4h×4w).
    /// Throws `DataError(path, problem)` when K differs from the model's, the grid is larger than
    /// `maximumGridArea`, or (when `trainedImageSize` is known) the grid is not that size / 4.
    public func decodedImages(_ codes: CodesFile, path: String, trainedImageSize: (height: Int, width: Int)? = nil) throws -> [RasterImage] {
        guard codes.numEmbeddings == configuration.numEmbeddings else {
            throw DataError(path, "the codes use K = \(codes.numEmbeddings) codes, the model has \(configuration.numEmbeddings)")
        }
        if let size = trainedImageSize, size != (4 * codes.height, 4 * codes.width) {
            throw DataError(path, "the grids are \(codes.height)x\(codes.width) codes, the model was trained on \(size.height)x\(size.width) images (\(size.height / 4)x\(size.width / 4) codes)")
        }
        let (area, overflow) = codes.height.multipliedReportingOverflow(by: codes.width)
        guard !overflow, area <= VQVAE.maximumGridArea else {
            throw DataError(path, "the grid is \(codes.height)x\(codes.width), more than the \(VQVAE.maximumGridArea) codes per image this tool decodes")
        }
        let chunk = VQVAE.inferenceBatchSize(gridHeight: codes.height, gridWidth: codes.width)
        let cells = codes.height * codes.width
        var images: [RasterImage] = []
        images.reserveCapacity(codes.count)
        for start in stride(from: 0, to: codes.count, by: chunk) {
            let end = min(start + chunk, codes.count)
            let decoded = decode(Array(codes.indices[(start * cells)..<(end * cells)]),
                                 batch: end - start, height: codes.height, width: codes.width)
            images += ImageGrid.images(fromBatch: decoded)
        }
        return images
    }

    /// The first `count` images of `dataset` and their reconstructions (decoded codes), as bytes.
    /// Throws `DataError(source, problem)` for images larger than `decodedImages` accepts.
    public func reconstructedImages(_ dataset: ImageDataset, count: Int, source: String = "images") throws -> (originals: [RasterImage], reconstructions: [RasterImage]) {
        let shown = min(count, dataset.count)
        let originals = ImageGrid.images(fromBatch: dataset.batch(Array(0..<shown)))
        let reconstructions = try decodedImages(encode(dataset, limit: shown), path: source)
        return (originals, reconstructions)
    }
}
