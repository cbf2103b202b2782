/// Sums of `Float` buffers that stay accurate over millions of elements, and its naive twins.
///
/// Accuracy: a plain `Float` running sum of n values loses about n·ε relative to the true sum. Here
/// each block of 4096 values is summed in 32 SIMD lanes (128 values per lane, so about 128·ε at
/// worst per block), and the block totals are added in `Double`. Summing along axes accumulates whole
/// rows in `Float` for 64 rows at a time, then adds that block into a `Double` row.
public enum Reduction {
    /// Values summed per block before the block total is added in `Double`.
    static let blockLength = 4096
    /// Rows accumulated in `Float` before they are added in `Double` (sums along outer axes).
    static let rowsPerBlock = 64

    /// Σ values[0..<count], split across the cores when `count` reaches `Elementwise.parallelThreshold`.
    public static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        Float(sumInDouble(values, count: count, Identity.self))
    }

    /// Σ values[i]² for i in 0..<count, accumulated like `sum`, returned before rounding to `Float`.
    public static func sumOfSquares(_ values: UnsafePointer<Float>, count: Int) -> Double {
        sumInDouble(values, count: count, Square.self)
    }

    /// The reference twin of `sum`: one running `Double` total.
    public static func sumNaive(_ values: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(values[i]) }
        return total
    }

    /// Σ term(values[i]) for i in 0..<count before the final rounding to `Float`, on all cores for
    /// large counts.
    static func sumInDouble<Term: SummedTerm>(_ values: UnsafePointer<Float>, count: Int, _ term: Term.Type) -> Double {
        guard count >= Elementwise.parallelThreshold else { return serialSum(values, count: count, term) }
        let chunks = Parallel.workerCount
        let perChunk = (count + chunks - 1) / chunks
        var partials = [Double](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { partial in
            Parallel.forEach(chunks) { chunk in
                let start = Swift.min(count, chunk * perChunk), end = Swift.min(count, start + perChunk)
                partial[chunk] = serialSum(values + start, count: end - start, term)
            }
        }
        return partials.reduce(0, +)
    }

    /// Σ term(values[i]) for i in 0..<count on the calling thread: SIMD block sums, block totals in `Double`.
    static func serialSum<Term: SummedTerm>(_ values: UnsafePointer<Float>, count: Int, _ term: Term.Type) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let length = Swift.min(blockLength, count - start)
            total += Double(blockSum(values + start, count: length, term))
            start += length
        }
        return total
    }

    /// Σ term(values[i]) for i in 0..<count in two 16-lane accumulators (32 independent partial sums).
    @inline(__always)
    static func blockSum<Term: SummedTerm>(_ values: UnsafePointer<Float>, count: Int, _ term: Term.Type) -> Float {
        let raw = UnsafeRawPointer(values)
        let width = MemoryLayout<Float>.stride
        var first = SIMD16<Float>(), second = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            first += Term.apply(raw.loadUnaligned(fromByteOffset: i * width, as: SIMD16<Float>.self))
            second += Term.apply(raw.loadUnaligned(fromByteOffset: (i + 16) * width, as: SIMD16<Float>.self))
            i += 32
        }
        var total = (first + second).sum()
        while i < count {
            total += Term.apply(values[i])
            i += 1
        }
        return total
    }

    /// The largest of values[0..<count] (−∞ when empty; NaN is skipped), in 8 lanes. Written with
    /// `replace(with:where:)` because `pointwiseMax` on SIMD types compiles to a slow per-lane loop.
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let loaded = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
            lanes.replace(with: loaded, where: loaded .> lanes)
            i += 8
        }
        var result = lanes.max()
        while i < count {
            if values[i] > result { result = values[i] }
            i += 1
        }
        return result
    }
}

/// What a sum adds up for each value, for SIMD lanes and single values alike.
protocol SummedTerm {
    static func apply(_ values: SIMD16<Float>) -> SIMD16<Float>
    static func apply(_ value: Float) -> Float
}

