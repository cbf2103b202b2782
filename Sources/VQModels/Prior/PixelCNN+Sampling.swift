import VQEngine

/// The gated PixelCNN as a `CodePrior`. Its cursor is `CachedCursor` (PixelCNN+CachedCursor.swift).
///
/// Below, the row-wise passes the cursor was first built on, kept as its reference (tested against the
/// full network at every position; BENCHMARKS.md compares the two): at the start of each row the
/// vertical stack runs once, on the rows up to that one only (a row's links depend only on the rows
/// above); then, for each column j of the row, only the horizontal stack runs, on columns up to j of
/// that one row (1 × k horizontal convolutions never mix rows, and mask 'B' never looks right), and the
/// output head on column j alone. Passes start no further back than the network can see (`reach`).
/// They take no context map.
extension PixelCNN: CodePrior {
    public var codebookSize: Int { configuration.numEmbeddings }
    public var numClasses: Int { configuration.numClasses }
    public var contextChannels: Int { configuration.contextChannels }

    public func logits(for batch: CodeBatch) -> Tensor {
        self(batch.codes, batch: batch.count, height: batch.height, width: batch.width, labels: batch.labels, context: batch.context)
    }

    public func makeCursor(count: Int, height: Int, width: Int, labels: [Int32]?, context: Tensor?) -> any PriorCursor {
        precondition(!configuration.isClassConditional || labels?.count == count,
                     "PixelCNN.makeCursor: a class-conditional prior needs \(count) labels")
        precondition(context.map { $0.shape == [count, contextChannels, height, width] } ?? (contextChannels == 0),
                     "PixelCNN.makeCursor: the context map must be (\(count), \(contextChannels), \(height), \(width))")
        return CachedCursor(prior: self, count: count, height: height, width: width, labels: labels, context: context)
    }

    /// How far a layer stack reaches back: L·(k/2) rows up through the vertical stack (plus the one-row
    /// shift of its links) and L·(k/2) columns left through the horizontal one. The cursor's passes start
    /// no further back than that, so their cost does not grow with the row or column; values at the
    /// start of a shortened pass are wrong, but they never reach the position asked for.
    var reach: Int { configuration.layers * (configuration.kernelSize / 2) }

    /// The vertical links of row `row`, (N, 2C, 1, W) per layer, from the codes of rows 0..<row (the
    /// codes of the row itself and below do not matter): the vertical stack runs on rows
    /// row − 1 − `reach` … row only.
    func rowLinks(_ codes: [Int32], count: Int, height: Int, width: Int, row: Int, labels: [Int32]?) -> [Tensor] {
        let first = max(0, row - 1 - reach), rows = row + 1 - first
        var top: [Int32] = []
        top.reserveCapacity(count * rows * width)
        for item in 0..<count {
            let start = (item * height + first) * width
            top += codes[start..<(start + rows * width)]
        }
        let embedded = embed(top, batch: count, height: rows, width: width)
        return verticalLinks(embedded, labels: labels).map { $0.sliced(alongAxis: 2, (rows - 1)..<rows) }
    }

    /// The logits (K per grid) at (`row`, `column`) given `links` from `rowLinks` for that row: only the
    /// horizontal stack and the head run, on columns column − `reach` … column of the row.
    func positionLogits(_ codes: [Int32], count: Int, height: Int, width: Int, row: Int, column: Int,
                        links: [Tensor], labels: [Int32]?) -> [[Float]] {
        let first = max(0, column - reach), columns = column + 1 - first
        var left: [Int32] = []
        left.reserveCapacity(count * columns)
        for item in 0..<count {
            let start = (item * height + row) * width + first
            left += codes[start..<(start + columns)]
        }
        let embedded = embed(left, batch: count, height: 1, width: columns)
        let skips = horizontalSkips(embedded, links: links.map { $0.sliced(alongAxis: 3, first..<(column + 1)) }, labels: labels)
        let logits = outputHead(skips.sliced(alongAxis: 3, (columns - 1)..<columns))  // (N, K, 1, 1): the head is per position
        let k = configuration.numEmbeddings
        return logits.withUnsafeBufferPointer { values in
            (0..<count).map { item in Array(values[(item * k)..<((item + 1) * k)]) }
        }
    }
}
