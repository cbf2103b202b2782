/// Nearest-row search by squared Euclidean distance: for each query row, the closest row of a
/// codebook (the core of the VQ-VAE quantizer; the kernel behind `Tensor.nearestRows(in:)`).
///
/// `search` is the fast path. It expands ‖x − e‖² = ‖x‖² + ‖e‖² − 2 x·e and gets the cross terms of a
/// block of queries against the whole codebook from one `Gemm.multiply`, so the N × K distance matrix
/// exists one block of rows at a time; blocks are spread over the cores. Per query row a vectorised
/// scan finds the smallest ‖e‖² − 2 x·e (‖x‖² is the same for every code). Queries and codes are
/// first shifted by the codebook's mean, which leaves every distance unchanged but keeps the norms
/// small when the codes sit far from the origin.
///
/// The expansion is still imprecise in `Float` when ‖x‖² + ‖e‖² (after the shift) is much larger than
/// the distances — values far apart, codes close together, a query equal to a code: it can misorder
/// codes whose distances differ by less than about (D + 8)·ε·(‖x‖² + ‖e‖²). So every code within twice
/// that bound of the scan's minimum is re-scored exactly as Σ (x − e)² on the original values,
/// accumulated in `Double`, and the lowest exact distance wins (ties to the lowest index, like
/// `torch.argmin`). Usually one code or a few are within the bound; when many are (badly conditioned
/// data) the cost degrades gracefully towards the naive search. The returned distance is always that
/// exact Σ (x − e)² of the winner, rounded to `Float`, so it is 0 for a query equal to a code and
/// never negative.
///
/// `searchNaive` is the reference twin: every code, exact Σ (x − e)² in `Double`, strict `<` (lowest
/// index on ties). Both use the same exact distance, so on finite inputs they return identical
/// indices and distances. Rows with NaN or infinite values get some index in 0..<K.
public enum NearestRowSearch {
    /// The most query rows scored against the codebook at once (fewer when the codebook is large,
    /// so a block's scores stay within `blockElementBudget` floats).
    public static let maximumRowsPerBlock = 256
    static let blockElementBudget = 1 << 17

