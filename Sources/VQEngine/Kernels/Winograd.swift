import CVQKernels

/// 3×3 convolutions with stride 1 and padding 1 by Winograd's minimal filtering F(2×2, 3×3) (Lavin
/// and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): 16 multiplications per 2×2
/// outputs where im2col's product makes 36, so the matrix products do 2.25× fewer multiply-adds.
///
/// Each image is cut into 2×2 output tiles; the tile's 4×4 input patch d becomes V = Bᵀ d B, each
/// 3×3 filter g becomes U = G g Gᵀ, and the output tile is Aᵀ (Σ_c U ⊙ V) A. Over a chunk of images,
/// each of the 16 positions ξ of a tile is one matrix product:
///
///     products_ξ (F, tiles) = U_ξ (F, C) · V_ξᵀ, V_ξ stored (tiles, C)
///
/// V is stored tile by tile with the channels contiguous because the input transform runs down the
/// channels (16 or more, so whole vectors); the product reads it transposed, which its packing absorbs.
/// The gradients are the same products transposed: the input gradient is this convolution of the
/// output gradient with the flipped, transposed filters (a 3×3 padding-1 convolution's adjoint is
/// one), and the weight gradient is dU_ξ (F, C) = Σ_tiles (A e Aᵀ)_ξᵀ · V_ξ, e the output
/// gradient's tiles (stored (tiles, F) like V), then dg = Gᵀ dU G. Both are exact in real arithmetic; in floats they differ from
/// im2col's sums by rounding (BENCHMARKS.md gives the measured error).
///
/// The transforms are C (`vqk_winograd_*`: additions and exact halvings, the same bits on every CPU
/// and instruction set). `WinogradNaive` computes every transform from its matrices, for the
/// tests. The batch is shared between the cores as in `ConvolutionPlan`: runs of whole chunks, each
/// share's chunks on one core, the weight gradient summed over the shares in order.
public enum Winograd {
    /// Whether `Convolution` uses this algorithm where it applies; tests and `vqvae bench conv` turn it off.
    @TaskLocal public static var isEnabled = true
    /// The fewest tile columns a chunk's products should have: images are grouped until they reach it
    /// (4 images of 8×8 or 7×7, each 16 tiles, for two 32-wide column tiles of the microkernel).
    @TaskLocal public static var chunkColumns = 64
    /// Fewer channels on either side than this leave too little product to repay the transforms.
    public static let leastChannels = 16
    /// The most floats of one chunk's transformed tiles (16·max(C, F)·tiles): 4 MiB, a core's L2.
    /// Larger images keep im2col, which splits one image's work more finely.
    public static let tilesBudget = 1 << 20
    /// The 16 entries of a transformed tile: one matrix product each.
    static let positions = 16

    /// Whether `geometry` is a convolution this algorithm computes: 3×3 kernel, stride 1, padding 1, no
    /// dilation, one group, enough channels, and an image whose tiles fit `tilesBudget` (and
    /// at most 512 tiles wide, the C transforms' row buffers).
    public static func applies(to g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1 && g.dilation == 1 && g.groups == 1
            && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth && g.batch > 0
            && min(g.inputChannels, g.outputChannels) >= leastChannels && (g.inputWidth + 1) / 2 <= 512
            && positions * max(g.inputChannels, g.outputChannels) * tilesPerImage(g) <= tilesBudget
    }

    /// ⌈H/2⌉·⌈W/2⌉.
    static func tilesPerImage(_ g: ConvolutionGeometry) -> Int { (g.inputHeight + 1) / 2 * ((g.inputWidth + 1) / 2) }

