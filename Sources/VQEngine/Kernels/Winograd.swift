import CVQKernels

/// Convolutions by Winograd's minimal filtering F(m×m, r×r) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016): per m×m output tile, the matrix products make (m + r − 1)²
/// multiplications where im2col's make r²·m². Two kinds of convolution go through it, all three passes:
///
/// - 3×3, stride 1, padding 1 (the VQ-VAE's encoder.conv3, residual 3×3, decoder.conv1): F(4×4, 3×3),
///   4× fewer multiplications (F(2×2, 3×3), 2.25×, with `outputTile` 2);
/// - 4×4, stride 2, padding 1 (encoder.conv2; decoder.transposed1 is its adjoint): the input's four
///   phases (even and odd rows and columns) make it a 2×2 stride-1 convolution of 4·C channels,
///   computed with F(4×4, 2×2): 2.56× fewer multiplications on whole tiles.
///
/// One pass is a `WinogradProblem`: each image is cut into m×m output tiles; the tile's n×n input patch
/// d (n = m + r − 1) becomes V = Bᵀ d B, each r×r filter g becomes U = G g Gᵀ, and the output tile is
/// Aᵀ (Σ_c U ⊙ V) A. Over a chunk of images, each of the n² positions ξ of a tile is one product:
///
///     products_ξ (F, tiles) = U_ξ (F, depth) · V_ξᵀ, V_ξ stored (tiles, depth)
///
/// V is stored tile by tile with the channels contiguous because the input transform runs down the
/// channels (16 or more, so whole vectors); the product reads it transposed, which its packing absorbs.
/// The input gradient is the same kind of pass over the output gradient with the filters flipped and
/// transposed (for the stride-2 convolution, a padding-1 2×2 pass whose output is the four phases of
/// the input gradient, taken by `Convolution` only where its phase grid fills the tiles:
/// `Convolution.usesWinogradForInputGradient`); the transposed convolution's forward is that pass with
/// a bias. The weight gradient is dU_ξ (F, depth) = Σ_tiles (A e Aᵀ)_ξᵀ · V_ξ, e the output gradient's
/// tiles, then dg = Gᵀ dU G. All are exact in real arithmetic; in floats they differ from
/// im2col's sums by rounding, more with m = 4, whose transforms scale by up to 8 and 1/24
/// (BENCHMARKS.md gives the measured error).
///
/// The transforms are C (`vqk_winograd_*`: fixed sequences of additions and multiplications by
/// constants, never fused, so the same bits on every CPU and instruction set). `WinogradNaive` computes
/// every transform from its matrices, for the tests. The batch is shared between the cores as in
/// `ConvolutionPlan`: runs of whole chunks, each share's chunks on one core, the weight gradient summed
/// over the shares in order (by the filter gradient's transform, as it reads the shares' accumulators).
public enum Winograd {
    /// Whether `Convolution` uses this algorithm where it applies; tests and `vqvae bench conv` turn it off.
    @TaskLocal public static var isEnabled = true
    /// The output tile side m of the 3×3 convolutions: 4 (F(4×4, 3×3)) or 2 (F(2×2, 3×3)).
    @TaskLocal public static var outputTile = 4
    /// The fewest tile columns a chunk's products should have: images are grouped until they reach it
    /// (8 images of 8×8 or 7×7 with m = 4, 4 tiles each: one 32-wide column tile of the microkernel).
    @TaskLocal public static var chunkColumns = 32
    /// Shares per core of the weight gradient's batch (`WinogradTiling.init`).
    @TaskLocal static var weightGradientSharesPerWorker = 1
    /// `chunkColumns` of the weight gradient: its products' depth is the chunk's tile columns, so longer
    /// chunks (up to a share: 16 images of 7×7 or 8×8 at batch 32 on two cores) make longer products.
    /// 64 and 128 measured 3% faster training than 32 on both Sonnet shapes (`bench model`, 3 rounds).
    @TaskLocal static var weightGradientChunkColumns = 128
    /// The least share of the phase grid's tile outputs that must lie on the grid for a stride-2
    /// convolution's input gradient to take Winograd (`Convolution.usesWinogradForInputGradient`).
    public static let leastPhaseGridFill = 0.85
    /// Fewer channels on either side than this leave too little product to repay the transforms.
    public static let leastChannels = 16
    /// The most floats of one chunk's transformed tiles (n²·depth·tiles): 4 MiB, a core's L2. Larger
    /// images keep im2col, which splits one image's work more finely.
    public static let tilesBudget = 1 << 20

