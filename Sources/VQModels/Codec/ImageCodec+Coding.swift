import VQData
import VQEngine

/// Entropy coding of an image's codes into `.vqz` and back.
///
/// Stage by stage (first stage first), every code of the stage's grid is coded with rANS under a
/// `FrequencyTable`: the prior's distribution at that position (given the codes before it), or the
/// stage's histogram. The prior walks the grid cut into `tileSide` × `tileSide` tiles, all tiles at
/// once as one batch of a `PriorCursor` (`walk`): one cursor step per tile position instead of one per
/// grid position, at the price of each tile starting without context. Positions of edge tiles
/// outside the grid hold code 0 and are not coded.
///
/// The decoder must rebuild the encoder's tables bit for bit. The prior runs with the generic matrix
/// kernel pinned (`Gemm.withPinnedKernel`) whatever the CPU or `VQK_KERNEL`, and matrix products
/// never split their sums across threads, so its logits are the same on every path and thread count
/// of a build; logits become frequencies by `FrequencyTable(logits:)`, plain IEEE arithmetic and
/// integers. Across builds for other architectures (arm64) that is not promised.
extension ImageCodec {
    /// The kernel every prior evaluation of the codec runs on.
    public static let priorKernel = Gemm.Kernel.generic

    /// What `compress` made: the file and the ideal cost of its codes under the tables it used.
    public struct Compressed {
        public var file: VQZFile
        /// Σ −log2(frequency / total) over the coded codes: what an ideal coder would spend.
        public var idealBits: Double
    }

    /// `image` compressed at `rate`, its codes coded with the priors (`.prior`) or the histograms only.
    public func compress(_ image: RasterImage, rate: Int, entropyModel: VQZFile.EntropyModel = .prior) -> Compressed {
        compress(codes: codes(of: image, rate: rate), rate: rate, width: image.width, height: image.height, entropyModel: entropyModel)
    }

    /// Codes already computed by `codes(of:rate:)` for a `width` × `height` image, compressed.
    public func compress(codes: [Int32], rate: Int, width: Int, height: Int,
                         entropyModel: VQZFile.EntropyModel = .prior) -> Compressed {
        let grid = gridSize(width: width, height: height), area = grid.height * grid.width
        precondition(codes.count == area * rate, "ImageCodec.compress: \(codes.count) codes for \(area) positions at rate \(rate)")
        var encoder = RANSEncoder()
        for stage in 0..<rate {
            let stageCodes = (0..<area).map { codes[$0 * rate + stage] }
            if let prior = prior(ofStage: stage, entropyModel) {
                walk(prior, height: grid.height, width: grid.width, tileSide: tileSide) { position, logits in
                    encoder.append(Int(stageCodes[position]), table: FrequencyTable(logits: logits))
                    return stageCodes[position]
                }
            } else {
                for code in stageCodes { encoder.append(Int(code), table: histograms[stage]) }
            }
        }
        let file = VQZFile(width: width, height: height, channels: channels, codecIdentity: identity, rate: rate,
                           entropyModel: entropyModel, tileSide: entropyModel == .prior ? tileSide : 0, payload: encoder.finish())
        return Compressed(file: file, idealBits: encoder.idealBits)
    }

    /// The codes of `file` ((position, stage) order), after checking it belongs to this codec; throws
    /// `DataError(path, …)` for another codec's file, a rate or channel count this codec lacks, or a
    /// payload that does not decode exactly.
    public func decodeCodes(_ file: VQZFile, path: String) throws -> [Int32] {
        guard file.codecIdentity == identity else {
            throw DataError(path, "was made by another codec (identity \(hexadecimal(file.codecIdentity)), this codec's is \(hexadecimal(identity)))")
        }
        guard rates.contains(file.rate) else { throw DataError(path, "has rate \(file.rate); this codec has rates \(rates.lowerBound) to \(rates.upperBound)") }
        guard file.channels == channels else { throw DataError(path, "has \(file.channels) channels; this codec's model has \(channels)") }
        guard file.entropyModel == .histogram || (1...256).contains(file.tileSide) else {
            throw DataError(path, "has tile side \(file.tileSide), expected 1 to 256")
        }
        let grid = gridSize(width: file.width, height: file.height), area = grid.height * grid.width, rate = file.rate
        guard area <= VQVAE.maximumGridArea else {
            throw DataError(path, "is \(file.width)x\(file.height), more than the \(VQVAE.maximumGridArea) codes per image this tool decodes")
        }
        var codes = [Int32](repeating: 0, count: area * rate)
        do {
            var decoder = try RANSDecoder(file.payload)
            for stage in 0..<rate {
                if let prior = prior(ofStage: stage, file.entropyModel) {
                    try walk(prior, height: grid.height, width: grid.width, tileSide: file.tileSide) { position, logits in
                        let code = Int32(try decoder.next(table: FrequencyTable(logits: logits)))
                        codes[position * rate + stage] = code
                        return code
                    }
                } else {
                    for position in 0..<area { codes[position * rate + stage] = Int32(try decoder.next(table: histograms[stage])) }
                }
            }
            try decoder.finish()
        } catch let failure as RANSDecoder.Failure {
            throw DataError(path, "corrupted: \(failure)")
        }
        return codes
    }

    /// The image of `file`, exactly `reconstruct` of the original at the file's rate.
    public func decompress(_ file: VQZFile, path: String) throws -> RasterImage {
        image(from: try decodeCodes(file, path: path), rate: file.rate, width: file.width, height: file.height)
    }

    /// The prior that codes `stage` under `entropyModel`, or nil for the histogram.
    func prior(ofStage stage: Int, _ entropyModel: VQZFile.EntropyModel) -> (any CodePrior)? {
        entropyModel == .prior && stage < priors.count ? priors[stage] : nil
    }

    /// Walks a `height` × `width` grid in `tileSide` tiles with one cursor over all tiles: at each tile
    /// position (raster order), every tile in raster order of tiles whose position falls inside the
    /// grid gets `code(position in the grid, its logits)`, which returns the code to fix there. The
    /// prior runs on `priorKernel`.
    func walk(_ prior: any CodePrior, height: Int, width: Int, tileSide side: Int,
              code: (_ position: Int, _ logits: [Float]) throws -> Int32) rethrows {
        let tilesDown = (height + side - 1) / side, tilesAcross = (width + side - 1) / side, tiles = tilesDown * tilesAcross
        try Gemm.withPinnedKernel(ImageCodec.priorKernel) {
            var cursor = prior.makeCursor(count: tiles, height: side, width: side, labels: nil)
            var fixed = [Int32](repeating: 0, count: tiles)
            for step in 0..<(side * side) {
                let (row, column) = (step / side, step % side)
                let inside = (0..<tiles).filter { tile in
                    (tile / tilesAcross) * side + row < height && (tile % tilesAcross) * side + column < width
                }
                for tile in 0..<tiles { fixed[tile] = 0 }
                if !inside.isEmpty {
                    let logits = cursor.nextLogits()
                    for tile in inside {
                        let y = (tile / tilesAcross) * side + row, x = (tile % tilesAcross) * side + column
                        fixed[tile] = try code(y * width + x, logits[tile])
                    }
                }
                cursor.append(fixed)
            }
        }
    }
}
