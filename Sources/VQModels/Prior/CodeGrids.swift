import VQData
import VQEngine

/// The code grids of a set of images under a VQ-VAE: what its prior is trained and evaluated on.
public struct CodeGrids: Sendable {
    /// count·height·width indices, row-major (N, H, W).
    public var codes: [Int32]
    /// One class label per grid, or empty.
    public var labels: [Int32]
    public let count: Int
    public let height: Int
    public let width: Int

    public init(codes: [Int32], labels: [Int32] = [], count: Int, height: Int, width: Int) {
        precondition(codes.count == count * height * width, "CodeGrids: \(codes.count) codes for \(count) grids of \(height)x\(width)")
        precondition(labels.isEmpty || labels.count == count, "CodeGrids: \(labels.count) labels for \(count) grids")
        (self.codes, self.labels, self.count, self.height, self.width) = (codes, labels, count, height, width)
    }

    /// The codes of the grids at `indices`, in order, and their labels (nil when there are none).
    public func batch(_ indices: [Int]) -> (codes: [Int32], labels: [Int32]?) {
        let size = height * width
        var codes: [Int32] = []
        codes.reserveCapacity(indices.count * size)
        for index in indices { codes += self.codes[(index * size)..<((index + 1) * size)] }
        return (codes, labels.isEmpty ? nil : indices.map { labels[$0] })
    }
}

extension VQVAE {
    /// Encodes every image of `dataset`, `batchSize` at a time, recording nothing → its code grids
    /// ((H/F) × (W/F) each, the first quantizer stage's codes: the prior models those) with the
    /// dataset's labels.
    public func codeGrids(of dataset: ImageDataset, batchSize: Int = 500) -> CodeGrids {
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        var codes: [Int32] = []
        codes.reserveCapacity(dataset.count * grid[0] * grid[1])
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            codes += encode(dataset.batch(Array(start..<min(start + batchSize, dataset.count))), depth: 1)
        }
        return CodeGrids(codes: codes, labels: dataset.labels, count: dataset.count, height: grid[0], width: grid[1])
    }
}
