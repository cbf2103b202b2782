/// How one call of a fast convolution walks the batch: the shares of images the cores take, how many
/// images go into one chunk's GEMM, and the chunk-level steps the two passes of `Convolution` are
/// made of. Pointers are raw and unchecked; the shapes were validated by the op.
///
/// Chunk matrices have `leadingDimension` = B·Ho·Wo columns: image b of the chunk owns columns
/// b·Ho·Wo ..< (b+1)·Ho·Wo. A one-image chunk uses the tensors' own (F, Ho·Wo) and (C, H·W) planes.
struct ConvolutionPlan {
    let geometry: ConvolutionGeometry
    /// Whether im2col, col2im and copies run in parallel over a chunk's images (GEMMs then run on all cores too).
    let parallelInside: Bool
    /// Contiguous runs of whole chunks of the batch, taken by the cores one at a time as each finishes
    /// its last (`run`). Up to `sharesPerWorker` per core, so a core that runs slower (a busy sibling,
    /// a lower clock, colder caches) takes fewer shares and the other does not wait for it.
    let shares: [Range<Int>]
    let imagesPerChunk: Int

    /// Shares per core in `parallelOverBatch`: the finer, the better balanced, but each share keeps
    /// its own weight-gradient accumulator (summed at the end) and scratch buffers.
    static let sharesPerWorker = 4

    init(geometry g: ConvolutionGeometry, strategy: ConvolutionStrategy, chunkColumns: Int) {
        geometry = g
        parallelInside = strategy == .parallelInsideGemm
        let workers = parallelInside ? 1 : max(1, min(Parallel.workerCount, g.batch))
        let columnsPerImage = g.inputChannels * g.kernelArea * g.outputArea
        let largestShare = (g.batch + workers - 1) / workers
        let wanted = (chunkColumns + g.outputArea - 1) / max(g.outputArea, 1)
        let affordable = max(1, Convolution.columnsBudget / max(columnsPerImage, 1))
        let most = max(1, min(affordable, largestShare))
        imagesPerChunk = g.isPointwise ? 1 : ConvolutionPlan.imagesFillingTiles(from: min(wanted, most), most: most,
                                                                                 area: g.outputArea)
        shares = ConvolutionPlan.shares(batch: g.batch, imagesPerChunk: imagesPerChunk, workers: workers)
    }

    /// The batch cut into runs of whole chunks of `imagesPerChunk` images, up to `perWorker` per worker
    /// (one run for one worker, none for an empty batch), as even as whole chunks allow.
    static func shares(batch: Int, imagesPerChunk perChunk: Int, workers: Int, perWorker: Int = sharesPerWorker) -> [Range<Int>] {
        let chunks = (batch + perChunk - 1) / perChunk
        let shareCount = min(chunks, workers == 1 ? 1 : workers * perWorker)  // 0: empty batch
        return (0..<shareCount).map { share in
            let first = chunks * share / shareCount, end = chunks * (share + 1) / shareCount
            return min(batch, first * perChunk)..<min(batch, end * perChunk)
        }
    }

    /// The share of useful columns below which a chunk grows by more images: the microkernel always
    /// computes whole column tiles (32 wide with AVX-512), so 2 images of 7×7 (98 columns in 128)
    /// waste 23% of its work and 3 images (147 in 160) 8%.
    static let leastTileFill = 0.85

    /// The fewest images from `first` up to `most` whose B·`area` columns fill the GEMM's column
    /// tiles to at least `leastTileFill`; the best-filling count when none does.
    static func imagesFillingTiles(from first: Int, most: Int, area: Int) -> Int {
        let tile = Gemm.columnTile()
        func fill(_ images: Int) -> Double {
            let columns = images * area
            return Double(columns) / Double((columns + tile - 1) / tile * tile)
        }
        var best = first
        for images in first...max(first, most) {
            if fill(images) >= leastTileFill { return images }
            if fill(images) > fill(best) { best = images }
        }
        return best
    }

    var shareCount: Int { shares.count }

    /// Scratch memory of one share: im2col columns and one chunk matrix of (F, B·Ho·Wo).
    struct Buffers {
        let columns: UnsafeMutablePointer<Float>
        let matrix: UnsafeMutablePointer<Float>
    }

    /// Runs `body(share, images, isFirstChunk, buffers)` for every chunk of every share, the shares in
    /// parallel (each share's chunks in order, on one core). Which core runs a share varies from run
    /// to run, never what the share computes, so results do not depend on the timing.
    func run(_ body: (_ share: Int, _ images: Range<Int>, _ isFirstChunk: Bool, _ buffers: Buffers) -> Void) {
        let g = geometry
        let columnsCount = g.isPointwise ? 0 : g.inputChannels * g.kernelArea * g.outputArea * imagesPerChunk
        let matrixCount = imagesPerChunk > 1 ? g.outputChannels * g.outputArea * imagesPerChunk : 0
        Parallel.forEach(shareCount) { share in
            let columns = ConvolutionScratch(count: columnsCount), matrix = ConvolutionScratch(count: matrixCount)
            defer { columns.deallocate(); matrix.deallocate() }
            let range = shares[share]
            for start in stride(from: range.lowerBound, to: range.upperBound, by: imagesPerChunk) {
                body(share, start..<min(start + imagesPerChunk, range.upperBound), start == range.lowerBound,
                     Buffers(columns: columns.pointer, matrix: matrix.pointer))
            }
        }
    }

