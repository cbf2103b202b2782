import VQData
import VQEngine

/// Inference from files: images to code grids (`CodesFile`), code grids to images, and
/// reconstructions defined as exactly "decode the codes of the image".
///
/// Every path runs the network on the same fixed chunks of items (`inferenceBatchSize` from item 0),
/// so `decodedImages(encode(dataset))` and `reconstructedImages(dataset)` agree byte for byte: same
/// inputs, same batch shapes, same kernels.
extension VQVAE {
    /// Items per forward pass for a code grid of `positions` positions: 64, fewer for large grids so
    /// a chunk's activations stay within a few hundred megabytes.
    public static func inferenceBatchSize(positions: Int) -> Int {
        max(1, min(64, 16_384 / max(positions, 1)))
    }

    /// Items per forward pass for a code grid of `height`×`width`.
    public static func inferenceBatchSize(gridHeight height: Int, gridWidth width: Int) -> Int {
        inferenceBatchSize(positions: height * width)
    }

    /// The largest grid area (positions) `decodedImages` accepts: 256×256 codes.
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

    /// The code grid of the images the model was trained on (from checkpoint metadata), or nil.
    public func trainedGridShape(_ metadata: [String: String]) -> [Int]? {
        VQVAE.trainedImageSize(metadata).flatMap { configuration.gridShape(forInput: [$0.height, $0.width]) }
    }

    /// Checks that `dataset` fits this model: an image model, same channels, sides divisible by the
    /// downsampling factor, and the size the model was trained on when known. Throws `DataError(source, problem)`.
    public func checkCompatible(_ dataset: ImageDataset, source: String, trainedImageSize: (height: Int, width: Int)? = nil) throws {
        let c = configuration
        guard c.spatialRank == 2 else {
            throw DataError(source, "the model takes sequences (spatial rank 1), not images")
        }
        guard dataset.channels == c.inputChannels else {
            throw DataError(source, "images have \(dataset.channels) channels, the model expects \(c.inputChannels)")
        }
        guard c.gridShape(forInput: [dataset.height, dataset.width]) != nil else {
            throw DataError(source, "images are \(dataset.height)x\(dataset.width); the model needs sizes divisible by \(c.downsampling)")
        }
        if let size = trainedImageSize, size != (dataset.height, dataset.width) {
            throw DataError(source, "images are \(dataset.height)x\(dataset.width), the model was trained on \(size.height)x\(size.width)")
        }
    }

    /// The code grids of the first `limit` images of `dataset` (all when nil), with their labels,
    /// using the first `depth` quantizer stages (all when nil). Grids are (H/F)×(W/F). The dataset must
    /// pass `checkCompatible`.
    public func encode(_ dataset: ImageDataset, limit: Int? = nil, depth: Int? = nil) -> CodesFile {
        let count = min(limit ?? dataset.count, dataset.count)
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        let stages = quantizer.resolvedDepth(depth)
        let chunk = VQVAE.inferenceBatchSize(positions: grid.reduce(1, *))
        var indices: [Int32] = []
        indices.reserveCapacity(count * grid.reduce(1, *) * stages)
        for start in stride(from: 0, to: count, by: chunk) {
            indices += encode(dataset.batch(Array(start..<min(start + chunk, count))), depth: stages)
        }
        let labels = dataset.labels.isEmpty ? [] : Array(dataset.labels[0..<count])
        return CodesFile(count: count, gridShape: grid, depth: stages, numEmbeddings: configuration.numEmbeddings,
                         indices: indices, labels: labels)
    }

    /// The images decoded from every grid of `codes` at the file's depth, as bytes (C = the model's
    /// channels, size F·h × F·w). Throws `DataError(path, problem)` when K differs from the model's, the
    /// file is deeper than the quantizer, the grid is not 2-D or larger than `maximumGridArea`, or (when
    /// `trainedImageSize` is known) the grid is not that size / F.
    public func decodedImages(_ codes: CodesFile, path: String, trainedImageSize: (height: Int, width: Int)? = nil) throws -> [RasterImage] {
        let c = configuration
        guard codes.numEmbeddings == c.numEmbeddings else {
            throw DataError(path, "the codes use K = \(codes.numEmbeddings) codes, the model has \(c.numEmbeddings)")
        }
        guard codes.depth <= c.depth else {
            throw DataError(path, "the codes have \(codes.depth) indices per position, the model's quantizer \(c.depth)")
        }
        guard codes.gridShape.count == 2, c.spatialRank == 2 else {
            throw DataError(path, "the codes are \(codes.gridShape.count)-D grids, the model decodes \(c.spatialRank)-D ones")
        }
        if let size = trainedImageSize, let expected = c.gridShape(forInput: [size.height, size.width]), expected != codes.gridShape {
            throw DataError(path, "the grids are \(codes.height)x\(codes.width) codes, the model was trained on \(size.height)x\(size.width) images (\(expected[0])x\(expected[1]) codes)")
        }
        let (area, overflow) = codes.height.multipliedReportingOverflow(by: codes.width)
        guard !overflow, area <= VQVAE.maximumGridArea else {
            throw DataError(path, "the grid is \(codes.height)x\(codes.width), more than the \(VQVAE.maximumGridArea) codes per image this tool decodes")
        }
        let chunk = VQVAE.inferenceBatchSize(positions: area)
        let perItem = area * codes.depth
        var images: [RasterImage] = []
        images.reserveCapacity(codes.count)
        for start in stride(from: 0, to: codes.count, by: chunk) {
            let end = min(start + chunk, codes.count)
            let decoded = decode(Array(codes.indices[(start * perItem)..<(end * perItem)]), batch: end - start,
                                 gridShape: codes.gridShape, depth: codes.depth)
            images += ImageGrid.images(fromBatch: decoded)
        }
        return images
    }

    /// The first `count` images of `dataset` and their reconstructions (decoded codes of the first
    /// `depth` stages, all when nil), as bytes. Throws `DataError(source, problem)` for images larger
    /// than `decodedImages` accepts.
    public func reconstructedImages(_ dataset: ImageDataset, count: Int, depth: Int? = nil,
                                    source: String = "images") throws -> (originals: [RasterImage], reconstructions: [RasterImage]) {
        let shown = min(count, dataset.count)
        let originals = ImageGrid.images(fromBatch: dataset.batch(Array(0..<shown)))
        let reconstructions = try decodedImages(encode(dataset, limit: shown, depth: depth), path: source)
        return (originals, reconstructions)
    }
}
