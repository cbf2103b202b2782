import Testing
import _VQTestSupport
@testable import VQEngine

/// `Winograd` against its twins: the C tile transforms and the Swift filter transforms against
/// `WinogradNaive` (the matrices Bᵀ, G, Aᵀ of Lavin and Gray's F(2×2, 3×3), applied by definition in
/// Double), and the three convolution passes against `ConvolutionNaive` (the convolution's own
/// definition). Shapes are odd on purpose: odd heights and widths leave half-empty tiles, channel
/// counts are not multiples of any vector width, batches do not fill the last chunk.
@Suite struct WinogradTests {
    private static func geometry(batch: Int, channels: Int, filters: Int, height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputChannels: channels, inputHeight: height, inputWidth: width,
                            outputChannels: filters, outputHeight: height, outputWidth: width,
                            kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, dilation: 1, groups: 1)
    }

    /// Two images' transforms one above the other (rows 0..<tiles, tiles..<2·tiles of each position's
    /// (tiles, C) matrix) against the twin's, per image, with every instruction set this CPU has:
    /// close to the twin, and the same bits from each.
    private func expectTileTransform(channels: Int, height: Int, width: Int,
                                     fast: (WinogradTiling, UnsafePointer<Float>, WinogradTiling.Scratch) -> Void,
                                     naive: ([Float]) -> [Float], comment: String) {
        var generator = RandomGenerator(seed: 11)
        let images = Tensor(uniform: [2, channels, height, width], low: -1, high: 1, generator: &generator)
        let g = Self.geometry(batch: 2, channels: channels, filters: channels, height: height, width: width)
        var results: [[UInt32]] = []
        for kernel in Gemm.Kernel.allCases where kernel.isSupported {
            let tiling = WinogradTiling(geometry: g, kernel: kernel)
            let tiles = tiling.tilesPerImage, columns = 2 * tiles
            let buffers = (0..<4).map { _ in ConvolutionScratch(count: 16 * channels * columns) }
            defer { buffers.forEach { $0.deallocate() } }
            buffers[3].pointer.update(repeating: 0, count: channels)
            let scratch = WinogradTiling.Scratch(inputs: buffers[0].pointer, products: buffers[1].pointer,
                                                 pixels: buffers[2].pointer, zeros: UnsafePointer(buffers[3].pointer))
            fast(tiling, images.storage.pointer, scratch)
            // The input transform writes `inputs`, the gradient transform `products`.
            let output = Array(UnsafeBufferPointer(start: comment.hasPrefix("B") ? scratch.inputs : scratch.products,
                                                   count: 16 * channels * columns))
            results.append(output.map(\.bitPattern))
            let imageSize = channels * height * width
            for image in 0..<2 {
                let expected = naive(Array(images.scalars[(image * imageSize)..<((image + 1) * imageSize)]))
                var actual = [Float]()
                for position in 0..<16 {
                    let start = (position * columns + image * tiles) * channels
                    actual += output[start..<(start + tiles * channels)]
                }
                expectClose(actual, expected, absolute: 1e-6, relative: 1e-6, "\(comment) image \(image) \(kernel)")
            }
        }
        #expect(results.allSatisfy { $0 == results[0] }, "\(comment): every instruction set gives the same bits")
    }

    @Test(arguments: [(3, 7, 5), (2, 1, 1), (2, 8, 8), (1, 6, 9), (5, 2, 13), (19, 4, 4)])
    func inputTransformMatchesTheMatrices(channels: Int, height: Int, width: Int) {
        expectTileTransform(channels: channels, height: height, width: width,
                            fast: { tiling, images, scratch in tiling.transformInputs(images, images: 0..<2, scratch: scratch) },
                            naive: { WinogradNaive.inputTiles($0, channels: channels, height: height, width: width) },
                            comment: "Bᵀ d B \(channels)×\(height)×\(width)")
    }

    @Test(arguments: [(3, 7, 5), (2, 1, 1), (2, 8, 8), (1, 6, 9), (5, 2, 13), (19, 4, 4)])
    func gradientTransformMatchesTheMatrices(channels: Int, height: Int, width: Int) {
        expectTileTransform(channels: channels, height: height, width: width,
                            fast: { tiling, images, scratch in tiling.transformGradients(images, images: 0..<2, scratch: scratch) },
                            naive: { WinogradNaive.gradientTiles($0, channels: channels, height: height, width: width) },
                            comment: "A e Aᵀ \(channels)×\(height)×\(width)")
    }

    @Test(arguments: [(3, 7, 5), (2, 1, 1), (2, 8, 8), (1, 6, 9)])
    func outputTransformMatchesTheMatrices(channels: Int, height: Int, width: Int) {
        var generator = RandomGenerator(seed: 12)
        let g = Self.geometry(batch: 2, channels: channels, filters: channels, height: height, width: width)
        let tiling = WinogradTiling(geometry: g)
        let tiles = tiling.tilesPerImage, columns = 2 * tiles
        let products = Tensor(uniform: [16, channels, columns], low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [channels], low: -1, high: 1, generator: &generator)
        let output = Tensor(zeros: [2, channels, height, width])
        tiling.transformProducts(products.storage.pointer, images: 0..<2, bias: bias.storage.pointer, into: output.storage.pointer)
        for image in 0..<2 {
            var mine = [Float]()
            for row in 0..<(16 * channels) { mine += (0..<tiles).map { products.scalars[row * columns + image * tiles + $0] } }
            let expected = WinogradNaive.outputImage(mine, channels: channels, height: height, width: width, bias: bias.scalars)
            let size = channels * height * width
            expectClose(Array(output.scalars[(image * size)..<((image + 1) * size)]), expected, absolute: 1e-6, relative: 1e-6,
                        "Aᵀ m A \(channels)×\(height)×\(width) image \(image)")
        }
    }

    @Test func filterTransformAndItsAdjointMatchTheMatrices() {
        var generator = RandomGenerator(seed: 13)
        let count = 4100  // more than one parallel piece of 4096
        let weight = Tensor(uniform: [count, 3, 3], low: -1, high: 1, generator: &generator)
        let transformed = ConvolutionScratch(count: 16 * count)
        defer { transformed.deallocate() }
        Winograd.transformFilters(weight.storage.pointer, count: count, into: transformed.pointer)
        expectClose(Array(UnsafeBufferPointer(start: transformed.pointer, count: 16 * count)),
                    WinogradNaive.filters(weight.scalars, count: count), absolute: 1e-6, relative: 1e-6, "G g Gᵀ")
        let gradient = Tensor(uniform: [16, count, 1], low: -1, high: 1, generator: &generator)
        let fast = Winograd.filterGradient(gradient.storage.pointer, filters: count, channels: 1)
        expectClose(fast.scalars, WinogradNaive.filterGradient(gradient.scalars, count: count), absolute: 1e-6, relative: 1e-6,
                    "Gᵀ dU G")
    }

    // (batch, channels, filters, height, width): the Sonnet VQ-VAE's 8×8 and 7×7 maps in miniature,
    // a batch of 5 (chunks of 4 and 1), one row, one column, an odd width of 11.
    static let convolutions = [(5, 16, 17, 8, 8), (3, 20, 16, 7, 7), (1, 16, 24, 1, 3), (2, 17, 16, 2, 11), (4, 16, 16, 5, 1)]

    @Test(arguments: convolutions)
    func threePassesMatchTheNaiveConvolution(batch: Int, channels: Int, filters: Int, height: Int, width: Int) {
        var generator = RandomGenerator(seed: 14)
        let g = Self.geometry(batch: batch, channels: channels, filters: filters, height: height, width: width)
        #expect(Winograd.applies(to: g) && Convolution.usesWinograd(g))
        let input = Tensor(uniform: g.inputShape, low: -1, high: 1, generator: &generator)
        let weight = Tensor(uniform: g.weightShape, low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [filters], low: -1, high: 1, generator: &generator)
        let cotangent = Tensor(uniform: g.outputShape, low: -1, high: 1, generator: &generator)
        let comment = "\(batch)×\(channels)×\(height)×\(width) → \(filters)"
        expectClose(Convolution.forward(input: input, weight: weight, bias: bias, geometry: g),
                    ConvolutionNaive.forward(input: input, weight: weight, bias: bias, geometry: g),
                    absolute: 1e-4, relative: 1e-4, "forward \(comment)")
        expectClose(Convolution.inputGradient(outputGradient: cotangent, weight: weight, geometry: g),
                    ConvolutionNaive.inputGradient(outputGradient: cotangent, weight: weight, geometry: g),
                    absolute: 1e-4, relative: 1e-4, "input gradient \(comment)")
        expectClose(Convolution.weightGradient(input: input, outputGradient: cotangent, geometry: g),
                    ConvolutionNaive.weightGradient(input: input, outputGradient: cotangent, geometry: g),
                    absolute: 2e-4, relative: 1e-4, "weight gradient \(comment)")
    }

    @Test func chunkingNeverChangesTheForwardBits() {
        // Each image's tiles are columns of the products, and a column's sum does not depend on how
        // many columns share the product: the output is the same for any grouping of the batch.
        var generator = RandomGenerator(seed: 15)
        let g = Self.geometry(batch: 7, channels: 16, filters: 32, height: 7, width: 7)
        let input = Tensor(uniform: g.inputShape, low: -1, high: 1, generator: &generator)
        let weight = Tensor(uniform: g.weightShape, low: -1, high: 1, generator: &generator)
        let outputs = [16, 64, 512].map { columns in
            Winograd.$chunkColumns.withValue(columns) {
                Winograd.forward(input: input, weight: weight, bias: nil, geometry: g).scalars.map(\.bitPattern)
            }
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
    }

    @Test func appliesOnlyWhereItComputesTheConvolution() {
        let sonnet = Self.geometry(batch: 32, channels: 128, filters: 32, height: 8, width: 8)
        #expect(Winograd.applies(to: sonnet))
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
        #expect(!changed { $0.kernel = 4 })
        #expect(!changed { $0.stride = 2 })
        #expect(!changed { $0.padding = 0 })
        #expect(!changed { $0.groups = 2 })
        #expect(!changed { $0.channels = 15 })
        #expect(!changed { $0.side = 64; $0.channels = 128 })  // 16 · 128 · 1024 tiles: more than the budget
        #expect(!Winograd.$isEnabled.withValue(false) { Convolution.usesWinograd(sonnet) })
    }
}
