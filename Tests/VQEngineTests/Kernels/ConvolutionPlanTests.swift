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

/// How `ConvolutionPlan` cuts the batch into shares the cores take one at a time.
@Suite struct ConvolutionPlanSharesTests {
    private func geometry(batch: Int, side: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputChannels: 8, inputHeight: side, inputWidth: side,
                            outputChannels: 8, outputHeight: side, outputWidth: side,
                            kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, dilation: 1, groups: 1)
    }

    @Test(arguments: [(32, 16), (32, 7), (5, 16), (3, 7), (1, 16), (0, 16), (33, 5)])
    func sharesAreWholeChunksCoveringTheBatchInOrder(batch: Int, side: Int) {
        for strategy in ConvolutionStrategy.allCases {
            let plan = ConvolutionPlan(geometry: geometry(batch: batch, side: side), strategy: strategy, chunkColumns: 64)
            // Contiguous, in order, covering 0..<batch, none empty.
            #expect(plan.shares.first?.lowerBound ?? 0 == 0)
            #expect(plan.shares.last?.upperBound ?? 0 == batch)
            #expect(zip(plan.shares, plan.shares.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(plan.shares.allSatisfy { !$0.isEmpty })
            // Every share but the last starts a fresh chunk: its size is a whole number of chunks.
            #expect(plan.shares.dropLast().allSatisfy { $0.count % plan.imagesPerChunk == 0 })
            let most = strategy == .parallelInsideGemm || Parallel.workerCount == 1 ? 1 : Parallel.workerCount * ConvolutionPlan.sharesPerWorker
            #expect(plan.shareCount == min((batch + plan.imagesPerChunk - 1) / plan.imagesPerChunk, most))
        }
    }

    @Test func emptyBatchHasNoShareAndAZeroWeightGradient() {
        let plan = ConvolutionPlan(geometry: geometry(batch: 0, side: 4), strategy: .parallelOverBatch, chunkColumns: 64)
        #expect(plan.shareCount == 0)
        let scratch = ConvolutionScratch(count: 0)
        defer { scratch.deallocate() }
        #expect(scratch.summed(parts: 0, shape: [2, 3]).scalars == [Float](repeating: 0, count: 6))
    }

    @Test func partsAreSummedInOrder() {
        // Three parts of 5000 floats (more than one 4096 piece): part p holds p + 1 + index / 1000.
        let size = 5000, scratch = ConvolutionScratch(count: 3 * size)
        defer { scratch.deallocate() }
        for part in 0..<3 { for index in 0..<size { scratch.pointer[part * size + index] = Float(part + 1) + Float(index) / 1000 } }
        let sums = scratch.summed(parts: 3, shape: [size]).scalars
        for index in [0, 1, 4095, 4096, 4999] {
            let expected = (Float(1) + Float(index) / 1000) + (Float(2) + Float(index) / 1000) + (Float(3) + Float(index) / 1000)
            #expect(sums[index] == expected)
        }
    }
}