    /// The column count of a chunk's matrices: B·Ho·Wo.
    @inline(__always)
    func leadingDimension(_ images: Range<Int>) -> Int { images.count * geometry.outputArea }

    /// Calls `body(b)` for each image of the chunk, in parallel when the strategy says so.
    @inline(__always)
    func forEachImage(_ images: Range<Int>, _ body: (Int) -> Void) {
        if parallelInside {
            Parallel.forEach(images.count) { body(images.lowerBound + $0) }
        } else {
            for image in images { body(image) }
        }
    }
}

// MARK: - Chunk steps

extension ConvolutionPlan {
    /// The columns of the chunk's images (N, C, H, W): im2col into the buffer, or the image itself when pointwise.
    func columns(of image: UnsafePointer<Float>, images: Range<Int>, buffers: Buffers) -> UnsafePointer<Float> {
        let g = geometry
        let imageSize = g.inputChannels * g.inputArea
        if g.isPointwise { return image + images.lowerBound * imageSize }
        let leading = leadingDimension(images)
        forEachImage(images) { n in
            Im2col.imageToColumns(image + n * imageSize, buffers.columns + (n - images.lowerBound) * g.outputArea,
                                  columnStride: leading, geometry: g)
        }
        return UnsafePointer(buffers.columns)
    }

    /// Where weightᵀ · side should go before col2im: the buffer, or the image itself when pointwise.
    func columnsDestination(_ image: UnsafeMutablePointer<Float>, images: Range<Int>, buffers: Buffers) -> UnsafeMutablePointer<Float> {
        geometry.isPointwise ? image + images.lowerBound * geometry.inputChannels * geometry.inputArea : buffers.columns
    }

    /// Where weight · columns should go: the output's own planes for one image, else the chunk matrix.
    func outputMatrix(_ output: UnsafeMutablePointer<Float>, images: Range<Int>, buffers: Buffers) -> UnsafeMutablePointer<Float> {
        images.count == 1 ? output + images.lowerBound * geometry.outputChannels * geometry.outputArea : buffers.matrix
    }

    /// The chunk's images of a (N, F, Ho, Wo) tensor as one (F, B·Ho·Wo) matrix: gathered into the
    /// buffer, or the tensor's own planes for one image.
    func gathered(_ source: UnsafePointer<Float>, images: Range<Int>, buffers: Buffers) -> UnsafePointer<Float> {
        let channels = geometry.outputChannels, area = geometry.outputArea
        if images.count == 1 { return source + images.lowerBound * channels * area }
        let leading = leadingDimension(images)
        forEachImage(images) { n in
            let offset = (n - images.lowerBound) * area
            for channel in 0..<channels {
                (buffers.matrix + channel * leading + offset).update(from: source + (n * channels + channel) * area, count: area)
            }
        }
        return UnsafePointer(buffers.matrix)
    }

    /// Moves the chunk matrix (F, B·Ho·Wo) to the output's (N, F, Ho, Wo) planes (unless it is
    /// already there), adding the bias (F) if any.
    func finishOutput(_ matrix: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, images: Range<Int>,
                      bias: UnsafePointer<Float>?) {
        let channels = geometry.outputChannels, area = geometry.outputArea
        let leading = leadingDimension(images)
        forEachImage(images) { n in
            let plane = output + n * channels * area, offset = (n - images.lowerBound) * area
            for channel in 0..<channels {
                let destination = plane + channel * area
                if images.count > 1 { destination.update(from: matrix + channel * leading + offset, count: area) }
                if let bias { Convolution.add(bias[channel], to: destination, count: area) }
            }
        }
    }

    /// col2im of each image's columns into the image (N, C, H, W) (unless pointwise: already there),
    /// adding the bias (C) if any.
    func columnsToImages(_ columns: UnsafeMutablePointer<Float>, _ image: UnsafeMutablePointer<Float>, images: Range<Int>,
                         bias: UnsafePointer<Float>?) {
        let g = geometry
        let leading = leadingDimension(images), imageSize = g.inputChannels * g.inputArea
        forEachImage(images) { n in
            let destination = image + n * imageSize
            if !g.isPointwise {
                Im2col.columnsToImage(columns + (n - images.lowerBound) * g.outputArea, columnStride: leading, destination,
                                      geometry: g)
            }
            if let bias {
                for channel in 0..<g.inputChannels {
                    Convolution.add(bias[channel], to: destination + channel * g.inputArea, count: g.inputArea)
                }
            }
        }
    }
}

// MARK: - The GEMMs, one per group