    /// input (N, C, H, W), weight (F, C, 3, 3), bias (F) → output (N, F, H, W).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        precondition(applies(to: g), "Winograd.forward: \(g) is not a 3×3 stride-1 padding-1 convolution it computes")
        let (channels, filters) = (g.inputChannels, g.outputChannels)
        let output = Tensor.uninitialized(g.outputShape)
        let packed = packedFilters(weight.storage.pointer, filters: filters, channels: channels)
        defer { packed.forEach { $0.deallocate() } }
        let imagePointer = UnsafePointer(input.storage.pointer), outputPointer = output.storage.pointer
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        let tiling = WinogradTiling(geometry: g)
        tiling.run { _, images, _, scratch in
            let columns = tiling.columns(images)
            tiling.transformInputs(imagePointer, images: images, scratch: scratch)
            for position in 0..<positions {
                Gemm.multiply(packedA: packed[position], transposeB: true, n: columns,
                              b: scratch.inputs + position * columns * channels, ldb: channels,
                              c: scratch.products + position * filters * columns, ldc: columns)
            }
            tiling.transformProducts(scratch.products, images: images, bias: biasPointer, into: outputPointer)
        }
        return output
    }

    /// outputGradient (N, F, H, W), weight (F, C, 3, 3) → input gradient (N, C, H, W): `forward` of the
    /// output gradient with weightᵀ[c, f, i, j] = weight[f, c, 2 − i, 2 − j].
    public static func inputGradient(outputGradient: Tensor, weight: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        let (channels, filters) = (g.inputChannels, g.outputChannels)
        var flipped = Tensor.uninitialized([channels, filters, 3, 3])
        let source = weight.storage.pointer
        flipped.withUnsafeMutableBufferPointer { destination in
            for f in 0..<filters {
                for c in 0..<channels {
                    for tap in 0..<9 { destination[(c * filters + f) * 9 + 8 - tap] = source[(f * channels + c) * 9 + tap] }
                }
            }
        }
        let adjoint = ConvolutionGeometry(batch: g.batch, inputChannels: filters, inputHeight: g.inputHeight,
                                          inputWidth: g.inputWidth, outputChannels: channels, outputHeight: g.inputHeight,
                                          outputWidth: g.inputWidth, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1,
                                          dilation: 1, groups: 1)
        return forward(input: outputGradient, weight: flipped, bias: nil, geometry: adjoint)
    }

    /// input (N, C, H, W), outputGradient (N, F, H, W) → weight gradient (F, C, 3, 3).
    public static func weightGradient(input: Tensor, outputGradient: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        precondition(applies(to: g), "Winograd.weightGradient: \(g) is not a convolution it computes")
        let (channels, filters) = (g.inputChannels, g.outputChannels)
        let tiling = WinogradTiling(geometry: g)
        let transformedCount = positions * filters * channels
        let accumulators = ConvolutionScratch(count: tiling.shares.count * transformedCount)
        defer { accumulators.deallocate() }
        let imagePointer = UnsafePointer(input.storage.pointer)
        let gradientPointer = UnsafePointer(outputGradient.storage.pointer)
        tiling.run { share, images, isFirstChunk, scratch in
            let columns = tiling.columns(images)
            tiling.transformInputs(imagePointer, images: images, scratch: scratch)
            tiling.transformGradients(gradientPointer, images: images, scratch: scratch)
            let sum = accumulators.pointer + share * transformedCount
            for position in 0..<positions {
                Gemm.multiply(transposeA: true, m: filters, n: channels, k: columns,
                              a: scratch.products + position * columns * filters, lda: filters,
                              b: scratch.inputs + position * columns * channels, ldb: channels,
                              beta: isFirstChunk ? 0 : 1, c: sum + position * filters * channels, ldc: channels)
            }
        }
        let transformed = accumulators.summed(parts: tiling.shares.count, shape: [positions, filters, channels])
        return filterGradient(transformed.storage.pointer, filters: filters, channels: channels)
    }
}

// MARK: - The filter transforms

extension Winograd {
    /// The 16 matrices U_ξ (F, C) of weight (F, C, 3, 3), each packed for `Gemm.multiply(packedA:…)`.
    static func packedFilters(_ weight: UnsafePointer<Float>, filters: Int, channels: Int) -> [Gemm.PackedMatrix] {
        let transformed = ConvolutionScratch(count: positions * filters * channels)
        defer { transformed.deallocate() }
        transformFilters(weight, count: filters * channels, into: transformed.pointer)
        return (0..<positions).map { position in
            Gemm.PackedMatrix(rows: filters, depth: channels, a: transformed.pointer + position * filters * channels,
                              lda: channels)
        }
    }

    /// U = G g Gᵀ for each of `count` filters g (3×3, consecutive) → entry ξ of filter p at
    /// transformed[ξ·count + p].
    static func transformFilters(_ weight: UnsafePointer<Float>, count: Int, into transformed: UnsafeMutablePointer<Float>,
                                 kernel: Gemm.Kernel? = nil) {
        Parallel.forRanges(count, minimumPerChunk: 4096) { range in
            let status = vqk_winograd_filter_transform(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), weight + range.lowerBound * 9,
                                                       range.count, count, transformed + range.lowerBound)
            precondition(status == 0, "Winograd: this CPU cannot run the \(kernel ?? .default) kernel")
        }
    }

    /// The weight gradient dg = Gᵀ dU G (F, C, 3, 3) of the transformed filters' gradients dU, entry ξ
    /// of filter (f, c) at transformed[(ξ·F + f)·C + c].
    static func filterGradient(_ transformed: UnsafePointer<Float>, filters: Int, channels: Int,
                               kernel: Gemm.Kernel? = nil) -> Tensor {
        let count = filters * channels
        let gradient = Tensor.uninitialized([filters, channels, 3, 3])
        let destination = gradient.storage.pointer
        Parallel.forRanges(count, minimumPerChunk: 4096) { range in
            let status = vqk_winograd_filter_gradient(kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT), transformed + range.lowerBound,
                                                      range.count, count, destination + range.lowerBound * 9)
            precondition(status == 0, "Winograd: this CPU cannot run the \(kernel ?? .default) kernel")
        }
        return gradient
    }
}

