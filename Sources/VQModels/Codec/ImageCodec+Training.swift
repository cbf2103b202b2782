import VQData
import VQEngine
import VQNN

/// What `vqvae codec train` needs beyond training the autoencoder: the code grids of random crops,
/// stage by stage, for the priors and the histograms.
extension ImageCodec {
    /// The codes of `count` crops drawn from `crops` (`ImageCropSet.trainingBatch`), one `CodeGrids`
    /// per quantizer stage, each grid (crop side / F)². Encoded in chunks of `batchSize`.
    public static func stageGrids(of crops: ImageCropSet, model: VQVAE, count: Int, batchSize: Int = 32,
                                  generator: inout RandomGenerator) -> [CodeGrids] {
        let depth = model.configuration.depth
        let grid = model.configuration.gridShape(forInput: [crops.cropSize, crops.cropSize])!
        let area = grid.reduce(1, *)
        var stages = [[Int32]](repeating: [], count: depth)
        for start in stride(from: 0, to: count, by: batchSize) {
            let chunk = min(batchSize, count - start)
            let codes = model.encode(crops.trainingBatch(count: chunk, generator: &generator).input, depth: depth)
            for stage in 0..<depth {
                stages[stage] += (0..<(chunk * area)).map { codes[$0 * depth + stage] }
            }
        }
        return stages.map { CodeGrids(codes: $0, count: count, height: grid[0], width: grid[1]) }
    }

    /// The table proportional to how often each of `codebookSize` codes occurs in `grids`.
    public static func histogram(of grids: CodeGrids, codebookSize: Int) -> FrequencyTable {
        var counts = [UInt64](repeating: 0, count: codebookSize)
        for code in grids.codes { counts[Int(code)] += 1 }
        return FrequencyTable(weights: counts)
    }
}