    /// Whether `geometry` is a convolution this algorithm computes: 3×3 stride-1 padding-1 or 4×4
    /// stride-2 padding-1 on an even-sized input, no dilation, one group, enough channels, and images
    /// whose tiles fit `tilesBudget` in every pass.
    public static func applies(to g: ConvolutionGeometry) -> Bool {
        guard g.dilation == 1, g.groups == 1, g.batch > 0, min(g.inputChannels, g.outputChannels) >= leastChannels,
              let passes = passes(of: g) else { return false }
        return passes.allSatisfy { $0.positions * max($0.depth, $0.outputChannels) * $0.tilesPerImage <= tilesBudget }
    }

    /// The three passes' problems (forward and weight gradient share one), or nil for another convolution.
    static func passes(of g: ConvolutionGeometry) -> [WinogradProblem]? {
        guard isSameThreeByThree(g) || isStridedFourByFour(g) else { return nil }
        return [.forward(g), .inputGradient(g)]
    }

    static func isSameThreeByThree(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
            && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth
    }

    static func isStridedFourByFour(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 4 && g.kernelWidth == 4 && g.stride == 2 && g.padding == 1
            && g.inputHeight % 2 == 0 && g.inputWidth % 2 == 0
            && g.outputHeight == g.inputHeight / 2 && g.outputWidth == g.inputWidth / 2
    }

    /// input (N, C, H, W), weight (F, C, k, k), bias (F) → output (N, F, Ho, Wo).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        precondition(applies(to: g), "Winograd.forward: \(g) is not a convolution it computes")
        return run(.forward(g), input: input, weight: weight, layout: filterLayout(g, forInputGradient: false), bias: bias)
    }

    /// outputGradient (N, F, Ho, Wo), weight (F, C, k, k) → input gradient (N, C, H, W): a pass over the
    /// output gradient with the filters flipped and transposed.
    public static func inputGradient(outputGradient: Tensor, weight: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        transposedForward(input: outputGradient, weight: weight, bias: nil, geometry: g)
    }

    /// The transposed convolution of `geometry`: input (N, F, Ho, Wo), weight (F, C, k, k), bias (C) →
    /// output (N, C, H, W), the input gradient's pass with the bias added by its output transform (which
    /// writes the four phases as channels (2a + b)·C + c, so their bias is the bias four times).
    public static func transposedForward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        precondition(applies(to: g), "Winograd.transposedForward: \(g) is not a convolution it computes")
        let problem = WinogradProblem.inputGradient(g)
        let phaseBias = problem.writesPhases
            ? bias.map { Tensor(shape: [4 * $0.count], scalars: Array(Array(repeating: $0.scalars, count: 4).joined())) } : bias
        return run(problem, input: input, weight: weight, layout: filterLayout(g, forInputGradient: true), bias: phaseBias)
    }

    /// input (N, C, H, W), outputGradient (N, F, Ho, Wo) → weight gradient (F, C, k, k).
    public static func weightGradient(input: Tensor, outputGradient: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        precondition(applies(to: g), "Winograd.weightGradient: \(g) is not a convolution it computes")
        let problem = WinogradProblem.forward(g)
        let transformed = transformedWeightGradient(problem, input: input, outputGradient: outputGradient)
        defer { transformed.accumulators.deallocate() }
        let gradient = filterGradient(transformed.accumulators.pointer, parts: transformed.parts, filters: problem.outputChannels,
                                      channels: problem.depth, tile: problem.tile, taps: problem.taps)
        return isSameThreeByThree(g) ? gradient : unphasedFilters(gradient, geometry: g)
    }
}

// MARK: - The passes

