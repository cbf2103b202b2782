import Testing
@testable import VQEngine

/// How `ConvolutionPlan` groups images into one GEMM. The fill figures are columns over columns
/// rounded up to the microkernel's tile (`Gemm.columnTile()`, 32 with AVX-512).
@Suite struct ConvolutionPlanTests {
    @Test(.enabled(if: Gemm.columnTile() == 32, "skipped: figures are for a 32-column tile (AVX-512)"))
    func chunksGrowUntilTheColumnTilesAreFilled() {
        // 7×7 maps: 2 images = 98 columns in 128 (77%), 3 = 147 in 160 (92%) → 3.
        #expect(ConvolutionPlan.imagesFillingTiles(from: 2, most: 16, area: 49) == 3)
        // 14×14: 1 image = 196 in 224 (87.5%) is enough.
        #expect(ConvolutionPlan.imagesFillingTiles(from: 1, most: 16, area: 196) == 1)
        // 8×8 and 16×16 fill whole tiles.
        #expect(ConvolutionPlan.imagesFillingTiles(from: 1, most: 16, area: 64) == 1)
        // Capped by `most`: 7×7 with at most 2 images stays at 2.
        #expect(ConvolutionPlan.imagesFillingTiles(from: 2, most: 2, area: 49) == 2)
        // 5×5 (25 columns): 1 → 78%, 2 → 78%, 3 → 75/96 = 78%, 4 → 100/128 = 78%, 5 → 125/128 = 98%.
        #expect(ConvolutionPlan.imagesFillingTiles(from: 1, most: 16, area: 25) == 5)
        // None reaches the threshold within the cap: the best-filling count (3 × 7 = 21 of 32 = 66%).
        #expect(ConvolutionPlan.imagesFillingTiles(from: 1, most: 3, area: 7) == 3)
    }

    @Test func planForSevenBySevenMapsGroupsThreeImagesPerWorker() {
        // The Sonnet encoder's 3×3 convolution on a 1×28×28 input: 128 → 128 channels at 7×7, batch 32.
        let geometry = ConvolutionGeometry(batch: 32, inputChannels: 128, inputHeight: 7, inputWidth: 7,
                                           outputChannels: 128, outputHeight: 7, outputWidth: 7,
                                           kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, dilation: 1, groups: 1)
        let plan = ConvolutionPlan(geometry: geometry, strategy: .parallelOverBatch, chunkColumns: 64)
        let expected = ConvolutionPlan.imagesFillingTiles(from: 2, most: 32 / Parallel.workerCount, area: 49)
        #expect(plan.imagesPerChunk == expected)
        if Gemm.columnTile() == 32 && Parallel.workerCount <= 8 { #expect(plan.imagesPerChunk == 3) }
        #expect(plan.shares.map(\.count).reduce(0, +) == 32)
    }
}

/// `Convolution.forward`'s one-product path for kernels covering the whole input gives the im2col
/// path's bits exactly (same products, same order, same bias add): the codec's prior, whose cursor
/// takes the short path while the full network takes the long one, relies on every machine agreeing.
@Suite struct WholeInputConvolutionTests {
    @Test(arguments: [([6, 13, 1, 1], 37, HeightWidth(1)), ([5, 32, 1, 3], 64, HeightWidth(1, 3)), ([3, 130, 3, 3], 7, HeightWidth(3))])
    func givesTheIm2colPathsBits(input: [Int], filters: Int, kernel: HeightWidth) throws {
        var generator = RandomGenerator(seed: 29)
        let x = Tensor(uniform: input, low: -1, high: 1, generator: &generator)
        let weight = Tensor(uniform: [filters, input[1], kernel.height, kernel.width], low: -1, high: 1, generator: &generator)
        let bias = Tensor(uniform: [filters], low: -1, high: 1, generator: &generator)
        let geometry = try Tensor.conv2dShapes(input: input, weight: weight.shape, bias: bias.shape)
        #expect(geometry.coversWholeInput)
        let short = Convolution.forward(input: x, weight: weight, bias: bias, geometry: geometry)
        let long = Convolution.columnsPass(image: x, weight: weight, bias: bias, columnSide: nil, geometry: geometry).product!
        #expect(short.shape == [input[0], filters, 1, 1])
        #expect(zip(short.scalars, long.scalars).allSatisfy { $0.bitPattern == $1.bitPattern })
    }
}
