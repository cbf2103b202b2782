import VQData
import VQEngine

extension VQVAE {
    /// The measured anomaly scores (`AnomalyScore.measured`) of a batch of inputs (N, C, H, W) or
    /// (N, C, T), and, when `maps` is true, each input's `AnomalyMap` (images only).
    ///
    /// Each input is encoded (all quantizer stages), its codes decoded (a reconstruction is "decode the
    /// codes", as `VQVAE+Codes`), and its codes of the first stage scored by `prior` (a grid of height
    /// 1 for sequences). Nothing is recorded. The prior must be unconditional (the label is what anomaly
    /// detection does not know) and have the model's K; the decoder must be unconditioned.
    public func anomalyScores(ofBatch input: Tensor, prior: (any CodePrior)?, maps: Bool = false)
        -> (scores: AnomalyScores, maps: [AnomalyMap]) {
        precondition(configuration.conditionClasses == 0, "anomalyScores: the decoder is conditioned on labels")
        precondition(prior.map { !$0.isConditional && $0.codebookSize == configuration.numEmbeddings } ?? true,
                     "anomalyScores: the prior must be unconditional and have the model's \(configuration.numEmbeddings) codes")
        let input = checkedInput(input.detached())
        let count = input.shape[0]
        let latents = encoder(input)
        let gridShape = Array(latents.shape.dropFirst(2))
        let positions = gridShape.reduce(1, *)
        let depth = quantizer.depth
        let (indices, distances) = quantizer.quantizationDistances(VQVAE.rows(of: latents), depth: depth)
        let reconstruction = decode(indices, batch: count, gridShape: gridShape, depth: depth)

        let valuesPerItem = input.count / count
        let channels = input.shape[1], plane = valuesPerItem / channels
        var errors = [Double](repeating: 0, count: count)
        var pixelErrors: [[Float]] = maps ? Array(repeating: [Float](repeating: 0, count: plane), count: count) : []
        input.withUnsafeBufferPointer { x in
            reconstruction.withUnsafeBufferPointer { y in
                for item in 0..<count {
                    var sum = 0.0
                    for channel in 0..<channels {
                        let base = (item * channels + channel) * plane
                        for position in 0..<plane {
                            let difference = Double(y[base + position]) - Double(x[base + position])
                            sum += difference * difference
                            if maps { pixelErrors[item][position] += Float(difference * difference / Double(channels)) }
                        }
                    }
                    errors[item] = sum / Double(valuesPerItem)
                }
            }
        }
        let quantization = (0..<count).map { item in
            (0..<positions).reduce(0.0) { $0 + Double(distances[item * positions + $1]) } / Double(positions)
        }
        var values: [AnomalyScore: [Double]] = [.reconstructionError: errors, .quantizationDistance: quantization]
        var surprise: [Double] = []
        if let prior {
            let firstStage = depth == 1 ? indices : stride(from: 0, to: indices.count, by: depth).map { indices[$0] }
            let (height, width) = gridShape.count == 2 ? (gridShape[0], gridShape[1]) : (1, gridShape[0])
            surprise = prior.surprisalBits(for: CodeBatch(codes: firstStage, count: count, height: height, width: width))
            values[.priorSurprise] = (0..<count).map { item in
                (0..<positions).reduce(0.0) { $0 + surprise[item * positions + $1] } / Double(positions)
            }
        }
        guard maps, gridShape.count == 2 else { return (AnomalyScores(values), []) }
        let itemMaps = (0..<count).map { item in
            AnomalyMap(height: input.shape[2], width: input.shape[3], pixelErrors: pixelErrors[item],
                       gridHeight: gridShape[0], gridWidth: gridShape[1],
                       codeSurprise: prior == nil ? nil : surprise[(item * positions)..<((item + 1) * positions)].map(Float.init))
        }
        return (AnomalyScores(values), itemMaps)
    }

    /// The measured anomaly scores of every image of `dataset` (which must pass `checkCompatible`),
    /// on the fixed chunks of `inferenceBatchSize` items from item 0 (so an image's scores do not depend
    /// on which other images are scored with it), and the maps of the first `mapCount` images.
    /// `progress` is called after each chunk with the images scored so far.
    public func anomalyScores(of dataset: ImageDataset, prior: (any CodePrior)?, mapCount: Int = 0,
                              progress: (Int) -> Void = { _ in }) -> (scores: AnomalyScores, maps: [AnomalyMap]) {
        let grid = configuration.gridShape(forInput: [dataset.height, dataset.width])!
        let chunk = VQVAE.inferenceBatchSize(positions: grid.reduce(1, *))
        var scores = AnomalyScores(scores: prior == nil ? [.reconstructionError, .quantizationDistance] : AnomalyScore.measured)
        var maps: [AnomalyMap] = []
        for start in stride(from: 0, to: dataset.count, by: chunk) {
            let end = min(start + chunk, dataset.count)
            let result = anomalyScores(ofBatch: dataset.batch(Array(start..<end)), prior: prior, maps: start < mapCount)
            scores.append(result.scores)
            maps += result.maps.prefix(max(0, mapCount - start))
            progress(end)
        }
        return (scores, maps)
    }
}
