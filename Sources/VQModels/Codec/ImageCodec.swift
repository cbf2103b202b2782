import VQData
import VQEngine

/// An image codec made of a VQ-VAE, a prior per quantizer stage and each stage's code histogram: images
/// of any size to code grids and back, and (`ImageCodec+Coding.swift`) those grids entropy-coded
/// into `.vqz` files.
///
/// Rates are residual depths: rate r keeps the first r stages of the model's quantizer (a plain
/// quantizer has the single rate 1). An image is padded to the downsampling factor F by repeating its
/// last row and column, encoded, decoded, and cropped back; `reconstruct` is exactly what
/// `decompress(compress(·))` gives, because both decode the same codes the same way.
public struct ImageCodec {
    public let model: VQVAE
    /// The prior of stage s at index s; stages beyond are coded with their histogram. The prior of a
    /// stage after the first may take a context map of the model's embedding dimension: the sum of the
    /// earlier stages' code vectors (`ImageCodec+Coding.swift`, `stageContext`).
    public let priors: [any CodePrior]
    /// Each stage's static table (the histogram of its training codes).
    public let histograms: [FrequencyTable]
    /// The side, in codes, of the tiles the priors walk.
    public let tileSide: Int
    /// FNV-1a of the model's and the priors' checkpoint bytes and the histograms: stored in every file,
    /// so a file given to another codec is refused instead of decoded into garbage.
    public let identity: UInt64

    public init(model: VQVAE, priors: [any CodePrior], histograms: [FrequencyTable], tileSide: Int, identity: UInt64) {
        let c = model.configuration
        precondition(c.spatialRank == 2 && histograms.count == c.depth && priors.count <= c.depth && tileSide >= 1
                     && priors.enumerated().allSatisfy({ ImageCodec.fits($1, stage: $0, model: c) })
                     && histograms.allSatisfy({ $0.count == c.numEmbeddings }),
                     "ImageCodec: the model, priors and histograms do not fit together")
        (self.model, self.priors, self.histograms, self.tileSide, self.identity) = (model, priors, histograms, tileSide, identity)
    }

    /// The codec of a run folder written by `vqvae codec train` (manifest, model, priors).
    public init(run folder: String) throws {
        let manifest = try CodecManifest(folder: folder)
        var identity = FNV1a()
        func checkpoint(_ name: String) throws -> SafeTensors {
            let path = folder + "/" + name
            let bytes = try FileIO.read(path)
            identity.combine(bytes)
            return try SafeTensors(parsing: bytes, path: path)
        }
        let modelPath = folder + "/model.safetensors"
        let model = try VQVAE(checkpoint: checkpoint("model.safetensors"), path: modelPath)
        let c = model.configuration
        guard c.spatialRank == 2, c.conditionClasses == 0 else {
            throw DataError(modelPath, "is not an unconditioned image model, so it cannot be a codec's")
        }
        let priors: [any CodePrior] = try manifest.priors.enumerated().map { stage, name in
            let prior = try PixelCNN(checkpoint: checkpoint(name), path: folder + "/" + name)
            guard ImageCodec.fits(prior, stage: stage, model: c) else {
                let context = stage == 0 ? "no context" : "no context or a context of \(c.embeddingDim) channels"
                throw DataError(folder + "/" + name, "is not an unlabelled prior over the model's \(c.numEmbeddings) codes with \(context) (stage \(stage + 1))")
            }
            return prior
        }
        guard priors.count <= c.depth, manifest.histograms.count == c.depth else {
            throw DataError(folder + "/" + CodecManifest.fileName, "lists \(priors.count) priors and \(manifest.histograms.count) histograms for a model of \(c.depth) stages")
        }
        let histograms = try manifest.histograms.map { frequencies in
            guard frequencies.count == c.numEmbeddings, let table = FrequencyTable(frequencies: frequencies) else {
                throw DataError(folder + "/" + CodecManifest.fileName, "holds a histogram that is not \(c.numEmbeddings) frequencies ≥ 1 summing to \(FrequencyTable.total)")
            }
            return table
        }
        for table in histograms { for frequency in table.frequencies { identity.combine(UInt64(frequency)) } }
        identity.combine(UInt64(manifest.tileSide))
        self.init(model: model, priors: priors, histograms: histograms, tileSide: manifest.tileSide, identity: identity.value)
    }

    /// Whether `prior` can code `stage` of a model of configuration `c`: its K codes, no labels, and no
    /// context map for the first stage, none or one of the embedding dimension for the others.
    static func fits(_ prior: any CodePrior, stage: Int, model c: VQVAEConfiguration) -> Bool {
        prior.codebookSize == c.numEmbeddings && !prior.isConditional
            && (prior.contextChannels == 0 || (stage > 0 && prior.contextChannels == c.embeddingDim))
    }

    /// The context map of `stage`'s prior as rows: for each position of `codes` ((position, stage)
    /// order, `depth` stages each), the sum of the code vectors of its stages before `stage`,
    /// (positions, D).
    static func earlierStageVectors(_ codes: [Int32], depth: Int, stage: Int, model: VQVAE) -> Tensor {
        let positions = codes.count / depth
        let earlier = (0..<(positions * stage)).map { codes[($0 / stage) * depth + $0 % stage] }
        return model.quantizer.decode(earlier, depth: stage)
    }

    /// The rate points: 1 up to the quantizer's stages.
    public var rates: ClosedRange<Int> { 1...model.configuration.depth }
    /// The image channels the model takes.
    public var channels: Int { model.configuration.inputChannels }

    /// The code grid of a `width` × `height` image: ceil(height / F) × ceil(width / F).
    public func gridSize(width: Int, height: Int) -> (height: Int, width: Int) {
        model.gridSize(width: width, height: height)
    }

    /// The codes of `image` (converted to the model's channels) at `rate` (`VQVAE.codes(of:depth:)`).
    public func codes(of image: RasterImage, rate: Int) -> [Int32] {
        precondition(rates.contains(rate), "ImageCodec: rate \(rate) outside \(rates)")
        return model.codes(of: image.converted(toChannels: channels), depth: rate)
    }

    /// The image of `codes` (from `codes(of:rate:)`) cropped to `width` × `height`.
    public func image(from codes: [Int32], rate: Int, width: Int, height: Int) -> RasterImage {
        model.image(from: codes, depth: rate, width: width, height: height)
    }

    /// The codec's reconstruction of `image` at `rate`: its codes, decoded; what `decompress` gives.
    public func reconstruct(_ image: RasterImage, rate: Int) -> RasterImage {
        self.image(from: codes(of: image, rate: rate), rate: rate, width: image.width, height: image.height)
    }
}