extension ConvolutionPlan {
    /// The weight (F, (C/groups)·kh·kw) packed once per group for `multiplyWeight`, which then
    /// multiplies it by the columns of every chunk without repacking.
    func packedWeight(_ weight: UnsafePointer<Float>) -> [Gemm.PackedMatrix] {
        let g = geometry, filters = g.outputChannelsPerGroup, rows = g.columnRowsPerGroup
        return (0..<g.groups).map { group in
            Gemm.PackedMatrix(rows: filters, depth: rows, a: weight + group * filters * rows, lda: rows)
        }
    }

    /// The weight transposed ((C/groups)·kh·kw, F) packed once per group for `multiplyWeightTransposed`.
    func packedWeightTransposed(_ weight: UnsafePointer<Float>) -> [Gemm.PackedMatrix] {
        let g = geometry, filters = g.outputChannelsPerGroup, rows = g.columnRowsPerGroup
        return (0..<g.groups).map { group in
            Gemm.PackedMatrix(transposeA: true, rows: rows, depth: filters, a: weight + group * filters * rows, lda: rows)
        }
    }

    /// output (F, B·Ho·Wo) = weight (F, (C/groups)·kh·kw) · columns, group by group, with the weight
    /// from `packedWeight`.
    func multiplyWeight(_ weight: [Gemm.PackedMatrix], _ columns: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                        images: Range<Int>) {
        let g = geometry, leading = leadingDimension(images)
        let filters = g.outputChannelsPerGroup, rows = g.columnRowsPerGroup
        for group in 0..<g.groups {
            Gemm.multiply(packedA: weight[group], n: leading, b: columns + group * rows * leading, ldb: leading,
                          c: output + group * filters * leading, ldc: leading)
        }
    }

    /// columns ((C/groups)·kh·kw per group, B·Ho·Wo) = weightᵀ · side (F, B·Ho·Wo), group by group,
    /// with the weight from `packedWeightTransposed`.
    func multiplyWeightTransposed(_ weight: [Gemm.PackedMatrix], _ side: UnsafePointer<Float>,
                                  into columns: UnsafeMutablePointer<Float>, images: Range<Int>) {
        let g = geometry, leading = leadingDimension(images)
        let filters = g.outputChannelsPerGroup, rows = g.columnRowsPerGroup
        for group in 0..<g.groups {
            Gemm.multiply(packedA: weight[group], n: leading, b: side + group * filters * leading, ldb: leading,
                          c: columns + group * rows * leading, ldc: leading)
        }
    }

    /// weightGradient (F, (C/groups)·kh·kw) = side (F, B·Ho·Wo) · columnsᵀ, group by group, added to
    /// what it held unless `overwriting` (a share's first chunk: the accumulator need not be zeroed).
    func accumulateWeightGradient(_ side: UnsafePointer<Float>, _ columns: UnsafePointer<Float>,
                                  into weightGradient: UnsafeMutablePointer<Float>, images: Range<Int>, overwriting: Bool) {
        let g = geometry, leading = leadingDimension(images)
        let filters = g.outputChannelsPerGroup, rows = g.columnRowsPerGroup
        for group in 0..<g.groups {
            Gemm.multiply(transposeB: true, m: filters, n: rows, k: leading, a: side + group * filters * leading, lda: leading,
                          b: columns + group * rows * leading, ldb: leading, beta: overwriting ? 0 : 1,
                          c: weightGradient + group * filters * rows, ldc: rows)
        }
    }
}

/// 64-byte aligned scratch floats, freed by the caller.
struct ConvolutionScratch {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func deallocate() { UnsafeMutableRawPointer(pointer).deallocate() }

    /// The sum of the `parts` consecutive blocks of `shape`'s size, as a tensor of `shape`: every
    /// element summed part 0 + part 1 + … in that order, in pieces of 4096 that stay in L1, split
    /// across the cores for large blocks. Zeros when `parts` is 0.
    func summed(parts: Int, shape: [Int]) -> Tensor {
        if parts == 0 { return Tensor(zeros: shape) }
        let size = shape.reduce(1, *)
        let result = Tensor.uninitialized(shape)
        let destination = result.storage.pointer, source = pointer
        Parallel.forRanges(size, granularity: 4096, minimumPerChunk: 1 << 16) { range in
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 4096) {
                let count = min(4096, range.upperBound - start)
                (destination + start).update(from: source + start, count: count)
                for part in 1..<parts {
                    let piece = source + part * size + start, sum = destination + start
                    for index in 0..<count { sum[index] += piece[index] }
                }
            }
        }
        return result
    }
}

extension Convolution {
    /// destination[0..<count] += value.
    @inline(__always)
    static func add(_ value: Float, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { destination[index] += value }
    }

    /// The sum of `count` floats, with 16 partial sums so that it vectorizes.
    @inline(__always)
    static func sumOf(_ source: UnsafePointer<Float>, count: Int) -> Float {
        var partial = SIMD16<Float>.zero
        var index = 0
        while index + 16 <= count {
            partial += UnsafeRawPointer(source + index).loadUnaligned(as: SIMD16<Float>.self)
            index += 16
        }
        var sum = partial.sum()
        while index < count { sum += source[index]; index += 1 }
        return sum
    }
}
