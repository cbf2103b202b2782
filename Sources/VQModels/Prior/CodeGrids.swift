import VQData
import VQEngine
import VQNN

/// The code grids of a set of images under a VQ-VAE: what its prior is trained and evaluated on.
public struct CodeGrids: Sendable {
    /// count·height·width indices, row-major (N, H, W).
    public var codes: [Int32]
    /// One class label per grid, or empty.
    public var labels: [Int32]
    public let count: Int
    public let height: Int
    public let width: Int
    /// Channels D of each grid's context map (0: none), and the maps, count·D·height·width values (N, D, H, W).
    public let contextChannels: Int
    public var contextValues: [Float]

    public init(codes: [Int32], labels: [Int32] = [], count: Int, height: Int, width: Int,
                contextChannels: Int = 0, contextValues: [Float] = []) {
        precondition(codes.count == count * height * width, "CodeGrids: \(codes.count) codes for \(count) grids of \(height)x\(width)")
        precondition(labels.isEmpty || labels.count == count, "CodeGrids: \(labels.count) labels for \(count) grids")
        precondition(contextValues.count == count * contextChannels * height * width,
                     "CodeGrids: \(contextValues.count) context values for \(count) maps of \(contextChannels)x\(height)x\(width)")
        (self.codes, self.labels, self.count, self.height, self.width) = (codes, labels, count, height, width)
        (self.contextChannels, self.contextValues) = (contextChannels, contextValues)
    }

    /// The context maps of the grids at `indices`, (indices.count, D, H, W), or nil without context.
    public func context(of indices: [Int]) -> Tensor? {
        guard contextChannels > 0 else { return nil }
        let size = contextChannels * height * width
        var values: [Float] = []
        values.reserveCapacity(indices.count * size)
        for index in indices { values += contextValues[(index * size)..<((index + 1) * size)] }
        return Tensor(shape: [indices.count, contextChannels, height, width], scalars: values)
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
    public func codeGrids(of dataset: ImageDataset, batchSize: Int = 100) -> CodeGrids {
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        var codes: [Int32] = []
        codes.reserveCapacity(dataset.count * grid[0] * grid[1])
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            codes += encode(dataset.batch(Array(start..<min(start + batchSize, dataset.count))), depth: 1)
        }
        return CodeGrids(codes: codes, labels: dataset.labels, count: dataset.count, height: grid[0], width: grid[1])
    }

    /// `codeGrids(of:batchSize:)` with the work shared by the processes of `communicator`: process r
    /// of N encodes chunks r, r + N, r + 2N, … of `batchSize` images (the chunks one process encodes,
    /// so the same codes), and one sum over the processes, each writing only its chunks' codes into
    /// zeros, gives every process every grid (codes below 2²⁴ are exact as Float).
    public func codeGrids(of dataset: ImageDataset, communicator: any Communicator, batchSize: Int = 100) throws -> CodeGrids {
        guard communicator.size > 1 else { return codeGrids(of: dataset, batchSize: batchSize) }
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        let positions = grid[0] * grid[1]
        precondition(configuration.numEmbeddings <= 1 << 24, "codeGrids: \(configuration.numEmbeddings) codes are not exact as Float")
        var values = [Float](repeating: 0, count: dataset.count * positions)
        let starts = Array(stride(from: 0, to: dataset.count, by: batchSize))
        for chunk in stride(from: communicator.rank, to: starts.count, by: communicator.size) {
            let start = starts[chunk]
            let codes = encode(dataset.batch(Array(start..<min(start + batchSize, dataset.count))), depth: 1)
            for (offset, code) in codes.enumerated() { values[start * positions + offset] = Float(code) }
        }
        try communicator.allReduce(&values, .sum)
        return CodeGrids(codes: values.map { Int32($0) }, labels: dataset.labels, count: dataset.count, height: grid[0], width: grid[1])
    }
}