extension Reduction {
    enum Identity: SummedTerm {
        @inline(__always) static func apply(_ values: SIMD16<Float>) -> SIMD16<Float> { values }
        @inline(__always) static func apply(_ value: Float) -> Float { value }
    }
    enum Square: SummedTerm {
        @inline(__always) static func apply(_ values: SIMD16<Float>) -> SIMD16<Float> { values * values }
        @inline(__always) static func apply(_ value: Float) -> Float { value * value }
    }
}

// MARK: - Sums along axes

extension Reduction {
    /// Sums `input` (row-major, of `shape`) over `axes` into `output`, which receives the kept
    /// dimensions in order (row-major). `axes` must be distinct and in 0..<shape.count; the
    /// output holds the product of the kept sizes (1 when every axis is summed).
    public static func sum(_ input: UnsafePointer<Float>, shape: [Int], alongAxes axes: [Int],
                           into output: UnsafeMutablePointer<Float>) {
        let isSummed = shape.indices.map { axes.contains($0) }
        let count = shape.reduce(1, *)
        let outputCount = shape.indices.filter { !isSummed[$0] }.map { shape[$0] }.reduce(1, *)
        if count == 0 {
            output.update(repeating: 0, count: outputCount)
            return
        }
        let groups = AxisGroups(shape: shape, isSummed: isSummed)
        guard groups.isSummed.contains(true) else {
            output.update(from: input, count: count)
            return
        }
        guard groups.isSummed.last! else {
            sumColumns(input, groups, into: output)
            return
        }
        // The innermost group is summed: sum each contiguous row, then the rows along outer axes.
        let rowLength = groups.sizes.last!, rows = count / rowLength
        let outer = groups.droppingInnermost()
        if !outer.isSummed.contains(true) {
            sumRows(input, rows: rows, rowLength: rowLength, into: output)
            return
        }
        let rowSums = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { rowSums.deallocate() }
        sumRows(input, rows: rows, rowLength: rowLength, into: rowSums)
        sumColumns(rowSums, outer, into: output)
    }

    /// The reference twin of `sum(_:shape:alongAxes:into:)`: each element's output position by
    /// index arithmetic, accumulated in `Double`.
    public static func sumNaive(_ input: UnsafePointer<Float>, shape: [Int], alongAxes axes: [Int],
                                into output: UnsafeMutablePointer<Float>) {
        let kept = shape.indices.filter { !axes.contains($0) }
        var totals = [Double](repeating: 0, count: kept.map { shape[$0] }.reduce(1, *))
        for flat in 0..<shape.reduce(1, *) {
            var remainder = flat
            var index = [Int](repeating: 0, count: shape.count)
            for dimension in shape.indices.reversed() {
                index[dimension] = remainder % shape[dimension]
                remainder /= shape[dimension]
            }
            let position = kept.reduce(0) { $0 * shape[$1] + index[$1] }
            totals[position] += Double(input[flat])
        }
        for i in totals.indices { output[i] = Float(totals[i]) }
    }

    /// output[r] = Σ input[r·rowLength ..< (r+1)·rowLength] for each of `rows` rows.
    private static func sumRows(_ input: UnsafePointer<Float>, rows: Int, rowLength: Int,
                                into output: UnsafeMutablePointer<Float>) {
        if rows == 1 {
            output[0] = sum(input, count: rowLength)
            return
        }
        Elementwise.forBlocks(rows, elementsPerBlock: rowLength) { range in
            for row in range { output[row] = Float(serialSum(input + row * rowLength, count: rowLength, Identity.self)) }
        }
    }

