import VQData
import VQEngine

/// Entropy coding of an image's codes into `.vqz` and back.
///
/// Each quantizer stage is a separate rANS stream (coded and decoded in parallel, one stage per core);
/// every code of the stage's grid is coded under a
/// `FrequencyTable`: the prior's distribution at that position (given the codes before it), or the
/// stage's histogram. The prior walks the grid cut into `tileSide` × `tileSide` tiles, all tiles at
/// once as one batch of a `PriorCursor` (`walk`): one cursor step per tile position instead of one per
/// grid position, at the price of each tile starting without context. Positions of edge tiles
/// outside the grid hold code 0 and are not coded.
///
/// The decoder must rebuild the encoder's tables bit for bit. Every matrix kernel (AVX-512, AVX2,
/// generic) computes each product element as the same chain of fused multiply-adds, and products
/// never split their sums across threads (`VQK_SGEMM_KC` in sgemm_internal.h; GemmTests
/// `kernelsAgreeBitForBit`), so the prior's logits are the same on every CPU, kernel path and
/// thread count, at full speed; logits become frequencies by `FrequencyTable(logits:)`, plain IEEE
/// arithmetic and integers. The elementwise functions (tanh, the sigmoid) are the same code on every
/// x86-64 machine; builds for other architectures (arm64) are not promised to match x86-64's bits.
extension ImageCodec {
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

    /// Codes already computed by `codes(of:rate:)` for a `width` × `height` image, compressed. Each stage
    /// is its own rANS stream, coded on its own core (`payload(streams:)`).
    public func compress(codes: [Int32], rate: Int, width: Int, height: Int,
                         entropyModel: VQZFile.EntropyModel = .prior) -> Compressed {
        let grid = gridSize(width: width, height: height), area = grid.height * grid.width
        precondition(codes.count == area * rate, "ImageCodec.compress: \(codes.count) codes for \(area) positions at rate \(rate)")
        var streams = [[UInt8]](repeating: [], count: rate), idealBits = [Double](repeating: 0, count: rate)
        streams.withUnsafeMutableBufferPointer { streams in
            idealBits.withUnsafeMutableBufferPointer { idealBits in
                Parallel.forEach(rate) { stage in
                    let stageCodes = (0..<area).map { codes[$0 * rate + stage] }
                    var encoder = RANSEncoder()
                    if let prior = prior(ofStage: stage, entropyModel) {
                        walk(prior, height: grid.height, width: grid.width, tileSide: tileSide) { position, logits in
                            encoder.append(Int(stageCodes[position]), table: FrequencyTable(logits: logits))
                            return stageCodes[position]
                        }
                    } else {
                        for code in stageCodes { encoder.append(Int(code), table: histograms[stage]) }
                    }
                    (streams[stage], idealBits[stage]) = (encoder.finish(), encoder.idealBits)
                }
            }
        }
        let file = VQZFile(width: width, height: height, channels: channels, codecIdentity: identity, rate: rate,
                           entropyModel: entropyModel, tileSide: entropyModel == .prior ? tileSide : 0,
                           payload: ImageCodec.payload(streams: streams))
        return Compressed(file: file, idealBits: idealBits.reduce(0, +))
    }

    /// The payload of per-stage streams: the byte length of every stream but the last (4 bytes each,
    /// little-endian), then the streams in stage order.
    static func payload(streams: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for stream in streams.dropLast() {
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: stream.count >> (8 * $0)) }
        }
        return bytes + streams.joined()
    }

    /// The `count` streams of `payload`, or nil when its lengths do not fit it.
    static func streams(of payload: [UInt8], count: Int) -> [[UInt8]]? {
        let table = 4 * (count - 1)
        guard payload.count >= table else { return nil }
        var lengths = (0..<(count - 1)).map { stream in
            (0..<4).reduce(0) { $0 | Int(payload[4 * stream + $1]) << (8 * $1) }
        }
        let used = lengths.reduce(table, +)
        guard used <= payload.count else { return nil }
        lengths.append(payload.count - used)
        var start = table
        return lengths.map { length in
            defer { start += length }
            return Array(payload[start..<(start + length)])
        }
    }

    /// The codes of `file` ((position, stage) order), after checking it belongs to this codec; throws
    /// `DataError(path, …)` for another codec's file, a rate or channel count this codec lacks, or a
    /// payload that does not decode exactly. Stages decode in parallel, like they were coded.
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
        guard let streams = ImageCodec.streams(of: file.payload, count: rate) else {
            throw DataError(path, "corrupted: its stream lengths do not fit its payload")
        }
        var codes = [Int32](repeating: 0, count: area * rate)
        var failures = [RANSDecoder.Failure?](repeating: nil, count: rate)
        codes.withUnsafeMutableBufferPointer { codes in
            failures.withUnsafeMutableBufferPointer { failures in
                Parallel.forEach(rate) { stage in
                    do {
                        var decoder = try RANSDecoder(streams[stage])
                        if let prior = prior(ofStage: stage, file.entropyModel) {
                            try walk(prior, height: grid.height, width: grid.width, tileSide: file.tileSide) { position, logits in
                                let code = Int32(try decoder.next(table: FrequencyTable(logits: logits)))
                                codes[position * rate + stage] = code
                                return code
                            }
                        } else {
                            for position in 0..<area { codes[position * rate + stage] = Int32(try decoder.next(table: histograms[stage])) }
                        }
                        try decoder.finish()
                    } catch {
                        failures[stage] = error as? RANSDecoder.Failure ?? .badFinalState
                    }
                }
            }
        }
        if let (stage, failure) = failures.enumerated().first(where: { $0.element != nil }) {
            throw DataError(path, "corrupted: stage \(stage + 1): \(failure!)")
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
    /// grid gets `code(position in the grid, its logits)`, which returns the code to fix there.
    func walk(_ prior: any CodePrior, height: Int, width: Int, tileSide side: Int,
              code: (_ position: Int, _ logits: [Float]) throws -> Int32) rethrows {
        let tilesDown = (height + side - 1) / side, tilesAcross = (width + side - 1) / side, tiles = tilesDown * tilesAcross
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
