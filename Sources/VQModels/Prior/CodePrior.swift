import VQData
import VQEngine

/// Code grids with their condition: what a prior is trained on, scores and continues.
public struct CodeBatch {
    /// count·height·width indices, row-major (N, H, W); a sequence of codes is a grid of height 1.
    public var codes: [Int32]
    public var count: Int
    public var height: Int
    public var width: Int
    /// The condition of each grid: a class or speaker label per grid, or nil for none.
    public var labels: [Int32]?
    /// A context map per grid, (N, D, H, W), known at every position (`PixelCNNConfiguration.contextChannels`), or nil.
    public var context: Tensor?

    public init(codes: [Int32], count: Int, height: Int, width: Int, labels: [Int32]? = nil, context: Tensor? = nil) {
        precondition(codes.count == count * height * width, "CodeBatch: \(codes.count) codes for \(count) grids of \(height)x\(width)")
        precondition(labels.map { $0.count == count } ?? true, "CodeBatch: \(labels!.count) labels for \(count) grids")
        precondition(context.map { $0.rank == 4 && $0.shape[0] == count && $0.shape[2] == height && $0.shape[3] == width } ?? true,
                     "CodeBatch: a context map of shape \(context!.shape) for \(count) grids of \(height)x\(width)")
        (self.codes, self.count, self.height, self.width, self.labels, self.context) = (codes, count, height, width, labels, context)
    }
}

/// An autoregressive prior over code grids: the distribution of each code given the codes before it
/// in raster order (rows top to bottom, columns left to right) and an optional condition (a class or
/// speaker label per grid, and a context map known at every position).
///
/// Two ways in: `logits(for:)` scores whole grids at once (teacher forcing: training and evaluation),
/// and a `PriorCursor` walks one position at a time, giving each position's distribution before the
/// caller fixes its code (sampling, and entropy coding, which needs the same distributions on the
/// encoding and the decoding side). Sampling, evaluation and the commands use only this protocol, so
/// another prior (a Transformer, say) is one new conforming type and a case in `PriorFile`.
public protocol CodePrior {
    /// K, the number of codes.
    var codebookSize: Int { get }
    /// Labels the prior is conditioned on: 0 for none, else labels are in 0..<numClasses and required.
    var numClasses: Int { get }
    /// Channels D of the context map the prior takes with every grid, (N, D, H, W): 0 for none, else required.
    var contextChannels: Int { get }
    /// The logits of every position of `batch`'s grids given the codes before it: (N, K, H, W).
    func logits(for batch: CodeBatch) -> Tensor
    /// A cursor at the first position of `count` empty grids of `height` × `width` under `labels` and
    /// the context map (count, D, height, width).
    func makeCursor(count: Int, height: Int, width: Int, labels: [Int32]?, context: Tensor?) -> any PriorCursor
    /// The prior as a checkpoint (format tag and configuration in the metadata, plus `extra`).
    func checkpoint(metadata extra: [String: String]) -> SafeTensors
    /// Learnable scalars, for messages.
    var parameterCount: Int { get }
}

/// A walk through code grids one position at a time, in raster order, for a batch of grids at once.
public protocol PriorCursor {
    /// The next position to fill, from 0 to height·width.
    var position: Int { get }
    /// The logits of the next position, one row of K per grid, given the codes appended so far.
    mutating func nextLogits() -> [[Float]]
    /// Fixes the code of the next position of every grid (one per grid) and moves on.
    mutating func append(_ codes: [Int32])
}

extension CodePrior {
    /// Whether the prior takes a label per grid.
    public var isConditional: Bool { numClasses > 0 }

    /// A cursor for a prior without a context map. See `makeCursor(count:height:width:labels:context:)`.
    public func makeCursor(count: Int, height: Int, width: Int, labels: [Int32]?) -> any PriorCursor {
        makeCursor(count: count, height: height, width: width, labels: labels, context: nil)
    }

    /// Mean cross-entropy (nats per code) of `batch`'s codes: the training loss. Rank 0.
    public func loss(for batch: CodeBatch) -> Tensor {
        Tensor.crossEntropy(logits: logits(for: batch), targets: batch.codes)
    }

    /// Draws `count` grids of `height` × `width` → count·height·width indices, row-major (N, H, W),
    /// one position at a time through a cursor. Each code is drawn from softmax(logits / temperature);
    /// the same generator state gives the same grids.
    public func sample(count: Int, height: Int, width: Int, labels: [Int32]? = nil, temperature: Float = 1,
                       generator: inout RandomGenerator) -> [Int32] {
        precondition(temperature > 0 && temperature.isFinite, "sample: the temperature \(temperature) must be positive")
        var cursor = makeCursor(count: count, height: height, width: width, labels: labels)
        var codes = [Int32](repeating: 0, count: count * height * width)
        for position in 0..<(height * width) {
            let logits = cursor.nextLogits()
            let drawn = logits.map { Int32(drawCode(from: $0, temperature: temperature, generator: &generator)) }
            cursor.append(drawn)
            for item in 0..<count { codes[item * height * width + position] = drawn[item] }
        }
        return codes
    }

    /// `sample`'s naive twin: the same draws, but every position scores the whole grids with
    /// `logits(for:)` (H·W full passes). The reference a cursor is tested and benchmarked against.
    public func sampleByFullPasses(count: Int, height: Int, width: Int, labels: [Int32]? = nil, temperature: Float = 1,
                                   generator: inout RandomGenerator) -> [Int32] {
        precondition(temperature > 0 && temperature.isFinite, "sample: the temperature \(temperature) must be positive")
        var codes = [Int32](repeating: 0, count: count * height * width)
        let (k, size) = (codebookSize, height * width)
        for position in 0..<size {
            let logits = self.logits(for: CodeBatch(codes: codes, count: count, height: height, width: width, labels: labels))
            for item in 0..<count {
                let line = (0..<k).map { logits[flat: (item * k + $0) * size + position] }
                codes[item * size + position] = Int32(drawCode(from: line, temperature: temperature, generator: &generator))
            }
        }
        return codes
    }
}

/// One index drawn from softmax(logits / temperature), by inverting the cumulative sum at a uniform draw.
func drawCode(from logits: [Float], temperature: Float, generator: inout RandomGenerator) -> Int {
    let maximum = Double(logits.max() ?? 0)
    let weights = logits.map { exp((Double($0) - maximum) / Double(temperature)) }
    let target = generator.nextUniformDouble() * weights.reduce(0, +)
    var cumulative = 0.0
    for (index, weight) in weights.enumerated() {
        cumulative += weight
        if target < cumulative { return index }
    }
    return weights.lastIndex(where: { $0 > 0 }) ?? 0
}

/// Reading a prior checkpoint of any kind: the format tag picks the type.
public enum PriorFile {
    /// The prior in the checkpoint file at `path`; throws `DataError(path, …)` for an unknown kind or a
    /// broken file.
    public static func load(_ path: String) throws -> any CodePrior {
        let file = try SafeTensors(contentsOf: path)
        switch file.metadata["format"] {
        case PixelCNN.checkpointFormat: return try PixelCNN(checkpoint: file, path: path)
        case let other:
            throw DataError(path, "not a prior checkpoint (metadata format is \(other.map { "'\($0)'" } ?? "missing"), expected '\(PixelCNN.checkpointFormat)')")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
