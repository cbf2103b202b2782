import Testing
import _VQTestSupport
@testable import VQEngine

/// `Winograd` against its twins, for F(2×2, 3×3), F(4×4, 3×3) and F(4×4, 2×2): the C transforms against
/// `WinogradNaive` (the matrices Bᵀ, G, Aᵀ applied by definition in Double), and the three passes of
/// 3×3 and 4×4 stride-2 convolutions (and transposed convolutions) against `ConvolutionNaive` (the
/// convolution's own definition). Shapes are odd on purpose: heights and widths that leave part-empty
/// tiles, channel counts that are not multiples of any vector width, batches that do not fill the last
/// chunk.
@Suite struct WinogradTests {
    /// (m, r) of each variant.
    static let variants = [(2, 3), (4, 3), (4, 2)]
    static let transformShapes = [(3, 7, 5), (2, 1, 1), (2, 8, 8), (1, 6, 9), (5, 2, 13), (19, 4, 4), (17, 10, 7)]

    /// A problem reading (2, channels, height, width) images with padding 1 over an output grid of the same size.
    private static func problem(_ variant: (Int, Int), channels: Int, height: Int, width: Int) -> WinogradProblem {
        WinogradProblem(batch: 2, channels: channels, height: height, width: width, outputChannels: channels,
                        outputHeight: height, outputWidth: width, tile: variant.0, taps: variant.1)
    }

    /// Scratch for a tiling, freed by `deallocate`.
    private struct Buffers {
        let storage: [ConvolutionScratch]
        let scratch: WinogradTiling.Scratch

        init(_ problem: WinogradProblem) {
            let count = problem.positions * max(problem.depth, problem.outputChannels) * 2 * problem.tilesPerImage
                + problem.channels * problem.height * problem.width + problem.outputChannels * problem.outputHeight * problem.outputWidth
            storage = (0..<4).map { _ in ConvolutionScratch(count: count) }
            storage[3].pointer.update(repeating: 0, count: count)
            scratch = WinogradTiling.Scratch(inputs: storage[0].pointer, products: storage[1].pointer, pixels: storage[2].pointer,
                                             zeros: UnsafePointer(storage[3].pointer))
        }

        func deallocate() { storage.forEach { $0.deallocate() } }
    }

