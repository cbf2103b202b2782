/// Row lookup in a table: embedding lookup, and the codebook lookup of the VQ-VAE quantizer
/// (PyTorch's `F.embedding(indices, table)`, or `table.index_select(0, indices)` reshaped).
extension Tensor {
    /// The rows of `self` (a table (K, D)) at `indices`, in order; an index may repeat.
    ///
    /// (K, D) gathered at `indices` → `indexShape + [D]`, where `indexShape` (default: `[indices.count]`)
    /// must hold `indices.count` elements: e.g. indices of a latent grid (N, H, W) give (N, H, W, D).
    /// Every index must be in 0..<K. The gradient of the table adds up the gradient rows of all the
    /// places an index was used; indices get no gradient.
    public func gathered(rows indices: [Int32], indexShape: [Int]? = nil) -> Tensor {
        let outputShape = checkShapes { try Tensor.gatherShapes(shape, indices: indices, indexShape: indexShape) }
        let width = shape[1]
        var output = Tensor.uninitialized(outputShape)
        output.withUnsafeMutableBufferPointer { destination in
            withUnsafeBufferPointer { table in
                indices.withUnsafeBufferPointer { indices in
                    Tensor.copyRows(from: table.baseAddress!, at: indices, width: width, to: destination.baseAddress!)
                }
            }
        }
        return Tensor.recorded(output, inputs: [self]) { [shape] gradient in
            [Tensor.scatterAddingRows(of: gradient, at: indices, tableShape: shape)]
        }
    }

    /// `gathered(rows:indexShape:)` with `Int` indices.
    public func gathered(rows indices: [Int], indexShape: [Int]? = nil) -> Tensor {
        _ = checkShapes { try Tensor.gatherShapes(shape, indices: indices, indexShape: indexShape) }
        return gathered(rows: indices.map { Int32($0) }, indexShape: indexShape)
    }

    /// Validates a lookup of `indices` (arranged as `indexShape`, default `[indices.count]`) in a table
    /// of `tableShape` and returns the output shape `indexShape + [D]`; throws a `ShapeError` if the
    /// table is not (K, D), `indexShape` does not hold `indices.count` elements, or an index is not in
    /// 0..<K (the message names the first such index, its position and K).
    public static func gatherShapes<Index: BinaryInteger>(_ tableShape: [Int], indices: [Index], indexShape: [Int]? = nil)
        throws(ShapeError) -> [Int] {
        let arrangement = indexShape ?? [indices.count]
        guard tableShape.count == 2 else {
            throw ShapeError("gather", [tableShape, arrangement], "the table must have rank 2 (K, D), not \(tableShape.count)")
        }
        guard arrangement.allSatisfy({ $0 >= 0 }), arrangement.reduce(1, *) == indices.count else {
            throw ShapeError("gather", [tableShape, arrangement], "the index shape does not hold the \(indices.count) indices given")
        }
        let rowCount = tableShape[0]
        if let position = indices.firstIndex(where: { $0 < 0 || $0 >= rowCount }) {
            throw ShapeError("gather", [tableShape, arrangement],
                             "index \(indices[position]) at position \(position) is out of range for a table of K = \(rowCount) rows")
        }
        return arrangement + [tableShape[1]]
    }

    /// Copies row `indices[i]` of `table` (rows of `width`) to row i of `output`, spread over the cores.
    private static func copyRows(from table: UnsafePointer<Float>, at indices: UnsafeBufferPointer<Int32>, width: Int,
                                 to output: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(indices.count, minimumPerChunk: max(1, 65_536 / max(width, 1))) { positions in
            for position in positions {
                (output + position * width).update(from: table + Int(indices[position]) * width, count: width)
            }
        }
    }

    /// The gradient of a gather: a zero table of `tableShape` with row i of `gradient` (viewed as
    /// (count, D)) added to row `indices[i]`, for every i in order. Never recorded.
    static func scatterAddingRows(of gradient: Tensor, at indices: [Int32], tableShape: [Int]) -> Tensor {
        let width = tableShape[1]
        var table = Tensor(zeros: tableShape)
        table.withUnsafeMutableBufferPointer { table in
            gradient.withUnsafeBufferPointer { gradient in
                for (position, index) in indices.enumerated() {
                    let source = gradient.baseAddress! + position * width, destination = table.baseAddress! + Int(index) * width
                    for column in 0..<width { destination[column] += source[column] }
                }
            }
        }
        return table
    }
}