/// How one Winograd call walks the batch: chunks of images whose tiles are the columns of the 16
/// products, and shares of chunks for the cores (`ConvolutionPlan.shares`). Chunk matrices are
/// (rows, B·tiles): image b of the chunk owns columns b·tiles ..< (b+1)·tiles.
struct WinogradTiling {
    let geometry: ConvolutionGeometry
    let tilesPerImage: Int
    let imagesPerChunk: Int
    let shares: [Range<Int>]
    /// The instruction set of the C transforms (nil: `Gemm.Kernel.default`); all give the same bits.
    let kernel: Gemm.Kernel?

    init(geometry g: ConvolutionGeometry, kernel: Gemm.Kernel? = nil) {
        geometry = g
        self.kernel = kernel
        tilesPerImage = Winograd.tilesPerImage(g)
        let workers = max(1, min(Parallel.workerCount, g.batch))
        let largestShare = (g.batch + workers - 1) / workers
        let wanted = (Winograd.chunkColumns + tilesPerImage - 1) / tilesPerImage
        let affordable = max(1, Winograd.tilesBudget / (Winograd.positions * max(g.inputChannels, g.outputChannels) * tilesPerImage))
        imagesPerChunk = max(1, min(wanted, affordable, largestShare))
        shares = ConvolutionPlan.shares(batch: g.batch, imagesPerChunk: imagesPerChunk, workers: workers)
    }

    /// B·tiles.
    func columns(_ images: Range<Int>) -> Int { images.count * tilesPerImage }

    /// Scratch of one share: the input tiles (16, columns, C), the product tiles (16, F, columns) or the
    /// gradient tiles (16, columns, F), one image turned channels-last (H·W, max(C, F)) and max(C, F) zeros.
    struct Scratch {
        let inputs: UnsafeMutablePointer<Float>
        let products: UnsafeMutablePointer<Float>
        let pixels: UnsafeMutablePointer<Float>
        let zeros: UnsafePointer<Float>
    }

    /// Runs `body(share, images, isFirstChunk, scratch)` for every chunk of every share, the shares in
    /// parallel and each share's chunks in order on one core (as `ConvolutionPlan.run`).
    func run(_ body: (_ share: Int, _ images: Range<Int>, _ isFirstChunk: Bool, _ scratch: Scratch) -> Void) {
        let g = geometry, most = Winograd.positions * imagesPerChunk * tilesPerImage
        let widest = max(g.inputChannels, g.outputChannels)
        Parallel.forEach(shares.count) { share in
            let inputs = ConvolutionScratch(count: most * g.inputChannels)
            let products = ConvolutionScratch(count: most * g.outputChannels)
            let pixels = ConvolutionScratch(count: g.inputArea * widest), zeros = ConvolutionScratch(count: widest)
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

    /// The chunk's images of input (N, C, H, W) → V (16, columns, C).
    func transformInputs(_ input: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) {
        tiles(of: input, channels: geometry.inputChannels, images: images, scratch: scratch, into: scratch.inputs,
              vqk_winograd_input_transform)
    }

    /// The chunk's images of the output gradient (N, F, H, W) → A e Aᵀ (16, columns, F).
    func transformGradients(_ gradient: UnsafePointer<Float>, images: Range<Int>, scratch: Scratch) {
        tiles(of: gradient, channels: geometry.outputChannels, images: images, scratch: scratch, into: scratch.products,
              vqk_winograd_gradient_transform)
    }

    /// The products (16, F, columns) → the chunk's images of output (N, F, H, W), plus the bias.
    func transformProducts(_ products: UnsafePointer<Float>, images: Range<Int>, bias: UnsafePointer<Float>?,
                           into output: UnsafeMutablePointer<Float>) {
        let g = geometry, columns = columns(images), planeSize = g.outputChannels * g.outputArea
        for n in images {
            let status = vqk_winograd_output_transform(kernelCode, products + (n - images.lowerBound) * tilesPerImage,
                                                       g.outputChannels * columns, columns, g.outputChannels,
                                                       g.outputHeight, g.outputWidth, bias, output + n * planeSize)
            precondition(status == 0, "Winograd: the output transform did not run (\(kernel ?? .default) kernel)")
        }
    }

    var kernelCode: Int32 { kernel?.rawValue ?? Int32(VQK_KERNEL_DEFAULT) }

    typealias TileTransform = (Int32, UnsafePointer<Float>?, Int, Int, Int, UnsafeMutablePointer<Float>?,
                               UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Int32

    /// One of the C expanding transforms over each image of the chunk: image b's tiles are rows
    /// b·tiles… of each position's (columns, channels) matrix.
    private func tiles(of source: UnsafePointer<Float>, channels: Int, images: Range<Int>, scratch: Scratch,
                       into destination: UnsafeMutablePointer<Float>, _ transform: TileTransform) {
        let g = geometry, columns = columns(images), planeSize = channels * g.inputArea
        for n in images {
            let status = transform(kernelCode, source + n * planeSize, channels, g.inputHeight, g.inputWidth, scratch.pixels,
                                   scratch.zeros, destination + (n - images.lowerBound) * tilesPerImage * channels,
                                   columns * channels)
            precondition(status == 0, "Winograd: the tile transform did not run (\(kernel ?? .default) kernel)")
        }
    }
}