extension Winograd {
    /// output = the problem's convolution of input by the filters (outputChannels, depth, r, r) that
    /// `layout` reads from `weight`, plus bias.
    static func run(_ problem: WinogradProblem, input: Tensor, weight: Tensor, layout: vqk_filter_layout, bias: Tensor?) -> Tensor {
        let output = Tensor.uninitialized(problem.outputShape)
        let (rows, depth) = (problem.outputChannels, problem.depth)
        let filters = withExtendedLifetime(weight) {
            PackedFilters(weight.storage.pointer, layout: layout, rows: rows, depth: depth, tile: problem.tile, taps: problem.taps)
        }
        defer { filters.deallocate() }
        let packed = filters.matrices
        let imagePointer = UnsafePointer(input.storage.pointer), outputPointer = output.storage.pointer
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        let tiling = WinogradTiling(problem: problem)
        tiling.run { _, images, _, scratch in
            let columns = tiling.columns(images)
            tiling.transformInputs(imagePointer, images: images, scratch: scratch)
            for position in 0..<problem.positions {
                Gemm.multiply(packedA: packed[position], transposeB: true, n: columns,
                              b: scratch.inputs + position * columns * depth, ldb: depth,
                              c: scratch.products + position * rows * columns, ldc: columns)
            }
            tiling.transformProducts(scratch.products, images: images, bias: biasPointer, into: outputPointer)
        }
        return output
    }

    /// dU (positions, outputChannels, depth) = Σ over the batch's tiles of (A e Aᵀ)_ξᵀ · V_ξ, in `parts`
    /// consecutive accumulators (one per share of the batch) whose sum `filterGradient` takes; the
    /// caller deallocates them.
    static func transformedWeightGradient(_ problem: WinogradProblem, input: Tensor,
                                          outputGradient: Tensor) -> (accumulators: ConvolutionScratch, parts: Int) {
        let (filters, depth) = (problem.outputChannels, problem.depth)
        let tiling = WinogradTiling(problem: problem, sharesPerWorker: weightGradientSharesPerWorker,
                                    chunkColumns: weightGradientChunkColumns)
        let transformedCount = problem.positions * filters * depth
        let accumulators = ConvolutionScratch(count: max(1, tiling.shares.count) * transformedCount)
        if tiling.shares.isEmpty { accumulators.pointer.update(repeating: 0, count: transformedCount) }
        let imagePointer = UnsafePointer(input.storage.pointer)
        let gradientPointer = UnsafePointer(outputGradient.storage.pointer)
        tiling.run { share, images, isFirstChunk, scratch in
            let columns = tiling.columns(images)
            tiling.transformInputs(imagePointer, images: images, scratch: scratch)
            tiling.transformGradients(gradientPointer, images: images, scratch: scratch)
            let sum = accumulators.pointer + share * transformedCount
            for position in 0..<problem.positions {
                Gemm.multiply(transposeA: true, m: filters, n: depth, k: columns,
                              a: scratch.products + position * columns * filters, lda: filters,
                              b: scratch.inputs + position * columns * depth, ldb: depth,
                              beta: isFirstChunk ? 0 : 1, c: sum + position * filters * depth, ldc: depth)
            }
        }
        return (accumulators, max(1, tiling.shares.count))
    }
}

// MARK: - The filters

extension Winograd {
    /// The n² matrices U_ξ (rows, depth) of one pass's filters, packed for `Gemm.multiply(packedA:…)` as
    /// the transform makes them (`vqk_winograd_packed_filters`), in one allocation; the row panels
    /// are shared between the cores. The same bits as `transformFilters` followed by
    /// `Gemm.PackedMatrix(rows:depth:a:lda:)`, the twin the tests hold it to.
    struct PackedFilters {
        let matrices: [Gemm.PackedMatrix]
        private let storage: UnsafeMutablePointer<Float>

