/// Axis permutation of a row-major array into a new contiguous array (the kernel behind
/// `Tensor.permuted`).
///
/// `copy` is the fast path: it first merges axes that stay neighbours (and drops axes of size 1),
/// which turns the common layout changes — NCHW ↔ NHWC, a matrix transpose, swapping the last two
/// axes — into a batched 2-D transpose, done in cache-sized tiles on all cores. Other permutations
/// use a strided loop over the merged axes. `copyNaive` is its reference twin: one index
/// computation per element, kept for the tests.
public enum Permute {
    /// Writes `input` (row-major, `shape`) permuted by `axes` into `output`, row-major and contiguous:
    /// output axis `a` is input axis `axes[a]`, so the output's shape is `axes.map { shape[$0] }`.
    ///
    /// `axes` must be a permutation of `0..<shape.count`; `input` and `output` must not overlap.
    public static func copy(from input: UnsafePointer<Float>, shape: [Int], axes: [Int],
                            to output: UnsafeMutablePointer<Float>) {
        precondition(isPermutation(axes, rank: shape.count), "Permute.copy: \(axes) is not a permutation of 0..<\(shape.count)")
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let (mergedShape, mergedAxes) = merged(shape: shape, axes: axes)
        switch mergedAxes {
        case [], [0]:
            output.update(from: input, count: count)
        case [1, 0]:
            transposeBatched(input, batch: 1, rows: mergedShape[0], columns: mergedShape[1], output)
        case [0, 2, 1]:
            transposeBatched(input, batch: mergedShape[0], rows: mergedShape[1], columns: mergedShape[2], output)
        default:
            copyStrided(input, shape: mergedShape, axes: mergedAxes, output)
        }
    }

    /// The reference twin of `copy`: for every output element, its multi-index, then the input
    /// element at the permuted multi-index.
    public static func copyNaive(from input: UnsafePointer<Float>, shape: [Int], axes: [Int],
                                 to output: UnsafeMutablePointer<Float>) {
        precondition(isPermutation(axes, rank: shape.count), "Permute.copyNaive: \(axes) is not a permutation of 0..<\(shape.count)")
        let outputShape = axes.map { shape[$0] }
        let inputStrides = rowMajorStrides(of: shape)
        let count = shape.reduce(1, *)
        for flat in 0..<count {
            var remainder = flat
            var inputOffset = 0
            for outputAxis in (0..<outputShape.count).reversed() {
                let index = remainder % outputShape[outputAxis]
                remainder /= outputShape[outputAxis]
                inputOffset += index * inputStrides[axes[outputAxis]]
            }
            output[flat] = input[inputOffset]
        }
    }

    /// Whether `axes` holds each of 0..<rank exactly once.
    static func isPermutation(_ axes: [Int], rank: Int) -> Bool {
        axes.count == rank && axes.sorted() == Array(0..<rank)
    }

    /// The same permutation on fewer axes: axes of size 1 are dropped, and input axes that stay
    /// next to each other, in the same order, in the output are merged into one. For instance NCHW →
    /// NHWC (`axes` [0, 2, 3, 1]) becomes (N, C, H·W) with axes [0, 2, 1].
    static func merged(shape: [Int], axes: [Int]) -> (shape: [Int], axes: [Int]) {
        // Output order of the input axes that remain, as runs of consecutive input axes.
        let kept = axes.filter { shape[$0] != 1 }
        var runs: [[Int]] = []
        for axis in kept {
            if let last = runs.last?.last, last + 1 == axis { runs[runs.count - 1].append(axis) } else { runs.append([axis]) }
        }
        // Merged input axes are the runs in input order; each output axis names one of them.
        let inputOrder = runs.indices.sorted { runs[$0][0] < runs[$1][0] }
        let mergedShape = inputOrder.map { runs[$0].reduce(1) { $0 * shape[$1] } }
        var mergedAxes = [Int](repeating: 0, count: runs.count)
        for (inputPosition, run) in inputOrder.enumerated() { mergedAxes[run] = inputPosition }
        return (mergedShape, mergedAxes)
    }

    /// The side of the square tiles the transpose moves at a time (two 4 KiB tiles stay in L1).
    static let tileSize = 32

    /// For each of `batch` matrices (rows × columns, row-major, one after the other), writes its
    /// transpose (columns × rows) to the same place in `output`. Tiles are spread over the cores.
    static func transposeBatched(_ input: UnsafePointer<Float>, batch: Int, rows: Int, columns: Int,
                                 _ output: UnsafeMutablePointer<Float>) {
        let rowTiles = (rows + tileSize - 1) / tileSize, columnTiles = (columns + tileSize - 1) / tileSize
        let tilesPerMatrix = rowTiles * columnTiles
        let minimumTiles = max(1, 65_536 / (tileSize * tileSize))
        Parallel.forRanges(batch * tilesPerMatrix, minimumPerChunk: minimumTiles) { tiles in
            for tile in tiles {
                let matrix = tile / tilesPerMatrix, withinMatrix = tile % tilesPerMatrix
                let firstRow = (withinMatrix / columnTiles) * tileSize, firstColumn = (withinMatrix % columnTiles) * tileSize
                let offset = matrix * rows * columns
                transposeTile(input + offset, rows: rows, columns: columns, output + offset,
                              rowRange: firstRow..<min(rows, firstRow + tileSize),
                              columnRange: firstColumn..<min(columns, firstColumn + tileSize))
            }
        }
    }

    /// One tile of a transpose: output[j, i] = input[i, j] for i in `rowRange`, j in `columnRange`.
    @inline(__always)
    private static func transposeTile(_ input: UnsafePointer<Float>, rows: Int, columns: Int,
                                      _ output: UnsafeMutablePointer<Float>, rowRange: Range<Int>, columnRange: Range<Int>) {
        for row in rowRange {
            let source = input + row * columns
            for column in columnRange { output[column * rows + row] = source[column] }
        }
    }

    /// The general case: walks the output in order, with the input offset kept up to date by an
    /// odometer over all output axes but the last, and a strided inner loop over the last. Ranges of
    /// output rows are spread over the cores.
    private static func copyStrided(_ input: UnsafePointer<Float>, shape: [Int], axes: [Int],
                                    _ output: UnsafeMutablePointer<Float>) {
        let inputStrides = rowMajorStrides(of: shape)
        let outputShape = axes.map { shape[$0] }
        let strides = axes.map { inputStrides[$0] }  // input stride of each output axis
        let last = outputShape.count - 1
        let innerCount = outputShape[last], innerStride = strides[last]
        let outerCount = outputShape.reduce(1, *) / innerCount
        Parallel.forRanges(outerCount, minimumPerChunk: max(1, 65_536 / innerCount)) { outerRows in
            // The odometer's starting position: the multi-index of the first output row.
            var index = [Int](repeating: 0, count: last)
            var remainder = outerRows.lowerBound, inputOffset = 0
            for axis in stride(from: last - 1, through: 0, by: -1) {
                index[axis] = remainder % outputShape[axis]
                remainder /= outputShape[axis]
                inputOffset += index[axis] * strides[axis]
            }
            for outer in outerRows {
                let destination = output + outer * innerCount
                for inner in 0..<innerCount { destination[inner] = input[inputOffset + inner * innerStride] }
                var axis = last - 1
                while axis >= 0 {
                    index[axis] += 1
                    inputOffset += strides[axis]
                    if index[axis] < outputShape[axis] { break }
                    inputOffset -= outputShape[axis] * strides[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}

/// The distance, in elements, between neighbours along each axis of a row-major array of `shape`.
func rowMajorStrides(of shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
    return strides
}
