import VQData
import VQEngine
import VQNN

/// What `vqvae codec train` needs beyond training the autoencoder: the code grids of random crops,
/// stage by stage, for the priors and the histograms.
extension ImageCodec {
    /// The codes of `count` crops drawn from `crops` (`ImageCropSet.trainingBatch`), one `CodeGrids`
    /// per quantizer stage, each grid (crop side / F)². Encoded in chunks of `batchSize`. With
    /// `context`, the grids of every stage after the first carry their context map: the sum of the
    /// earlier stages' code vectors, (D, H, W) per grid, as the codec computes it (`stageContext`).
    public static func stageGrids(of crops: ImageCropSet, model: VQVAE, count: Int, batchSize: Int = 32, context: Bool = false,
                                  generator: inout RandomGenerator) -> [CodeGrids] {
        let depth = model.configuration.depth, d = model.configuration.embeddingDim
        let grid = model.configuration.gridShape(forInput: [crops.cropSize, crops.cropSize])!
        let area = grid.reduce(1, *)
        var stages = [[Int32]](repeating: [], count: depth)
        var contexts = [[Float]](repeating: [], count: depth)
        for start in stride(from: 0, to: count, by: batchSize) {
            let chunk = min(batchSize, count - start)
            let codes = model.encode(crops.trainingBatch(count: chunk, generator: &generator).input, depth: depth)
            for stage in 0..<depth {
                stages[stage] += (0..<(chunk * area)).map { codes[$0 * depth + stage] }
                guard context && stage > 0 else { continue }
                // (chunk·H·W, D) rows → (chunk, D, H, W)
                contexts[stage] += earlierStageVectors(codes, depth: depth, stage: stage, model: model).reshaped(to: [chunk, area, d])
                    .permuted([0, 2, 1]).scalars
            }
        }
        return (0..<depth).map { stage in
            CodeGrids(codes: stages[stage], count: count, height: grid[0], width: grid[1],
                      contextChannels: context && stage > 0 ? d : 0, contextValues: contexts[stage])
        }
    }

    /// The table proportional to how often each of `codebookSize` codes occurs in `grids`.
    public static func histogram(of grids: CodeGrids, codebookSize: Int) -> FrequencyTable {
        var counts = [UInt64](repeating: 0, count: codebookSize)
        for code in grids.codes { counts[Int(code)] += 1 }
        return FrequencyTable(weights: counts)
    }
}

extension FrequencyTable {
    /// Mean −log₂ p of `grids`' codes under this table, in bits per code: what the static fallback
    /// would spend on them.
    public func bitsPerCode(on grids: CodeGrids) -> Double {
        grids.codes.reduce(0.0) { $0 + bits(Int($1)) } / Double(grids.codes.count)
    }
}
