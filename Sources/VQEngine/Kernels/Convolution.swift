/// How the fast convolutions share the work between the cores.
public enum ConvolutionStrategy: String, CaseIterable, Sendable {
    /// The batch is cut into contiguous shares (up to 4 per core), each core takes shares as it frees up
    /// and runs im2col, col2im and the matrix products of their images by itself (a `Gemm.multiply`
    /// called from a parallel loop runs on its caller's core).
    case parallelOverBatch = "batch"
    /// Chunks of the batch one after another: im2col and col2im parallel over the chunk's images, each
    /// matrix product on all cores inside `Gemm.multiply`.
    case parallelInsideGemm = "gemm"
}

/// The fast convolutions: im2col / col2im (`Im2col`) around `Gemm.multiply`, on raw tensors (nothing
/// is recorded; the ops in `Tensor+Conv2d.swift` and `Tensor+ConvTranspose2d.swift` do that).
/// `ConvolutionNaive` is the reference twin.
///
/// The batch is cut into chunks of B images whose columns (per group (C/groups)·kh·kw rows, B·Ho·Wo
/// columns) are one GEMM operand. A chunk of one image multiplies straight into the tensors; larger
/// chunks, for small maps, gather and scatter the (F, Ho·Wo) planes of their images. 1×1 stride-1
/// unpadded convolutions skip im2col: the columns are the image itself. 3×3 stride-1 and 4×4 stride-2
/// padding-1 convolutions (and transposed convolutions) with 16 or more channels on both sides go
/// through `Winograd` instead, all passes (`Winograd.applies(to:)`).
public enum Convolution {
    /// How the work is shared between the cores (measured by `vqvae bench conv`).
    @TaskLocal public static var strategy: ConvolutionStrategy = .parallelOverBatch
    /// The fewest columns (B·Ho·Wo) a chunk's GEMM should have: images are grouped until they reach
    /// it. At 64, maps of 8×8 and larger go one image per chunk, which measured best with a fast GEMM
    /// (no gather or scatter, columns in L2); smaller maps are grouped so the GEMM is not too narrow.
    @TaskLocal public static var chunkColumns: Int = 64
    /// The most floats of im2col columns one worker builds at once (4 MiB: a core's L2 cache).
    public static let columnsBudget = 1 << 20