        init(_ weight: UnsafePointer<Float>, layout: vqk_filter_layout, rows: Int, depth: Int, tile: Int, taps: Int,
             kernel: Gemm.Kernel? = nil) {
            let chosen = kernel ?? .default, positions = WinogradProblem.positions(tile: tile, taps: taps)
            let count = vqk_sgemm_packed_a_count(chosen.rawValue, rows, depth)
            precondition(count > 0, "Winograd: this CPU cannot run the \(chosen) kernel")
            storage = UnsafeMutableRawPointer.allocate(byteCount: positions * count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: positions * count)
            let panelRows = Gemm.rowTile(kernel: chosen), panels = (rows + panelRows - 1) / panelRows
            var layout = layout
            let (base, stride) = (storage, count)
            Parallel.forRanges(panels, minimumPerChunk: max(1, 4096 / (panelRows * depth))) { range in
                let status = vqk_winograd_packed_filters(chosen.rawValue, Int32(tile), Int32(taps), weight, &layout, rows, depth,
                                                         range.lowerBound, range.upperBound, base, stride)
                precondition(status == 0, "Winograd: the filters of \(rows)×\(depth) did not pack (\(chosen) kernel)")
            }
            matrices = (0..<positions).map { Gemm.PackedMatrix(rows: rows, depth: depth, kernel: chosen, packedAt: base + $0 * stride) }
        }

        func deallocate() { UnsafeMutableRawPointer(storage).deallocate() }
    }

    /// How a pass reads its filters (rows, depth, r, r) from the weight (F, C, k, k): for 3×3, the
    /// weight itself (rows F, depth C) or, `forInputGradient`, flipped and transposed: [c, f, i, j] =
    /// weight[f, c, 2 − i, 2 − j]. For the stride-2 4×4 convolution, the four phases' 2×2 filters
    /// [f, (2a + b)·C + c, p, q] = weight[f, c, 2p + a, 2q + b], or for the input gradient
    /// [(2a + b)·C + c, f, p, q] = weight[f, c, 2(1 − p) + a, 2(1 − q) + b].
    static func filterLayout(_ g: ConvolutionGeometry, forInputGradient: Bool) -> vqk_filter_layout {
        let (side, strided) = (g.kernelHeight, !isSameThreeByThree(g))
        // A filter f is side²·C floats apart in the weight, a channel c side² apart; with stride 2 the
        // channel side also picks the phase (2a + b), which starts at tap (a, b): offset 4a + b.
        let step = strided ? 2 : 1, taps = strided ? 2 : 3, none = (0, 0, 0, 0)
        let filters = (period: g.outputChannels, stride: side * side * g.inputChannels, phase: none)
        let channels = (period: g.inputChannels, stride: side * side, phase: strided ? (0, 1, side, side + 1) : none)
        // Tap (p, q) of the pass's filter is tap (step·p, step·q) of the weight, or flipped for the
        // input gradient: (step·(taps − 1 − p), step·(taps − 1 − q)).
        let (rows, depth) = forInputGradient ? (channels, filters) : (filters, channels)
        let flip = forInputGradient ? -1 : 1, last = forInputGradient ? step * (taps - 1) : 0
        return vqk_filter_layout(base: last * side + last, row_period: rows.period, row_stride: rows.stride,
                                 row_phase: rows.phase, depth_period: depth.period, depth_stride: depth.stride,
                                 depth_phase: depth.phase, tap_row_stride: flip * step * side,
                                 tap_column_stride: flip * step)
    }

