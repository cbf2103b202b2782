import VQEngine
import VQNN

/// The gated PixelCNN's incremental cursor: every layer's activations are computed once per position
/// and kept, so a step costs the same at every position of any grid (the row-wise passes of
/// `PixelCNN+Sampling.swift` rerun over the row and the rows above).
///
/// It rests on what each activation depends on, with h = k/2:
/// - the vertical stack at row ρ of layer l needs layer l's input at rows ρ−h…ρ (its mask drops the rows
///   below), and the link into the horizontal stack at row r is the vertical pre-activation at r − 1;
///   so when row r starts, the vertical stack runs for row r − 1 alone, on a (2h + 1)-row window of the
///   kept inputs (rows below ρ are zeros, which the mask ignores; rows above 0 are the zero padding);
/// - the horizontal stack at column c of layer l needs layer l's input at columns c−h…c, and the first
///   layer's mask drops column c itself; so a position runs every layer on one (2h + 1)-column window
///   and keeps its outputs, which never depend on the code at that position.
/// A context map is known in full from the start: its contribution to every gate, per layer, is
/// computed once for the whole grid and sliced at the row or position being computed.
/// Logits are the full network's (the test `cachedCursorMatchesTheFullNetwork` checks every position);
/// the summation order differs, so they agree to rounding, not bit for bit.
extension PixelCNN {
    struct CachedCursor: PriorCursor {
        let prior: PixelCNN
        let count: Int, height: Int, width: Int
        let labels: [Int32]?
        /// Per layer, the context's share of the vertical and the horizontal gates, (N, 2C, H, W); empty
        /// without a context map.
        let verticalContexts: [Tensor], horizontalContexts: [Tensor]
        private(set) var position = 0
        /// The codes of the current row and the one above (count × width each).
        var currentRow: [Int32], rowAbove: [Int32]
        /// Per layer, the vertical stack's input at every finished row: (N, C, 1, W) each.
        var verticalInputs: [[Tensor]]
        /// The row the links are for (−1: none yet), per layer the links, (N, 2C, 1, W), and the
        /// horizontal gates' context on that row, (N, 2C, 1, W) (empty without a context map).
        var linksRow = -1
        var links: [Tensor] = []
        var rowContexts: [Tensor] = []
        /// Per layer (and one more: the last layer's output), the horizontal stack's input at each
        /// column of the current row, (N, C, 1, 1), nil until computed.
        var horizontalInputs: [[Tensor?]]
        /// The position whose skips are computed (−1: none), and their sum (N, C, 1, 1).
        var skipsPosition = -1
        var skips: Tensor?

        init(prior: PixelCNN, count: Int, height: Int, width: Int, labels: [Int32]?, context: Tensor?) {
            (self.prior, self.count, self.height, self.width, self.labels) = (prior, count, height, width, labels)
            let features = prior.contextFeatures(context)
            verticalContexts = features.map { f in prior.layers.map { $0.verticalContext!(f) } } ?? []
            horizontalContexts = features.map { f in prior.layers.map { $0.horizontalContext!(f) } } ?? []
            currentRow = [Int32](repeating: 0, count: count * width)
            rowAbove = currentRow
            let layers = prior.layers.count
            verticalInputs = [[Tensor]](repeating: [], count: layers)
            horizontalInputs = [[Tensor?]](repeating: [Tensor?](repeating: nil, count: width), count: layers + 1)
        }

        mutating func nextLogits() -> [[Float]] {
            precondition(position < height * width, "PixelCNN cursor: every position is filled")
            computePosition()
            let logits = prior.outputHead(skips!)  // (N, K, 1, 1)
            let k = prior.configuration.numEmbeddings
            return logits.withUnsafeBufferPointer { values in
                (0..<count).map { item in Array(values[(item * k)..<((item + 1) * k)]) }
            }
        }

        mutating func append(_ next: [Int32]) {
            precondition(next.count == count && position < height * width, "PixelCNN cursor: \(next.count) codes for \(count) grids")
            computePosition()   // later columns need this one's activations, asked for or not
            let column = position % width
            for item in 0..<count { currentRow[item * width + column] = next[item] }
            horizontalInputs[0][column] = prior.embed(next, batch: count, height: 1, width: 1)
            position += 1
            if position % width == 0 {
                rowAbove = currentRow
                for layer in horizontalInputs.indices { horizontalInputs[layer] = [Tensor?](repeating: nil, count: width) }
            }
        }