    /// input (N, C, H, W), weight (F, C/groups, kh, kw), bias (F) → output (N, F, Ho, Wo).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry) -> Tensor {
        if geometry.coversWholeInput { return wholeInputForward(input: input, weight: weight, bias: bias, geometry: geometry) }
        if usesWinograd(geometry) { return Winograd.forward(input: input, weight: weight, bias: bias, geometry: geometry) }
        return columnsPass(image: input, weight: weight, bias: bias, columnSide: nil, geometry: geometry).product!
    }

    /// `forward` when the kernel covers the whole input (`ConvolutionGeometry.coversWholeInput`): output
    /// (N, F) = input (N, C·kh·kw) · weight (F, C·kh·kw)ᵀ + bias, one product for the batch instead of a
    /// one-column product per image. Each output sums the same products in the same order as the
    /// im2col path (rows of a column are (c, i, j) in order), so both give the same bits.
    static func wholeInputForward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        let (n, f, depth) = (g.batch, g.outputChannels, g.inputChannels * g.kernelArea)
        let output = Tensor(zeros: [n, f, 1, 1])
        Gemm.multiply(transposeB: true, m: n, n: f, k: depth, a: input.storage.pointer, lda: depth,
                      b: weight.storage.pointer, ldb: depth, c: output.storage.pointer, ldc: f)
        if let bias {
            let values = output.storage.pointer, shift = bias.storage.pointer
            for image in 0..<n { for channel in 0..<f { values[image * f + channel] += shift[channel] } }
        }
        return output
    }

    /// outputGradient (N, F, Ho, Wo), weight (F, C/groups, kh, kw) → input gradient (N, C, H, W).
    public static func inputGradient(outputGradient: Tensor, weight: Tensor, geometry: ConvolutionGeometry) -> Tensor {
        if usesWinogradForInputGradient(geometry) {
            return Winograd.inputGradient(outputGradient: outputGradient, weight: weight, geometry: geometry)
        }
        return imagePass(columnSide: outputGradient, weight: weight, bias: nil, geometry: geometry)
    }

    /// input (N, C, H, W), outputGradient (N, F, Ho, Wo) → weight gradient (F, C/groups, kh, kw).
    public static func weightGradient(input: Tensor, outputGradient: Tensor, geometry: ConvolutionGeometry) -> Tensor {
        if usesWinograd(geometry) {
            return Winograd.weightGradient(input: input, outputGradient: outputGradient, geometry: geometry)
        }
        return columnsPass(image: input, weight: nil, bias: nil, columnSide: outputGradient, geometry: geometry).weightGradient!
    }

    /// Whether the convolutions of `geometry` go through `Winograd` (enabled, and it applies).
    static func usesWinograd(_ geometry: ConvolutionGeometry) -> Bool {
        Winograd.isEnabled && Winograd.applies(to: geometry)
    }

    /// Whether the input gradient (a transposed convolution's forward) goes through `Winograd`: always for
    /// 3×3 convolutions. A 4×4 stride-2 one's is a pass onto the phase grid (Ho + 1) × (Wo + 1) whose
    /// outputs scatter two apart; it takes it when that grid fills its tiles to
    /// `Winograd.leastPhaseGridFill` and keeps col2im otherwise. Measured on 128 → 64 channels, batch 32
    /// (BENCHMARKS.md): 7×7 maps (an 8×8 grid, 4 whole tiles) 1.63 ms against col2im's 1.96; 8×8 maps (a
    /// 9×9 grid in 9 tiles of 16: 56% filled) 4.2 ms against 1.9.
    static func usesWinogradForInputGradient(_ geometry: ConvolutionGeometry) -> Bool {
        guard usesWinograd(geometry) else { return false }
        return Winograd.isSameThreeByThree(geometry)
            || WinogradProblem.inputGradient(geometry).tileFill >= Winograd.leastPhaseGridFill
    }

    /// The transposed convolution, in the geometry's terms: input (N, F, Ho, Wo),
    /// weight (F, C/groups, kh, kw), bias (C) → output (N, C, H, W).
    public static func transposedForward(input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry) -> Tensor {
        guard usesWinogradForInputGradient(geometry) else {
            return imagePass(columnSide: input, weight: weight, bias: bias, geometry: geometry)
        }
        return Winograd.transposedForward(input: input, weight: weight, bias: bias, geometry: geometry)
    }

    /// The transposed convolution's input and weight gradients from one im2col of outputGradient
    /// (N, C, H, W): input gradient (N, F, Ho, Wo) = its convolution with the weight, weight gradient
    /// (F, C/groups, kh, kw) = Σ input · columnsᵀ. Either is skipped (nil) when not wanted.
    public static func transposedGradients(input: Tensor, outputGradient: Tensor, weight: Tensor, geometry: ConvolutionGeometry,
                                           wantsInput: Bool, wantsWeight: Bool) -> (input: Tensor?, weight: Tensor?) {
        guard wantsInput || wantsWeight else { return (nil, nil) }
        if usesWinograd(geometry) {
            return (wantsInput ? Winograd.forward(input: outputGradient, weight: weight, bias: nil, geometry: geometry) : nil,
                    wantsWeight ? Winograd.weightGradient(input: outputGradient, outputGradient: input, geometry: geometry) : nil)
        }
        let result = columnsPass(image: outputGradient, weight: wantsInput ? weight : nil, bias: nil,
                                 columnSide: wantsWeight ? input : nil, geometry: geometry)
        return (result.product, result.weightGradient)
    }

    /// The sum over the batch and the pixels of each channel: (N, C, …) → (C). The gradient of a bias.
    public static func channelSums(_ tensor: Tensor) -> Tensor {
        let batch = tensor.shape[0], channels = tensor.shape[1]
        let area = tensor.count / max(batch * channels, 1)
        let sums = Tensor(zeros: [channels])
        let source = tensor.storage.pointer, destination = sums.storage.pointer
        Parallel.forRanges(channels, minimumPerChunk: max(1, 16_384 / max(batch * area, 1))) { range in
            for channel in range {
                var sum: Float = 0
                for image in 0..<batch { sum += sumOf(source + (image * channels + channel) * area, count: area) }
                destination[channel] = sum
            }
        }
        return sums
    }
}