    /// U = G g Gᵀ (n×n) for each of `count` filters g (r×r, consecutive) → entry ξ of filter p at
    /// transformed[ξ·count + p]: the transform alone, unpacked. The passes use `PackedFilters`, which
    /// transforms into the packed layout directly; the tests hold this one to the matrices and build
    /// `PackedFilters`' twin from it.
    static func transformFilters(_ weight: UnsafePointer<Float>, count: Int, tile: Int, taps: Int,
                                 into transformed: UnsafeMutablePointer<Float>, kernel: Gemm.Kernel? = nil) {
        Parallel.forRanges(count, minimumPerChunk: 1024) { range in
            let status = vqk_winograd_filter_transform(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), Int32(tile), Int32(taps),
                                                       weight + range.lowerBound * taps * taps, range.count, count,
                                                       transformed + range.lowerBound)
            precondition(status == 0, "Winograd: this CPU cannot run the \(kernel ?? .default) kernel")
        }
    }

    /// The weight gradient dg = Gᵀ dU G (filters, channels, r, r) of the transformed filters' gradients
    /// dU, entry ξ of filter (f, c) at transformed[(ξ·F + f)·C + c]: the sum of `parts` such arrays, one
    /// after another (the shares' accumulators), added in order as the transform reads them.
    static func filterGradient(_ transformed: UnsafePointer<Float>, parts: Int = 1, filters: Int, channels: Int, tile: Int,
                               taps: Int, kernel: Gemm.Kernel? = nil) -> Tensor {
        let count = filters * channels, partStride = WinogradProblem.positions(tile: tile, taps: taps) * count
        let gradient = Tensor.uninitialized([filters, channels, taps, taps])
        let destination = gradient.storage.pointer
        Parallel.forRanges(count, minimumPerChunk: 1024) { range in
            let status = vqk_winograd_filter_gradient(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), Int32(tile), Int32(taps),
                                                      transformed + range.lowerBound, parts, partStride, range.count, count,
                                                      destination + range.lowerBound * taps * taps)
            precondition(status == 0, "Winograd: this CPU cannot run the \(kernel ?? .default) kernel")
        }
        return gradient
    }

    /// The phases' gradient (F, 4C, 2, 2) → the weight gradient (F, C, 4, 4): the inverse of `phaseFilters`.
    static func unphasedFilters(_ gradient: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        let (filters, channels) = (g.outputChannels, g.inputChannels)
        let result = Tensor.uninitialized([filters, channels, 4, 4])
        let source = gradient.storage.pointer, destination = result.storage.pointer
        forFilters(filters, channels: channels, taps: 16) { f in
            for c in 0..<channels {
                let to = destination + (f * channels + c) * 16
                for phase in 0..<4 {
                    let from = source + ((f * 4 + phase) * channels + c) * 4, (a, b) = (phase / 2, phase % 2)
                    for p in 0..<2 { for q in 0..<2 { to[(2 * p + a) * 4 + 2 * q + b] = from[2 * p + q] } }
                }
            }
        }
        return result
    }

    /// Runs `body(f)` for every filter, split across the cores when the filters hold enough taps.
    private static func forFilters(_ filters: Int, channels: Int, taps: Int, _ body: (Int) -> Void) {
        Parallel.forRanges(filters, minimumPerChunk: max(1, 8192 / max(channels * taps, 1))) { range in
            for f in range { body(f) }
        }
    }
}

/// One Winograd pass: images (N, channels, height, width) read as the n×n input patches of the m×m
/// tiles of an output grid, multiplied by transformed filters (outputChannels, depth, r, r).
struct WinogradProblem: Equatable {
    var batch: Int
    /// The image the input transform reads (N, channels, height, width).
    var channels: Int, height: Int, width: Int
    /// The output grid: outputChannels × outputHeight × outputWidth per image.
    var outputChannels: Int, outputHeight: Int, outputWidth: Int
    /// m and r.
    var tile: Int, taps: Int
    /// The input is read as the four phases of a 4×4 stride-2 padding-1 convolution (depth 4·channels,
    /// no padding), not with padding 1.
    var readsPhases = false
    /// The output is the four phases (channels (2a + b)·C + c) of an image (N, C, 2·(Ho − 1), 2·(Wo − 1)).
    var writesPhases = false

    static func positions(tile: Int, taps: Int) -> Int { (tile + taps - 1) * (tile + taps - 1) }

    /// n²: the entries of a transformed tile, one matrix product each.
    var positions: Int { WinogradProblem.positions(tile: tile, taps: taps) }
    /// The products' depth: channels, or 4·channels for phases.
    var depth: Int { readsPhases ? 4 * channels : channels }
    /// ⌈Ho/m⌉·⌈Wo/m⌉.
    var tilesPerImage: Int { (outputHeight + tile - 1) / tile * ((outputWidth + tile - 1) / tile) }
    /// The share of the tiles' outputs that lie in the image: 1 when m divides Ho and Wo.
    var tileFill: Double { Double(outputHeight * outputWidth) / Double(max(1, tilesPerImage * tile * tile)) }
    var outputShape: [Int] {
        writesPhases ? [batch, outputChannels / 4, 2 * (outputHeight - 1), 2 * (outputWidth - 1)]
            : [batch, outputChannels, outputHeight, outputWidth]
    }