    /// For each of the `queryCount` rows of `queries` (row-major, `dimension` wide), writes the index
    /// of the nearest of the `codeCount` rows of `codebook` to `indices` and its squared distance to
    /// `distances`. `codeCount` must be at least 1.
    public static func search(queries: UnsafePointer<Float>, queryCount: Int, codebook: UnsafePointer<Float>, codeCount: Int,
                              dimension: Int, indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>) {
        precondition(codeCount >= 1, "NearestRowSearch.search: the codebook has no rows")
        guard queryCount > 0 else { return }
        guard dimension > 0 else {  // every code is at distance 0
            indices.update(repeating: 0, count: queryCount)
            distances.update(repeating: 0, count: queryCount)
            return
        }
        let center = columnMeans(codebook, rowCount: codeCount, dimension: dimension)
        let centeredCodes = centered(codebook, rowCount: codeCount, by: center)
        let codeNorms = squaredNorms(centeredCodes, rowCount: codeCount, dimension: dimension)
        let problem = Problem(queries: queries, codebook: codebook, codeCount: codeCount, dimension: dimension,
                              center: center, largestCodeNorm: codeNorms.max()!)
        // Blocks as large as allowed, their count rounded up to a multiple of the cores so that each
        // core takes as many (1568 queries: 8 blocks of 196, not 7 of 256 with one core taking 4).
        let largestBlock = max(1, min(maximumRowsPerBlock, blockElementBudget / codeCount))
        let fewestBlocks = (queryCount + largestBlock - 1) / largestBlock
        let workers = max(1, Parallel.workerCount)
        let evenBlocks = fewestBlocks > 1 ? (fewestBlocks + workers - 1) / workers * workers : 1
        let rowsPerBlock = (queryCount + evenBlocks - 1) / evenBlocks
        let blockCount = (queryCount + rowsPerBlock - 1) / rowsPerBlock
        centeredCodes.withUnsafeBufferPointer { centeredCodes in
            codeNorms.withUnsafeBufferPointer { codeNorms in
                // One block runs inline and leaves the cores to Gemm; several share the cores between them.
                Parallel.forRanges(blockCount) { blocks in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerBlock * codeCount)
                    let blockQueries = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerBlock * dimension)
                    defer { scores.deallocate(); blockQueries.deallocate() }
                    for block in blocks {
                        let rows = block * rowsPerBlock..<min(queryCount, (block + 1) * rowsPerBlock)
                        problem.searchBlock(rows, centeredCodes: centeredCodes.baseAddress!, codeNorms: codeNorms,
                                            blockQueries: blockQueries, scores: scores, indices: indices, distances: distances)
                    }
                }
            }
        }
    }

    /// What every block of a search shares.
    struct Problem {
        let queries: UnsafePointer<Float>, codebook: UnsafePointer<Float>
        let codeCount: Int, dimension: Int
        /// The shift applied to queries and codes before the expansion (the codebook's mean row).
        let center: [Float]
        /// The largest ‖e − center‖².
        let largestCodeNorm: Float

        /// Searches query `rows`: shifts them into `blockQueries`, scores them against every code with
        /// one matrix product into `scores` (rows.count × codeCount), then picks each row's nearest code.
        func searchBlock(_ rows: Range<Int>, centeredCodes: UnsafePointer<Float>, codeNorms: UnsafeBufferPointer<Float>,
                         blockQueries: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                         indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>) {
            for (position, row) in rows.enumerated() {
                for element in 0..<dimension {
                    blockQueries[position * dimension + element] = queries[row * dimension + element] - center[element]
                }
            }
            // scores = X̃_block · Ẽᵀ
            Gemm.multiply(transposeB: true, m: rows.count, n: codeCount, k: dimension, a: blockQueries, lda: dimension,
                          b: centeredCodes, ldb: dimension, c: scores, ldc: codeCount)
            for (position, row) in rows.enumerated() {
                let (index, distance) = nearestCode(
                    query: queries + row * dimension, centeredQuery: blockQueries + position * dimension,
                    scores: scores + position * codeCount, codeNorms: codeNorms)
                indices[row] = index
                distances[row] = distance
            }
        }

        /// The nearest code to one query, given `scores[j]` = x̃·ẽ_j: turns the scores in place into
        /// ‖ẽ_j‖² − 2 x̃·ẽ_j, finds their minimum, then re-scores exactly every code within the
        /// expansion's error bound of it (see `NearestRowSearch`).
        func nearestCode(query: UnsafePointer<Float>, centeredQuery: UnsafePointer<Float>,
                         scores: UnsafeMutablePointer<Float>, codeNorms: UnsafeBufferPointer<Float>) -> (Int32, Float) {
            let (scanIndex, scanMinimum) = expandedScoresMinimum(scores, codeNorms: codeNorms)
            var queryNorm: Float = 0
            for element in 0..<dimension { queryNorm += centeredQuery[element] * centeredQuery[element] }
            // Each score is within about (D + 8)·ε/2·(‖x̃‖² + ‖ẽ‖²) of its exact value; leave room for two such errors, twice.
            let margin = Float(2 * (dimension + 8)) * Float.ulpOfOne * (queryNorm + largestCodeNorm)
            let threshold = scanMinimum + margin
            var bestIndex = scanIndex
            var bestDistance = exactSquaredDistance(query, codebook + scanIndex * dimension, dimension: dimension)
            Self.forEachCode(scores, count: codeCount, atMost: threshold) { code in
                guard code != scanIndex else { return }
                let distance = exactSquaredDistance(query, codebook + code * dimension, dimension: dimension)
                if distance < bestDistance || (distance == bestDistance && code < bestIndex) { (bestIndex, bestDistance) = (code, distance) }
            }
            return (Int32(bestIndex), Float(bestDistance))
        }

        /// Calls `body(code)`, in increasing order, for every code whose score is at most `threshold`:
        /// 16 scores compared at a time, so the usual one or few candidates cost little more than a pass.
        @inline(__always)
        static func forEachCode(_ scores: UnsafePointer<Float>, count: Int, atMost threshold: Float, _ body: (Int) -> Void) {
            typealias Lanes = SIMD16<Float>
            let vectorCount = count / Lanes.scalarCount * Lanes.scalarCount, raw = UnsafeRawPointer(scores)
            let limit = Lanes(repeating: threshold)
            for start in stride(from: 0, to: vectorCount, by: Lanes.scalarCount) {
                let lanes = raw.loadUnaligned(fromByteOffset: start * MemoryLayout<Float>.stride, as: Lanes.self)
                guard any(lanes .<= limit) else { continue }
                for lane in 0..<Lanes.scalarCount where lanes[lane] <= threshold { body(start + lane) }
            }
            for code in vectorCount..<count where scores[code] <= threshold { body(code) }
        }
    }

    /// The reference twin of `search`: a double loop over queries and codes with the exact distance.
    public static func searchNaive(queries: UnsafePointer<Float>, queryCount: Int, codebook: UnsafePointer<Float>, codeCount: Int,
                                   dimension: Int, indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>) {
        precondition(codeCount >= 1, "NearestRowSearch.searchNaive: the codebook has no rows")
        for row in 0..<queryCount {
            let query = queries + row * dimension
            var bestIndex = 0, bestDistance = Double.infinity
            for code in 0..<codeCount {
                let distance = exactSquaredDistance(query, codebook + code * dimension, dimension: dimension)
                if distance < bestDistance { (bestIndex, bestDistance) = (code, distance) }
            }
            indices[row] = Int32(bestIndex)
            // With every distance NaN no code was chosen: report code 0 and its (NaN) distance.
            distances[row] = bestDistance.isFinite ? Float(bestDistance)
                : Float(exactSquaredDistance(query, codebook, dimension: dimension))
        }
    }

    /// Σ (x − e)² over `dimension` elements, each difference and square in `Double`, summed in order.
    @inline(__always)
    static func exactSquaredDistance(_ query: UnsafePointer<Float>, _ code: UnsafePointer<Float>, dimension: Int) -> Double {
        var sum = 0.0
        for element in 0..<dimension {
            let difference = Double(query[element]) - Double(code[element])
            sum += difference * difference
        }
        return sum
    }

    /// ‖row‖² of each row of `rows` (rowCount × dimension), summed in `Double`.
    static func squaredNorms(_ rows: [Float], rowCount: Int, dimension: Int) -> [Float] {
        (0..<rowCount).map { row in
            var sum = 0.0
            for element in 0..<dimension { sum += Double(rows[row * dimension + element]) * Double(rows[row * dimension + element]) }
            return Float(sum)
        }
    }

    /// The mean of the rows (rowCount × dimension), summed in `Double`.
    static func columnMeans(_ rows: UnsafePointer<Float>, rowCount: Int, dimension: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: dimension)
        for row in 0..<rowCount {
            for element in 0..<dimension { sums[element] += Double(rows[row * dimension + element]) }
        }
        return sums.map { Float($0 / Double(rowCount)) }
    }

    /// The rows (rowCount × center.count) minus `center`.
    static func centered(_ rows: UnsafePointer<Float>, rowCount: Int, by center: [Float]) -> [Float] {
        let dimension = center.count
        return [Float](unsafeUninitializedCapacity: rowCount * dimension) { buffer, initializedCount in
            for row in 0..<rowCount {
                for element in 0..<dimension { buffer[row * dimension + element] = rows[row * dimension + element] - center[element] }
            }
            initializedCount = rowCount * dimension
        }
    }

    /// Overwrites `scores[j]` (x·e_j) with ‖e_j‖² − 2·scores[j] and returns the position and value of the
    /// smallest, the lowest position on ties: eight lanes of SIMD, each keeping its first minimum,
    /// then the lanes and the tail combined.
    @inline(__always)
    static func expandedScoresMinimum(_ scores: UnsafeMutablePointer<Float>, codeNorms: UnsafeBufferPointer<Float>) -> (Int, Float) {
        typealias Lanes = SIMD8<Float>
        let codeCount = codeNorms.count, vectorCount = codeCount / Lanes.scalarCount * Lanes.scalarCount
        let norms = UnsafeRawPointer(codeNorms.baseAddress!), raw = UnsafeMutableRawPointer(scores)
        var laneMinimum = Lanes(repeating: .infinity)
        var laneIndex = SIMD8<Int32>(repeating: -1)
        var position = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        for start in stride(from: 0, to: vectorCount, by: Lanes.scalarCount) {
            let byteOffset = start * MemoryLayout<Float>.stride
            let expanded = norms.loadUnaligned(fromByteOffset: byteOffset, as: Lanes.self)
                - 2 * raw.loadUnaligned(fromByteOffset: byteOffset, as: Lanes.self)
            raw.storeBytes(of: expanded, toByteOffset: byteOffset, as: Lanes.self)
            let smaller = expanded .< laneMinimum
            laneMinimum.replace(with: expanded, where: smaller)
            laneIndex.replace(with: position, where: smaller)
            position &+= 8
        }
        var bestIndex = -1, bestValue = Float.infinity
        for lane in 0..<Lanes.scalarCount where laneIndex[lane] >= 0 {
            let index = Int(laneIndex[lane])
            if laneMinimum[lane] < bestValue || (laneMinimum[lane] == bestValue && index < bestIndex) {
                (bestIndex, bestValue) = (index, laneMinimum[lane])
            }
        }
        for code in vectorCount..<codeCount {
            scores[code] = codeNorms[code] - 2 * scores[code]
            if scores[code] < bestValue { (bestIndex, bestValue) = (code, scores[code]) }
        }
        // Every score NaN (or +∞): no minimum; fall back to code 0, which the exact re-scoring then checks.
        return bestIndex >= 0 ? (bestIndex, bestValue) : (0, scores[0])
    }
}