    /// Sums `input` over the summed groups when the innermost group is kept: each output row
    /// (`width` = innermost size) is the sum of the input rows that differ only along summed groups.
    private static func sumColumns(_ input: UnsafePointer<Float>, _ groups: AxisGroups,
                                   into output: UnsafeMutablePointer<Float>) {
        let width = groups.sizes.last!
        let strides = groups.strides
        let outer = groups.sizes.indices.dropLast()
        let keptOuter = outer.filter { !groups.isSummed[$0] }, summed = outer.filter { groups.isSummed[$0] }
        let outputRows = keptOuter.map { groups.sizes[$0] }.reduce(1, *)
        let summedRows = summed.map { groups.sizes[$0] }.reduce(1, *)
        let rowSource = StridedOdometer(sizes: summed.map { groups.sizes[$0] }, strides: [summed.map { strides[$0] }], start: 0)

        func base(ofOutputRow row: Int) -> Int {
            var remainder = row, offset = 0
            for group in keptOuter.reversed() {
                offset += (remainder % groups.sizes[group]) * strides[group]
                remainder /= groups.sizes[group]
            }
            return offset
        }
        func accumulate(row: Int, columns: Range<Int>) {
            accumulateRows(input + base(ofOutputRow: row), rows: rowSource, count: summedRows, columns: columns,
                           into: output + row * width)
        }
        let total = outputRows * summedRows * width
        if total < Elementwise.parallelThreshold {
            for row in 0..<outputRows { accumulate(row: row, columns: 0..<width) }
        } else if outputRows >= Parallel.workerCount {
            Parallel.forRanges(outputRows) { rows in
                for row in rows { accumulate(row: row, columns: 0..<width) }
            }
        } else {
            for row in 0..<outputRows {
                Parallel.forRanges(width, granularity: 16) { columns in accumulate(row: row, columns: columns) }
            }
        }
    }

    /// output[columns] = Σ over `count` rows of row[columns], where the rows start at `input` plus
    /// the offsets `rows` steps through. Rows are added in `Float` in blocks of `rowsPerBlock`, and
    /// the blocks in `Double`.
    private static func accumulateRows(_ input: UnsafePointer<Float>, rows: StridedOdometer, count: Int,
                                       columns: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        let width = columns.count, first = columns.lowerBound
        let block = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: width)
        defer { block.deallocate(); totals.deallocate() }
        block.initialize(repeating: 0, count: width)
        totals.initialize(repeating: 0, count: width)
        var rows = rows
        var rowsInBlock = 0
        for _ in 0..<count {
            let row = input + rows.offsets[0] + first
            for j in 0..<width { block[j] += row[j] }
            rows.advance()
            rowsInBlock += 1
            if rowsInBlock == rowsPerBlock {
                for j in 0..<width { totals[j] += Double(block[j]); block[j] = 0 }
                rowsInBlock = 0
            }
        }
        for j in 0..<width { output[first + j] = Float(totals[j] + Double(block[j])) }
    }
}

/// A shape with its dimensions of size 1 dropped and neighbouring dimensions merged when both are
/// summed or both kept: summing (N, C, H, W) over axes 0, 2, 3 becomes groups (N, C, H·W) with
/// (summed, kept, summed).
struct AxisGroups {
    private(set) var sizes: [Int] = []
    private(set) var isSummed: [Bool] = []

    init(shape: [Int], isSummed summed: [Bool]) {
        for dimension in shape.indices where shape[dimension] != 1 {
            if let last = isSummed.last, last == summed[dimension] {
                sizes[sizes.count - 1] *= shape[dimension]
            } else {
                sizes.append(shape[dimension])
                isSummed.append(summed[dimension])
            }
        }
    }

    private init(sizes: [Int], isSummed: [Bool]) {
        self.sizes = sizes
        self.isSummed = isSummed
    }

    /// The groups without the innermost one.
    func droppingInnermost() -> AxisGroups { AxisGroups(sizes: Array(sizes.dropLast()), isSummed: Array(isSummed.dropLast())) }

    /// Row-major element strides of the groups.
    var strides: [Int] {
        var result = [Int](repeating: 1, count: sizes.count)
        for group in sizes.indices.dropLast().reversed() { result[group] = result[group + 1] * sizes[group + 1] }
        return result
    }
}