    /// Two images' transforms one above the other (rows 0..<tiles, tiles..<2·tiles of each position's
    /// (tiles, C) matrix) against the twin's, per image, with every instruction set this CPU has:
    /// close to the twin, and the same bits from each.
    private func expectTileTransform(_ variant: (Int, Int), channels: Int, height: Int, width: Int, gradient: Bool,
                                     naive: ([Float]) -> [Float]) {
        var generator = RandomGenerator(seed: 11)
        let images = Tensor(uniform: [2, channels, height, width], low: -1, high: 1, generator: &generator)
        let problem = Self.problem(variant, channels: channels, height: height, width: width)
        let comment = "\(gradient ? "A e Aᵀ" : "Bᵀ d B") F(\(variant.0), \(variant.1)) \(channels)×\(height)×\(width)"
        var results: [[UInt32]] = []
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            let tiling = WinogradTiling(problem: problem, kernel: kernel), buffers = Buffers(problem)
            defer { buffers.deallocate() }
            if gradient {
                tiling.transformGradients(images.storage.pointer, images: 0..<2, scratch: buffers.scratch)
            } else {
                tiling.transformInputs(images.storage.pointer, images: 0..<2, scratch: buffers.scratch)
            }
            let tiles = tiling.tilesPerImage, columns = 2 * tiles
            let output = Array(UnsafeBufferPointer(start: gradient ? buffers.scratch.products : buffers.scratch.inputs,
                                                   count: problem.positions * channels * columns))
            results.append(output.map(\.bitPattern))
            let imageSize = channels * height * width
            for image in 0..<2 {
                let expected = naive(Array(images.scalars[(image * imageSize)..<((image + 1) * imageSize)]))
                var actual = [Float]()
                for position in 0..<problem.positions {
                    let start = (position * columns + image * tiles) * channels
                    actual += output[start..<(start + tiles * channels)]
                }
                expectClose(actual, expected, absolute: 2e-5, relative: 1e-5, "\(comment) image \(image) \(kernel)")
            }
        }
        #expect(results.allSatisfy { $0 == results[0] }, "\(comment): every instruction set gives the same bits")
    }

    @Test(arguments: variants, transformShapes)
    func inputTransformMatchesTheMatrices(variant: (Int, Int), shape: (channels: Int, height: Int, width: Int)) {
        let (channels, height, width) = shape
        expectTileTransform(variant, channels: channels, height: height, width: width, gradient: false) {
            WinogradNaive.inputTiles($0, channels: channels, height: height, width: width, tile: variant.0, taps: variant.1)
        }
    }

    @Test(arguments: variants, transformShapes)
    func gradientTransformMatchesTheMatrices(variant: (Int, Int), shape: (channels: Int, height: Int, width: Int)) {
        let (channels, height, width) = shape
        expectTileTransform(variant, channels: channels, height: height, width: width, gradient: true) {
            WinogradNaive.gradientTiles($0, channels: channels, height: height, width: width, tile: variant.0, taps: variant.1)
        }
    }

    @Test(arguments: variants, transformShapes)
    func outputTransformMatchesTheMatrices(variant: (Int, Int), shape: (channels: Int, height: Int, width: Int)) {
        let (channels, height, width) = shape
        var generator = RandomGenerator(seed: 12)
        let problem = Self.problem(variant, channels: channels, height: height, width: width)
        let tiling = WinogradTiling(problem: problem)
        let tiles = tiling.tilesPerImage, columns = 2 * tiles
        let products = Tensor(uniform: [problem.positions, channels, columns], low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [channels], low: -1, high: 1, generator: &generator)
        let output = Tensor(zeros: [2, channels, height, width])
        tiling.transformProducts(products.storage.pointer, images: 0..<2, bias: bias.storage.pointer, into: output.storage.pointer)
        for image in 0..<2 {
            var mine = [Float]()
            for row in 0..<(problem.positions * channels) {
                mine += (0..<tiles).map { products.scalars[row * columns + image * tiles + $0] }
            }
            let expected = WinogradNaive.outputImage(mine, channels: channels, height: height, width: width, bias: bias.scalars,
                                                     tile: variant.0, taps: variant.1)
            let size = channels * height * width
            expectClose(Array(output.scalars[(image * size)..<((image + 1) * size)]), expected, absolute: 2e-5, relative: 1e-5,
                        "Aᵀ m A F(\(variant.0), \(variant.1)) \(channels)×\(height)×\(width) image \(image)")
        }
    }

    /// The stride-2 input gradient's output transform, which writes its 4·C product channels as the
    /// four phases of a (C, 2·(H − 1), 2·(W − 1)) image, against the twin's plain transform of the
    /// 4·C-channel grid image interleaved by definition: channel φC + c, φ = 2p + q, at (y, x) goes to
    /// row 2y + p − 1, column 2x + q − 1 of channel c. Five images of phase grids from 2×2 to 9×13, so
    /// blocks of 16 and more tiles (AVX-512 interleaves 16 tiles at once) and leftover tiles; every
    /// instruction set, the same bits.
    @Test(arguments: [(2, 2), (8, 8), (9, 9), (5, 3), (9, 13)])
    func phaseOutputTransformInterleavesThePhases(grid: (height: Int, width: Int)) {
        let (height, width, planes, images) = (grid.height, grid.width, 5, 5)
        var generator = RandomGenerator(seed: 17)
        let problem = WinogradProblem(batch: images, channels: 16, height: height - 1, width: width - 1,
                                      outputChannels: 4 * planes, outputHeight: height, outputWidth: width, tile: 4, taps: 2,
                                      writesPhases: true)
        let tiles = problem.tilesPerImage, columns = images * tiles
        let products = Tensor(uniform: [problem.positions, 4 * planes, columns], low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [4 * planes], low: -1, high: 1, generator: &generator)
        let (outHeight, outWidth) = (2 * (height - 1), 2 * (width - 1))
        var results: [[UInt32]] = []
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            let output = Tensor(zeros: [images, planes, outHeight, outWidth])
            WinogradTiling(problem: problem, kernel: kernel).transformProducts(products.storage.pointer, images: 0..<images,
                                                                               bias: bias.storage.pointer,
                                                                               into: output.storage.pointer)
            results.append(output.scalars.map(\.bitPattern))
            for image in 0..<images {
                var mine = [Float]()
                for row in 0..<(problem.positions * 4 * planes) {
                    mine += (0..<tiles).map { products.scalars[row * columns + image * tiles + $0] }
                }
                let gridImage = WinogradNaive.outputImage(mine, channels: 4 * planes, height: height, width: width,
                                                          bias: bias.scalars, tile: 4, taps: 2)
                var expected = [Float](repeating: 0, count: planes * outHeight * outWidth)
                for phase in 0..<4 {
                    for c in 0..<planes {
                        for y in 0..<height {
                            for x in 0..<width {
                                let (row, column) = (2 * y + phase / 2 - 1, 2 * x + phase % 2 - 1)
                                guard (0..<outHeight).contains(row), (0..<outWidth).contains(column) else { continue }
                                expected[(c * outHeight + row) * outWidth + column] = gridImage[((phase * planes + c) * height + y) * width + x]
                            }
                        }
                    }
                }
                let size = planes * outHeight * outWidth
                expectClose(Array(output.scalars[(image * size)..<((image + 1) * size)]), expected, absolute: 2e-5,
                            relative: 1e-5, "phases of a \(height)×\(width) grid, image \(image), \(kernel)")
            }
        }
        #expect(results.allSatisfy { $0 == results[0] }, "\(height)×\(width): every instruction set gives the same bits")
    }

    @Test(arguments: variants)
    func filterTransformAndItsAdjointMatchTheMatrices(variant: (Int, Int)) {
        let (tile, taps) = variant
        var generator = RandomGenerator(seed: 13)
        let count = 4100, positions = WinogradProblem.positions(tile: tile, taps: taps)  // more than one parallel piece
        let weight = Tensor(uniform: [count, taps, taps], low: -1, high: 1, generator: &generator)
        let gradient = Tensor(uniform: [positions, count, 1], low: -1, high: 1, generator: &generator)
        let partsTensor = Tensor(uniform: [3, positions, count, 1], low: -1, high: 1, generator: &generator)
        let parts = (0..<3).map { Array(partsTensor.scalars[($0 * positions * count)..<(($0 + 1) * positions * count)]) }
        var results: [[UInt32]] = []
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            let transformed = ConvolutionScratch(count: positions * count)
            defer { transformed.deallocate() }
            Winograd.transformFilters(weight.storage.pointer, count: count, tile: tile, taps: taps, into: transformed.pointer,
                                      kernel: kernel)
            let fast = Array(UnsafeBufferPointer(start: transformed.pointer, count: positions * count))
            expectClose(fast, WinogradNaive.filters(weight.scalars, count: count, tile: tile, taps: taps), absolute: 1e-6,
                        relative: 1e-5, "G g Gᵀ F(\(tile), \(taps)) \(kernel)")
            let back = Winograd.filterGradient(gradient.storage.pointer, filters: count, channels: 1, tile: tile, taps: taps,
                                               kernel: kernel)
            expectClose(back.scalars, WinogradNaive.filterGradient(gradient.scalars, count: count, tile: tile, taps: taps),
                        absolute: 1e-6, relative: 1e-5, "Gᵀ dU G F(\(tile), \(taps)) \(kernel)")
            // Three accumulators summed as the transform reads them: the bits of summing them first, in order.
            let summed = Tensor(shape: [positions, count, 1], scalars: zip(zip(parts[0], parts[1]), parts[2]).map { ($0.0 + $0.1) + $1 })
            let (fused, first) = withExtendedLifetime((partsTensor, summed)) {
                (Winograd.filterGradient(partsTensor.storage.pointer, parts: 3, filters: count, channels: 1, tile: tile,
                                         taps: taps, kernel: kernel),
                 Winograd.filterGradient(summed.storage.pointer, filters: count, channels: 1, tile: tile, taps: taps,
                                         kernel: kernel))
            }
            #expect(fused.scalars.map(\.bitPattern) == first.scalars.map(\.bitPattern), "3 parts F(\(tile), \(taps)) \(kernel)")
            results.append((fast + back.scalars + fused.scalars).map(\.bitPattern))
        }
        #expect(results.allSatisfy { $0 == results[0] }, "every instruction set gives the same bits")
    }

    /// The filters transformed straight into the products' packed layout against the twin: the
    /// filters rearranged by definition (`WinogradNaive.passFilters`), transformed (`transformFilters`,
    /// held to the matrices above) and packed by the sgemm. Compared through a product with the same
    /// operand, bit for bit, on every instruction set: rows that are not a multiple of any kernel's
    /// row tile, and depths of 400 (two k blocks of 200) and 13.
    @Test(arguments: [false, true], [false, true])
    func packedFiltersMatchTransformThenPack(strided: Bool, forInputGradient: Bool) {
        var generator = RandomGenerator(seed: 16)
        let g = Self.geometry(batch: 1, channels: strided ? 100 : 400, filters: 13, height: 8, width: 8, strided: strided)
        let weight = Tensor(uniform: g.weightShape, low: -1, high: 1, generator: &generator)
        let (tile, taps) = (4, strided ? 2 : 3), positions = WinogradProblem.positions(tile: tile, taps: taps)
        let depthOfPass = strided ? 4 * g.inputChannels : g.inputChannels
        let (rows, depth) = forInputGradient ? (depthOfPass, g.outputChannels) : (g.outputChannels, depthOfPass)
        let arranged = WinogradNaive.passFilters(weight.scalars, geometry: g, forInputGradient: forInputGradient)
        let operand = Tensor(uniform: [depth, 7], low: -1, high: 1, generator: &generator)
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            let fused = withExtendedLifetime(weight) {
                Winograd.PackedFilters(weight.storage.pointer, layout: Winograd.filterLayout(g, forInputGradient: forInputGradient),
                                       rows: rows, depth: depth, tile: tile, taps: taps, kernel: kernel)
            }
            defer { fused.deallocate() }
            let transformed = ConvolutionScratch(count: positions * rows * depth)
            defer { transformed.deallocate() }
            arranged.withUnsafeBufferPointer {
                Winograd.transformFilters($0.baseAddress!, count: rows * depth, tile: tile, taps: taps, into: transformed.pointer,
                                          kernel: kernel)
            }
            for position in 0..<positions {
                let twin = Gemm.PackedMatrix(rows: rows, depth: depth, a: transformed.pointer + position * rows * depth, lda: depth,
                                             kernel: kernel)
                defer { twin.deallocate() }
                let products = [fused.matrices[position], twin].map { packed in
                    var c = [Float](repeating: 0, count: rows * 7)
                    withExtendedLifetime(operand) {
                        c.withUnsafeMutableBufferPointer {
                            Gemm.multiply(packedA: packed, n: 7, b: operand.storage.pointer, ldb: 7, c: $0.baseAddress!, ldc: 7)
                        }
                    }
                    return c.map(\.bitPattern)
                }
                #expect(products[0] == products[1], "position \(position), \(kernel), strided \(strided), input gradient \(forInputGradient)")
            }
        }
    }

    // MARK: - Whole convolutions

    private static func geometry(batch: Int, channels: Int, filters: Int, height: Int, width: Int,
                                 strided: Bool = false) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputChannels: channels, inputHeight: height, inputWidth: width,
                            outputChannels: filters, outputHeight: strided ? height / 2 : height,
                            outputWidth: strided ? width / 2 : width, kernelHeight: strided ? 4 : 3, kernelWidth: strided ? 4 : 3,
                            stride: HeightWidth(strided ? 2 : 1), padding: 1, dilation: 1, groups: 1)
    }

    /// The three passes through `Convolution`'s entry points (Winograd's, as `usesWinograd` says) against
    /// the naive convolution; the transposed convolution's too for the stride-2 kind.
    private func expectThreePassesMatch(_ g: ConvolutionGeometry, _ comment: String) {
        var generator = RandomGenerator(seed: 14)
        #expect(Winograd.applies(to: g) && Convolution.usesWinograd(g), "\(comment)")
        let input = Tensor(uniform: g.inputShape, low: -1, high: 1, generator: &generator)
        let weight = Tensor(uniform: g.weightShape, low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [g.outputChannels], low: -1, high: 1, generator: &generator)
        let cotangent = Tensor(uniform: g.outputShape, low: -1, high: 1, generator: &generator)
        expectClose(Convolution.forward(input: input, weight: weight, bias: bias, geometry: g),
                    ConvolutionNaive.forward(input: input, weight: weight, bias: bias, geometry: g),
                    absolute: 1e-4, relative: 1e-4, "forward \(comment)")
        let expectedInputGradient = ConvolutionNaive.inputGradient(outputGradient: cotangent, weight: weight, geometry: g)
        expectClose(Convolution.inputGradient(outputGradient: cotangent, weight: weight, geometry: g), expectedInputGradient,
                    absolute: 1e-4, relative: 1e-4, "input gradient \(comment)")
        // Winograd's own input gradient; for the stride-2 kind `Convolution` takes col2im's where the phase
        // grid overhangs its tiles, so this is where that pass is checked on every shape.
        expectClose(Winograd.inputGradient(outputGradient: cotangent, weight: weight, geometry: g), expectedInputGradient,
                    absolute: 1e-4, relative: 1e-4, "Winograd input gradient \(comment)")
        expectClose(Convolution.weightGradient(input: input, outputGradient: cotangent, geometry: g),
                    ConvolutionNaive.weightGradient(input: input, outputGradient: cotangent, geometry: g),
                    absolute: 2e-4, relative: 1e-4, "weight gradient \(comment)")
        guard g.stride == 2 else { return }
        // The transposed convolution of this geometry: input (N, F, Ho, Wo) → (N, C, H, W).
        let transposedBias = Tensor(uniform: [g.inputChannels], low: -1, high: 1, generator: &generator)
        let transposedCotangent = Tensor(uniform: g.inputShape, low: -1, high: 1, generator: &generator)
        expectClose(Convolution.transposedForward(input: cotangent, weight: weight, bias: transposedBias, geometry: g),
                    ConvolutionNaive.transposedForward(input: cotangent, weight: weight, bias: transposedBias, geometry: g),
                    absolute: 1e-4, relative: 1e-4, "transposed forward \(comment)")
        let gradients = Convolution.transposedGradients(input: cotangent, outputGradient: transposedCotangent, weight: weight,
                                                        geometry: g, wantsInput: true, wantsWeight: true)
        expectClose(gradients.input!, ConvolutionNaive.forward(input: transposedCotangent, weight: weight, bias: nil, geometry: g),
                    absolute: 1e-4, relative: 1e-4, "transposed input gradient \(comment)")
        expectClose(gradients.weight!, ConvolutionNaive.weightGradient(input: transposedCotangent, outputGradient: cotangent,
                                                                        geometry: g),
                    absolute: 2e-4, relative: 1e-4, "transposed weight gradient \(comment)")
    }

    // (batch, channels, filters, height, width): the Sonnet VQ-VAE's 8×8 and 7×7 maps in miniature,
    // a batch of 9 (chunks of 8 and 1), 8 images of 7×7 (16 tile columns per chunk, as the AVX-512
    // output scatter takes them, with cropped tiles among them), one row, one column, an odd width of 11.
    static let sameShapes = [(9, 16, 17, 8, 8), (3, 20, 16, 7, 7), (8, 16, 17, 7, 7), (1, 16, 24, 1, 3), (2, 17, 16, 2, 11),
                             (4, 16, 16, 5, 1)]

    @Test(arguments: [2, 4], sameShapes)
    func threeByThreePassesMatchTheNaiveConvolution(tile: Int, shape: (batch: Int, channels: Int, filters: Int, height: Int, width: Int)) {
        let (batch, channels, filters, height, width) = shape
        Winograd.$outputTile.withValue(tile) {
            expectThreePassesMatch(Self.geometry(batch: batch, channels: channels, filters: filters, height: height, width: width),
                                   "3×3, m \(tile), \(batch)×\(channels)×\(height)×\(width) → \(filters)")
        }
    }

    // The Sonnet VQ-VAE's encoder.conv2 in miniature (16×16 → 8×8 and 14×14 → 7×7; 8 images of 14×14 give
    // the input gradient's output transform 16 tiles per chunk, as AVX-512 interleaves them), a batch of 9,
    // maps of 2×2 → 1×1 and 10×6 → 5×3 (part-empty tiles), 17 and 20 channels.
    static let stridedShapes = [(9, 16, 17, 16, 16), (3, 17, 16, 14, 14), (8, 16, 19, 14, 14), (2, 16, 16, 2, 2),
                                (2, 20, 16, 10, 6)]

    @Test(arguments: stridedShapes)
    func stridedPassesMatchTheNaiveConvolution(shape: (batch: Int, channels: Int, filters: Int, height: Int, width: Int)) {
        let (batch, channels, filters, height, width) = shape
        expectThreePassesMatch(Self.geometry(batch: batch, channels: channels, filters: filters, height: height, width: width,
                                             strided: true),
                               "4×4 stride 2, \(batch)×\(channels)×\(height)×\(width) → \(filters)")
    }

    @Test(arguments: [2, 4])
    func chunkingNeverChangesTheForwardBits(tile: Int) {
        // Each image's tiles are columns of the products, and a column's sum does not depend on how
        // many columns share the product: the output is the same for any grouping of the batch.
        var generator = RandomGenerator(seed: 15)
        for g in [Self.geometry(batch: 7, channels: 16, filters: 32, height: 7, width: 7),
                  Self.geometry(batch: 7, channels: 16, filters: 32, height: 14, width: 14, strided: true)] {
            let input = Tensor(uniform: g.inputShape, low: -1, high: 1, generator: &generator)
            let weight = Tensor(uniform: g.weightShape, low: -1, high: 1, generator: &generator)
            let outputs = [4, 16, 64, 512].map { columns in
                Winograd.$outputTile.withValue(tile) {
                    Winograd.$chunkColumns.withValue(columns) {
                        Winograd.forward(input: input, weight: weight, bias: nil, geometry: g).scalars.map(\.bitPattern)
                    }
                }
            }
            #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(g.kernelHeight)×\(g.kernelWidth)")
        }
    }

    @Test func appliesOnlyWhereItComputesTheConvolution() {
        #expect(Winograd.applies(to: Self.geometry(batch: 32, channels: 128, filters: 32, height: 8, width: 8)))
        #expect(Winograd.applies(to: Self.geometry(batch: 32, channels: 64, filters: 128, height: 14, width: 14, strided: true)))
        func changed(_ body: (inout (kernel: Int, stride: Int, padding: Int, groups: Int, channels: Int, side: Int)) -> Void) -> Bool {
            var s = (kernel: 3, stride: 1, padding: 1, groups: 1, channels: 32, side: 8)
            body(&s)
            let size = (s.side + 2 * s.padding - s.kernel) / s.stride + 1
            return Winograd.applies(to: ConvolutionGeometry(
                batch: 4, inputChannels: s.channels, inputHeight: s.side, inputWidth: s.side, outputChannels: 32,
                outputHeight: size, outputWidth: size, kernelHeight: s.kernel, kernelWidth: s.kernel,
                stride: HeightWidth(s.stride), padding: HeightWidth(s.padding), dilation: 1, groups: s.groups))
        }
        #expect(changed { _ in })
        #expect(changed { $0.kernel = 4; $0.stride = 2 })
        #expect(!changed { $0.kernel = 4 })
        #expect(!changed { $0.stride = 2 })
        #expect(!changed { $0.kernel = 4; $0.stride = 2; $0.side = 7 })  // odd input: no four equal phases
        #expect(!changed { $0.padding = 0 })
        #expect(!changed { $0.groups = 2 })
        #expect(!changed { $0.channels = 15 })
        #expect(!changed { $0.side = 64; $0.channels = 128 })  // 36 · 128 · 256 tiles: more than the budget
        let sonnet = Self.geometry(batch: 32, channels: 128, filters: 32, height: 8, width: 8)
        #expect(!Winograd.$isEnabled.withValue(false) { Convolution.usesWinograd(sonnet) })
    }

    @Test func stridedInputGradientTakesWinogradWhereThePhaseGridFillsItsTiles() {
        // 14×14 → 7×7: the phase grid is 8×8, two whole tiles each way (fill 1). 16×16 → 8×8: 9×9 in
        // 3×3 tiles of 16 (81 of 144, 0.56). 10×6 → 5×3: 6×4 in 2×1 tiles (24 of 32, 0.75).
        let fills = [(14, 14, 1.0, true), (16, 16, 81.0 / 144, false), (10, 6, 0.75, false)]
        for (height, width, fill, takes) in fills {
            let g = Self.geometry(batch: 4, channels: 64, filters: 128, height: height, width: width, strided: true)
            #expect(abs(WinogradProblem.inputGradient(g).tileFill - fill) < 1e-12, "\(height)×\(width)")
            #expect(Convolution.usesWinogradForInputGradient(g) == takes, "\(height)×\(width)")
            #expect(!Winograd.$isEnabled.withValue(false) { Convolution.usesWinogradForInputGradient(g) })
        }
        #expect(Convolution.usesWinogradForInputGradient(Self.geometry(batch: 4, channels: 16, filters: 16, height: 5, width: 5)))
    }
}