        /// The links of the current row and the skips of the current position, unless already there.
        mutating func computePosition() {
            let (row, column) = (position / width, position % width)
            if linksRow != row { startRow(row) }
            guard skipsPosition != position else { return }
            let h = prior.configuration.kernelSize / 2
            var sum: Tensor?
            for (index, layer) in prior.layers.enumerated() {
                let window = columnWindow(horizontalInputs[index], column: column, reach: h)
                let link = links[index].sliced(alongAxis: 3, column..<(column + 1))
                var preActivation = GatedPixelCNNLayer.conditioned(
                    window.conv2d(weight: layer.horizontal.weight, bias: layer.horizontal.bias, mask: layer.horizontal.mask) + link,
                    layer.horizontalCondition, labels)
                if !rowContexts.isEmpty {
                    preActivation = preActivation + rowContexts[index].sliced(alongAxis: 3, column..<(column + 1))
                }
                let gated = GatedPixelCNNLayer.gate(preActivation)
                let output = layer.horizontalOutput(gated)
                horizontalInputs[index + 1][column] = layer.isFirst ? output : output + horizontalInputs[index][column]!
                let skip = layer.skip(gated)
                sum = sum.map { $0 + skip } ?? skip
            }
            (skips, skipsPosition) = (sum, position)
        }

        /// Runs the vertical stack for row `row` − 1 (its codes are all known) and makes row `row`'s links.
        mutating func startRow(_ row: Int) {
            let h = prior.configuration.kernelSize / 2, channels = 2 * prior.configuration.channels
            if row == 0 {
                let zeros = Tensor(zeros: [count, channels, 1, width])
                links = prior.layers.map { $0.verticalToHorizontal(zeros) }
            } else {
                var input = prior.embed(rowAbove, batch: count, height: 1, width: width)
                links = []
                for (index, layer) in prior.layers.enumerated() {
                    verticalInputs[index].append(input)
                    let rows = verticalInputs[index]
                    let above = (1...h).map { rows.count - 1 - $0 }.reversed().map { $0 >= 0 ? rows[$0] : zeroRow() }
                    let window = Tensor.concatenated(above + [rows.last!] + (0..<h).map { _ in zeroRow() }, alongAxis: 2)
                    var preActivation = GatedPixelCNNLayer.conditioned(
                        window.conv2d(weight: layer.vertical.weight, bias: layer.vertical.bias, padding: HeightWidth(0, h),
                                      mask: layer.vertical.mask),
                        layer.verticalCondition, labels)
                    if !verticalContexts.isEmpty {
                        preActivation = preActivation + verticalContexts[index].sliced(alongAxis: 2, (row - 1)..<row)
                    }
                    links.append(layer.verticalToHorizontal(preActivation))
                    input = GatedPixelCNNLayer.gate(preActivation)
                }
                if row > h { for index in verticalInputs.indices { verticalInputs[index].removeFirst() } }  // only h rows are looked back at
            }
            rowContexts = horizontalContexts.map { $0.sliced(alongAxis: 2, row..<(row + 1)) }
            linksRow = row
        }

        /// (N, C, 1, W) zeros: a row outside the grid.
        func zeroRow() -> Tensor { Tensor(zeros: [count, prior.configuration.channels, 1, width]) }

        /// Columns `column` − reach … `column` + reach of one layer's inputs as (N, C, 1, 2·reach + 1): zeros
        /// outside the grid and right of `column` (masked out), and at `column` itself before it is known.
        func columnWindow(_ inputs: [Tensor?], column: Int, reach: Int) -> Tensor {
            let zero = Tensor(zeros: [count, prior.configuration.channels, 1, 1])
            let parts = ((column - reach)...(column + reach)).map { index in
                index >= 0 && index <= column && index < width ? inputs[index] ?? zero : zero
            }
            return Tensor.concatenated(parts, alongAxis: 3)
        }
    }
}