    /// The output tile of a convolution Winograd takes: `Winograd.outputTile` for 3×3, 4 for the phases.
    static func tile(of g: ConvolutionGeometry) -> Int { g.stride.height == 2 ? 4 : Winograd.outputTile }

    /// The convolution's forward pass (and its weight gradient's tiles).
    static func forward(_ g: ConvolutionGeometry) -> WinogradProblem {
        let strided = g.stride.height == 2
        return WinogradProblem(batch: g.batch, channels: g.inputChannels, height: g.inputHeight, width: g.inputWidth,
                               outputChannels: g.outputChannels, outputHeight: g.outputHeight, outputWidth: g.outputWidth,
                               tile: tile(of: g), taps: strided ? 2 : 3, readsPhases: strided)
    }

    /// The convolution's input gradient: the output gradient convolved with the flipped filters; for
    /// the stride-2 convolution a padding-1 2×2 pass onto the phase grid (Ho + 1) × (Wo + 1).
    static func inputGradient(_ g: ConvolutionGeometry) -> WinogradProblem {
        let strided = g.stride.height == 2
        return WinogradProblem(batch: g.batch, channels: g.outputChannels, height: g.outputHeight, width: g.outputWidth,
                               outputChannels: strided ? 4 * g.inputChannels : g.inputChannels,
                               outputHeight: g.outputHeight + (strided ? 1 : 0), outputWidth: g.outputWidth + (strided ? 1 : 0),
                               tile: tile(of: g), taps: strided ? 2 : 3, writesPhases: strided)
    }
}

/// How one Winograd pass walks the batch: chunks of images whose tiles are the columns of the n²
/// products, and shares of chunks for the cores (`ConvolutionPlan.shares`). Chunk matrices are
/// (rows, B·tiles): image b of the chunk owns columns b·tiles ..< (b+1)·tiles.
struct WinogradTiling {
    let problem: WinogradProblem
    let tilesPerImage: Int
    let imagesPerChunk: Int
    let shares: [Range<Int>]
    /// The instruction set of the C transforms (nil: `Gemm.Kernel.default`); all give the same bits.
    let kernel: Gemm.Kernel?

    /// `sharesPerWorker`: 4 balances the cores best; the weight gradient takes 1, as each share keeps
    /// an accumulator of n²·F·depth floats that are summed at the end (9.4 MB for encoder.conv3 with
    /// 4 shares), and reading them costs more than the imbalance of equal whole chunks.
    init(problem p: WinogradProblem, kernel: Gemm.Kernel? = nil, sharesPerWorker: Int = ConvolutionPlan.sharesPerWorker,
         chunkColumns: Int = Winograd.chunkColumns) {
        problem = p
        self.kernel = kernel
        tilesPerImage = p.tilesPerImage
        let workers = max(1, min(Parallel.workerCount, p.batch))
        let largestShare = (p.batch + workers - 1) / workers
        let wanted = (chunkColumns + tilesPerImage - 1) / tilesPerImage
        let affordable = max(1, Winograd.tilesBudget / (p.positions * max(p.depth, p.outputChannels) * tilesPerImage))
        imagesPerChunk = max(1, min(wanted, affordable, largestShare))
        shares = ConvolutionPlan.shares(batch: p.batch, imagesPerChunk: imagesPerChunk, workers: workers, perWorker: sharesPerWorker)
    }

    /// B·tiles.
    func columns(_ images: Range<Int>) -> Int { images.count * tilesPerImage }

    /// Scratch of one share: the input tiles (n², columns, depth), the product tiles (n², F, columns) or the
    /// gradient tiles (n², columns, F), one image turned channels-last and zeros as wide as a pixel.
    struct Scratch {
        let inputs: UnsafeMutablePointer<Float>
        let products: UnsafeMutablePointer<Float>
        let pixels: UnsafeMutablePointer<Float>
        let zeros: UnsafePointer<Float>
    }

