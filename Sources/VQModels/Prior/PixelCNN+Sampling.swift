#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine

/// Ancestral sampling: codes drawn one position at a time in raster order, all grids of a batch together.
///
/// Exact, and cheaper than running the whole network H·W times: the vertical stack runs once per row,
/// on the rows up to that one only (a row's links depend only on the rows above); then, for each
/// column j of the row, only the horizontal stack runs, on columns 0…j of that one row (1 × k
/// horizontal convolutions never mix rows, and mask 'B' never looks right), and the output head on
/// column j alone. For a 7×7 grid that
/// is 7 vertical passes over 1…7 rows and 49 horizontal passes over 1…7 positions, instead of 49 full
/// passes over 49 positions.
extension PixelCNN {
    /// Draws `count` code grids of `height` × `width` → count·height·width indices, row-major (N, H, W).
    ///
    /// `labels` (count of them) is required exactly when the prior is class-conditional. Each code is
    /// drawn from softmax(logits / `temperature`); the same generator state gives the same grids.
    public func sample(count: Int, height: Int, width: Int, labels: [Int32]? = nil, temperature: Float = 1,
                       generator: inout RandomGenerator) -> [Int32] {
        precondition(temperature > 0 && temperature.isFinite, "PixelCNN.sample: the temperature \(temperature) must be positive")
        var codes = [Int32](repeating: 0, count: count * height * width)
        for row in 0..<height {
            let links = rowLinks(codes, count: count, height: height, width: width, row: row, labels: labels)
            for column in 0..<width {
                let logits = positionLogits(codes, count: count, height: height, width: width, row: row, column: column,
                                            links: links, labels: labels)
                for item in 0..<count {
                    codes[(item * height + row) * width + column] =
                        Int32(PixelCNN.draw(from: logits[item], temperature: temperature, generator: &generator))
                }
            }
        }
        return codes
    }

    /// `sample`'s naive twin: the same draws, but every position runs the whole network on the whole
    /// grid (H·W full passes). Kept as the reference the shortcut is tested and benchmarked against.
    public func sampleByFullPasses(count: Int, height: Int, width: Int, labels: [Int32]? = nil, temperature: Float = 1,
                                   generator: inout RandomGenerator) -> [Int32] {
        precondition(temperature > 0 && temperature.isFinite, "PixelCNN.sample: the temperature \(temperature) must be positive")
        var codes = [Int32](repeating: 0, count: count * height * width)
        let (k, size) = (configuration.numEmbeddings, height * width)
        for position in 0..<size {
            let logits = self(codes, batch: count, height: height, width: width, labels: labels)
            for item in 0..<count {
                let line = (0..<k).map { logits[flat: (item * k + $0) * size + position] }
                codes[item * size + position] = Int32(PixelCNN.draw(from: line, temperature: temperature, generator: &generator))
            }
        }
        return codes
    }

    /// The vertical links of row `row`, (N, 2C, 1, W) per layer, from the codes of rows 0..<row (the
    /// codes of the row itself and below do not matter).
    func rowLinks(_ codes: [Int32], count: Int, height: Int, width: Int, row: Int, labels: [Int32]?) -> [Tensor] {
        let rows = row + 1
        var top: [Int32] = []
        top.reserveCapacity(count * rows * width)
        for item in 0..<count { top += codes[(item * height * width)..<(item * height * width + rows * width)] }
        let embedded = embed(top, batch: count, height: rows, width: width)
        return verticalLinks(embedded, labels: labels).map { $0.sliced(alongAxis: 2, row..<rows) }
    }

    /// The logits (K per grid) at (`row`, `column`) given `links` from `rowLinks` for that row: only the
    /// horizontal stack and the head run, on columns 0…column of the row.
    func positionLogits(_ codes: [Int32], count: Int, height: Int, width: Int, row: Int, column: Int,
                        links: [Tensor], labels: [Int32]?) -> [[Float]] {
        let columns = column + 1
        var left: [Int32] = []
        left.reserveCapacity(count * columns)
        for item in 0..<count {
            let start = (item * height + row) * width
            left += codes[start..<(start + columns)]
        }
        let embedded = embed(left, batch: count, height: 1, width: columns)
        let skips = horizontalSkips(embedded, links: links.map { $0.sliced(alongAxis: 3, 0..<columns) }, labels: labels)
        let logits = outputHead(skips.sliced(alongAxis: 3, column..<columns))  // (N, K, 1, 1): the head is per position
        let k = configuration.numEmbeddings
        return logits.withUnsafeBufferPointer { values in
            (0..<count).map { item in Array(values[(item * k)..<((item + 1) * k)]) }
        }
    }

    /// One index drawn from softmax(logits / temperature), by inverting the cumulative sum at a uniform draw.
    static func draw(from logits: [Float], temperature: Float, generator: inout RandomGenerator) -> Int {
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
}