// MARK: - The two passes

extension Convolution {
    /// Per chunk of images, columns = im2col(image (N, C, H, W)), then
    /// - with `weight`: product (N, F, Ho, Wo) = weight · columns + bias (convolution forward; the
    ///   transposed convolution's input gradient);
    /// - with `columnSide` (N, F, Ho, Wo): weight gradient (F, C/groups, kh, kw) = Σ columnSide · columnsᵀ.
    static func columnsPass(image: Tensor, weight: Tensor?, bias: Tensor?, columnSide: Tensor?,
                            geometry g: ConvolutionGeometry) -> (product: Tensor?, weightGradient: Tensor?) {
        let product = weight.map { _ in Tensor.uninitialized(g.outputShape) }
        let weightCount = g.weightShape.reduce(1, *)
        let plan = ConvolutionPlan(geometry: g, strategy: strategy, chunkColumns: chunkColumns)
        let accumulators = columnSide == nil ? nil : ConvolutionScratch(count: plan.shareCount * weightCount)
        defer { accumulators?.deallocate() }
        let imagePointer = UnsafePointer(image.storage.pointer), productPointer = product?.storage.pointer
        let packedWeight = weight.map { plan.packedWeight(UnsafePointer($0.storage.pointer)) }
        defer { packedWeight?.forEach { $0.deallocate() } }
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        let sidePointer = columnSide.map { UnsafePointer($0.storage.pointer) }

        plan.run { share, images, isFirstChunk, buffers in
            let columns = plan.columns(of: imagePointer, images: images, buffers: buffers)
            if let packedWeight, let productPointer {
                let output = plan.outputMatrix(productPointer, images: images, buffers: buffers)
                plan.multiplyWeight(packedWeight, columns, into: output, images: images)
                plan.finishOutput(output, into: productPointer, images: images, bias: biasPointer)
            }
            if let sidePointer, let accumulators {
                let side = plan.gathered(sidePointer, images: images, buffers: buffers)
                plan.accumulateWeightGradient(side, columns, into: accumulators.pointer + share * weightCount, images: images,
                                              overwriting: isFirstChunk)
            }
        }
        let weightGradient = accumulators.map { $0.summed(parts: plan.shareCount, shape: g.weightShape) }
        return (product, weightGradient)
    }

    /// Per chunk of images, columns = weightᵀ · columnSide (N, F, Ho, Wo), then
    /// image (N, C, H, W) = col2im(columns) + bias (convolution input gradient; transposed convolution).
    static func imagePass(columnSide: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        let image = Tensor.uninitialized(g.inputShape)
        let plan = ConvolutionPlan(geometry: g, strategy: strategy, chunkColumns: chunkColumns)
        let imagePointer = image.storage.pointer
        let packedWeight = plan.packedWeightTransposed(UnsafePointer(weight.storage.pointer))
        defer { packedWeight.forEach { $0.deallocate() } }
        let sidePointer = UnsafePointer(columnSide.storage.pointer)
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        plan.run { _, images, _, buffers in
            let side = plan.gathered(sidePointer, images: images, buffers: buffers)
            let columns = plan.columnsDestination(imagePointer, images: images, buffers: buffers)
            plan.multiplyWeightTransposed(packedWeight, side, into: columns, images: images)
            plan.columnsToImages(columns, imagePointer, images: images, bias: biasPointer)
        }
        return image
    }
}