    /// Runs `body(share, images, isFirstChunk, scratch)` for every chunk of every share, the shares in
    /// parallel and each share's chunks in order on one core (as `ConvolutionPlan.run`).
    func run(_ body: (_ share: Int, _ images: Range<Int>, _ isFirstChunk: Bool, _ scratch: Scratch) -> Void) {
        let p = problem, most = p.positions * imagesPerChunk * tilesPerImage
        let widest = max(p.channels, p.outputChannels)
        let pixelCount = max(p.height * p.width * p.channels, p.outputHeight * p.outputWidth * p.outputChannels)
        Parallel.forEach(shares.count) { share in
            let inputs = ConvolutionScratch(count: most * p.depth), products = ConvolutionScratch(count: most * p.outputChannels)
            let pixels = ConvolutionScratch(count: pixelCount), zeros = ConvolutionScratch(count: widest)
            defer { inputs.deallocate(); products.deallocate(); pixels.deallocate(); zeros.deallocate() }
            zeros.pointer.update(repeating: 0, count: widest)
            let scratch = Scratch(inputs: inputs.pointer, products: products.pointer, pixels: pixels.pointer,
                                  zeros: UnsafePointer(zeros.pointer))
            let range = shares[share]
            for start in stride(from: range.lowerBound, to: range.upperBound, by: imagesPerChunk) {
                body(share, start..<min(start + imagesPerChunk, range.upperBound), start == range.lowerBound, scratch)
            }
        }
    }

    var kernelCode: Int32 { kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT) }

    /// The chunk's images of the input (N, channels, H, W) → V (n², columns, depth).
    func transformInputs(_ input: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) {
        let p = problem, columns = columns(images), planeSize = p.channels * p.height * p.width
        for n in images {
            let destination = scratch.inputs + (n - images.lowerBound) * tilesPerImage * p.depth
            let status = p.readsPhases
                ? vqk_winograd_phase_input_transform(kernelCode, input + n * planeSize, p.channels, p.height, p.width,
                                                     p.outputHeight, p.outputWidth, scratch.pixels, scratch.zeros,
                                                     destination, columns * p.depth)
                : vqk_winograd_input_transform(kernelCode, Int32(p.tile), Int32(p.taps), input + n * planeSize, p.channels,
                                               p.height, p.width, p.outputHeight, p.outputWidth, scratch.pixels,
                                               scratch.zeros, destination, columns * p.depth)
            precondition(status == 0, "Winograd: the input transform did not run (\(kernel ?? .default) kernel)")
        }
    }

    /// The chunk's images of the output gradient (N, F, Ho, Wo) → A e Aᵀ (n², columns, F).
    func transformGradients(_ gradient: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) {
        let p = problem, columns = columns(images), planeSize = p.outputChannels * p.outputHeight * p.outputWidth
        for n in images {
            let status = vqk_winograd_gradient_transform(kernelCode, Int32(p.tile), Int32(p.taps), gradient + n * planeSize,
                                                         p.outputChannels, p.outputHeight, p.outputWidth, scratch.pixels,
                                                         scratch.zeros,
                                                         scratch.products + (n - images.lowerBound) * tilesPerImage * p.outputChannels,
                                                         columns * p.outputChannels)
            precondition(status == 0, "Winograd: the gradient transform did not run (\(kernel ?? .default) kernel)")
        }
    }

    /// The products (n², F, columns) → the chunk's images of the output, plus the bias.
    func transformProducts(_ products: UnsafePointer<Float>, images: Range<Int>, bias: UnsafePointer<Float>?,
                           into output: UnsafeMutablePointer<Float>) {
        let p = problem, columns = columns(images), imageSize = p.outputShape.dropFirst().reduce(1, *)
        let status = vqk_winograd_output_transform(kernelCode, Int32(p.tile), Int32(p.taps), p.writesPhases ? 1 : 0, products,
                                                   p.outputChannels * columns, columns, images.count, p.outputChannels,
                                                   p.outputHeight, p.outputWidth, bias, output + images.lowerBound * imageSize)
        precondition(status == 0, "Winograd: the output transform did not run (\(kernel ?? .default) kernel)")
    }
}
