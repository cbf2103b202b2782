import VQData
import VQEngine

/// Entropy coding of an image's codes into `.vqz` and back.
///
/// Every code of a stage's grid is coded under a `FrequencyTable`: the stage prior's distribution at
/// that position (given the codes before it in the walk, and the earlier stages' codes everywhere), or
/// the stage's histogram. The prior walks the grid cut into `tileSide` × `tileSide` tiles (`walk`):
/// the tiles of a group at once, as one batch of a `PriorCursor`, one cursor step per tile position
/// instead of one per grid position, at the price of each tile starting without context. Positions of
/// edge tiles outside the grid hold code 0 and are not coded.
///
/// Streams: each stage coded with a prior has its tiles split into `Tiling.groups` groups, each its
/// own rANS stream, so one stage decodes on both cores (`streamLayout`); stages decode one after the
/// other, because a stage's prior sees the stages before it (the sum of their code vectors,
/// `stageContext`). Compression knows every code at once and codes all streams in parallel. A stage
/// coded with its histogram is one stream.
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

    /// How a grid is cut for the priors: tiles of `side` codes, in raster order of tiles, split into
    /// `groups` contiguous runs (the first `count % groups` runs one tile longer), each walked by its
    /// own cursor into its own stream.
    struct Tiling {
        let height: Int, width: Int, side: Int
        var down: Int { (height + side - 1) / side }
        var across: Int { (width + side - 1) / side }
        var count: Int { down * across }
        /// Tile groups per stage: two (both cores), or one for a single tile.
        var groups: Int { min(2, count) }

        /// The tiles of group `group`.
        func tiles(ofGroup group: Int) -> Range<Int> {
            let base = count / groups, extra = count % groups
            let start = group * base + min(group, extra)
            return start..<(start + base + (group < extra ? 1 : 0))
        }

        /// The grid position of (row, column) of `tile`, or nil outside the grid.
        func position(tile: Int, row: Int, column: Int) -> Int? {
            let y = (tile / across) * side + row, x = (tile % across) * side + column
            return y < height && x < width ? y * width + x : nil
        }
    }

    /// The streams of a file, in payload order: (stage, tile group) for every group of each stage coded
    /// with a prior, (stage, 0) for a stage coded with its histogram; stages in order.
    func streamLayout(rate: Int, entropyModel: VQZFile.EntropyModel, tiling: Tiling) -> [(stage: Int, group: Int)] {
        (0..<rate).flatMap { stage in
            (0..<(prior(ofStage: stage, entropyModel) == nil ? 1 : tiling.groups)).map { (stage, $0) }
        }
    }

    /// `image` compressed at `rate`, its codes coded with the priors (`.prior`) or the histograms only.
    public func compress(_ image: RasterImage, rate: Int, entropyModel: VQZFile.EntropyModel = .prior) -> Compressed {
        compress(codes: codes(of: image, rate: rate), rate: rate, width: image.width, height: image.height, entropyModel: entropyModel)
    }

    /// Codes already computed by `codes(of:rate:)` for a `width` × `height` image, compressed; every
    /// stream (stage, tile group) is coded in parallel with the others.
    public func compress(codes: [Int32], rate: Int, width: Int, height: Int,
                         entropyModel: VQZFile.EntropyModel = .prior) -> Compressed {
        let grid = gridSize(width: width, height: height), area = grid.height * grid.width
        precondition(codes.count == area * rate, "ImageCodec.compress: \(codes.count) codes for \(area) positions at rate \(rate)")
        let tiling = Tiling(height: grid.height, width: grid.width, side: tileSide)
        let layout = streamLayout(rate: rate, entropyModel: entropyModel, tiling: tiling)
        let contexts = (0..<rate).map { stage in
            prior(ofStage: stage, entropyModel).flatMap { stageContext(codes, rate: rate, stage: stage, prior: $0, tiling: tiling) }
        }
        var streams = [[UInt8]](repeating: [], count: layout.count), idealBits = [Double](repeating: 0, count: layout.count)
        streams.withUnsafeMutableBufferPointer { streams in
            idealBits.withUnsafeMutableBufferPointer { idealBits in
                Parallel.forEach(layout.count) { stream in
                    let (stage, group) = layout[stream]
                    var encoder = RANSEncoder()
                    if let prior = prior(ofStage: stage, entropyModel) {
                        walk(prior, tiling: tiling, group: group, context: contexts[stage]) { position, logits in
                            let code = codes[position * rate + stage]
                            encoder.append(Int(code), table: FrequencyTable(logits: logits))
                            return code
                        }
                    } else {
                        for position in 0..<area { encoder.append(Int(codes[position * rate + stage]), table: histograms[stage]) }
                    }
                    (streams[stream], idealBits[stream]) = (encoder.finish(), encoder.idealBits)
                }
            }
        }
        let file = VQZFile(width: width, height: height, channels: channels, codecIdentity: identity, rate: rate,
                           entropyModel: entropyModel, tileSide: entropyModel == .prior ? tileSide : 0,
                           payload: ImageCodec.payload(streams: streams))
        return Compressed(file: file, idealBits: idealBits.reduce(0, +))
    }

    /// The payload of the streams (`streamLayout` order): the byte length of every stream but the last
    /// (4 bytes each, little-endian), then the streams.
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
    /// payload that does not decode exactly. With the priors, stages decode one after the other (a
    /// stage's prior may see the earlier ones), each stage's streams in parallel; with the histograms,
    /// every stream at once.
    public func decodeCodes(_ file: VQZFile, path: String) throws -> [Int32] {
        try checkBelongs(file, path: path)
        let grid = gridSize(width: file.width, height: file.height), rate = file.rate
        let tiling = Tiling(height: grid.height, width: grid.width, side: max(file.tileSide, 1))
        let layout = streamLayout(rate: rate, entropyModel: file.entropyModel, tiling: tiling)
        guard let streams = ImageCodec.streams(of: file.payload, count: layout.count) else {
            throw DataError(path, "corrupted: its stream lengths do not fit its payload")
        }
        var codes = [Int32](repeating: 0, count: grid.height * grid.width * rate)
        let waves: [Range<Int>] = file.entropyModel == .prior ? (0..<rate).map { $0..<($0 + 1) } : [0..<rate]
        for stages in waves {
            let contexts = Dictionary(uniqueKeysWithValues: stages.compactMap { stage in
                prior(ofStage: stage, file.entropyModel)
                    .flatMap { stageContext(codes, rate: rate, stage: stage, prior: $0, tiling: tiling) }.map { (stage, $0) }
            })
            let tasks = layout.indices.filter { stages.contains(layout[$0].stage) }
            var failures = [RANSDecoder.Failure?](repeating: nil, count: tasks.count)
            codes.withUnsafeMutableBufferPointer { codes in
                failures.withUnsafeMutableBufferPointer { failures in
                    Parallel.forEach(tasks.count) { task in
                        let (stage, group) = layout[tasks[task]]
                        do {
                            try decode(streams[tasks[task]], stage: stage, group: group, rate: rate, entropyModel: file.entropyModel,
                                       tiling: tiling, context: contexts[stage], into: codes)
                        } catch {
                            failures[task] = error as? RANSDecoder.Failure ?? .badFinalState
                        }
                    }
                }
            }
            if let (task, failure) = failures.enumerated().first(where: { $0.element != nil }) {
                throw DataError(path, "corrupted: stage \(layout[tasks[task]].stage + 1): \(failure!)")
            }
        }
        return codes
    }

    /// Throws `DataError(path, …)` unless `file` was made by this codec at a rate, channel count,
    /// tile side and size it decodes.
    func checkBelongs(_ file: VQZFile, path: String) throws {
        guard file.codecIdentity == identity else {
            throw DataError(path, "was made by another codec (identity \(hexadecimal(file.codecIdentity)), this codec's is \(hexadecimal(identity)))")
        }
        guard rates.contains(file.rate) else { throw DataError(path, "has rate \(file.rate); this codec has rates \(rates.lowerBound) to \(rates.upperBound)") }
        guard file.channels == channels else { throw DataError(path, "has \(file.channels) channels; this codec's model has \(channels)") }
        guard file.entropyModel == .histogram || (1...256).contains(file.tileSide) else {
            throw DataError(path, "has tile side \(file.tileSide), expected 1 to 256")
        }
        let grid = gridSize(width: file.width, height: file.height)
        guard grid.height * grid.width <= VQVAE.maximumGridArea else {
            throw DataError(path, "is \(file.width)x\(file.height), more than the \(VQVAE.maximumGridArea) codes per image this tool decodes")
        }
    }

    /// Decodes one stream, (`stage`, tile `group`), into `codes` ((position, stage) at `rate`).
    func decode(_ stream: [UInt8], stage: Int, group: Int, rate: Int, entropyModel: VQZFile.EntropyModel, tiling: Tiling,
                context: Tensor?, into codes: UnsafeMutableBufferPointer<Int32>) throws {
        var decoder = try RANSDecoder(stream)
        if let prior = prior(ofStage: stage, entropyModel) {
            try walk(prior, tiling: tiling, group: group, context: context) { position, logits in
                let code = Int32(try decoder.next(table: FrequencyTable(logits: logits)))
                codes[position * rate + stage] = code
                return code
            }
        } else {
            for position in 0..<(tiling.height * tiling.width) {
                codes[position * rate + stage] = Int32(try decoder.next(table: histograms[stage]))
            }
        }
        try decoder.finish()
    }

    /// The image of `file`, exactly `reconstruct` of the original at the file's rate.
    public func decompress(_ file: VQZFile, path: String) throws -> RasterImage {
        image(from: try decodeCodes(file, path: path), rate: file.rate, width: file.width, height: file.height)
    }

    /// The prior that codes `stage` under `entropyModel`, or nil for the histogram.
    func prior(ofStage stage: Int, _ entropyModel: VQZFile.EntropyModel) -> (any CodePrior)? {
        entropyModel == .prior && stage < priors.count ? priors[stage] : nil
    }

    /// The context map of `stage`'s prior on every tile of `tiling`: the sum of the code vectors of the
    /// stages before it (the partial reconstruction in latent space) at each position, (tiles, D, side,
    /// side), zeros outside the grid; nil for a prior without context. `codes` are (position, stage)
    /// at `rate`; only stages below `stage` are read.
    func stageContext(_ codes: [Int32], rate: Int, stage: Int, prior: any CodePrior, tiling: Tiling) -> Tensor? {
        guard prior.contextChannels > 0 else { return nil }
        let side = tiling.side, d = prior.contextChannels
        let vectors = ImageCodec.earlierStageVectors(codes, depth: rate, stage: stage, model: model)  // (area, D)
        var values = [Float](repeating: 0, count: tiling.count * d * side * side)
        vectors.withUnsafeBufferPointer { vectors in
            for tile in 0..<tiling.count {
                for row in 0..<side {
                    for column in 0..<side {
                        guard let position = tiling.position(tile: tile, row: row, column: column) else { continue }
                        for channel in 0..<d {
                            values[((tile * d + channel) * side + row) * side + column] = vectors[position * d + channel]
                        }
                    }
                }
            }
        }
        return Tensor(shape: [tiling.count, d, side, side], scalars: values)
    }

    /// Walks the tiles of `group` of `tiling` with one cursor over them all: at each tile position
    /// (raster order), every tile of the group (in order) whose position falls inside the grid gets
    /// `code(position in the grid, its logits)`, which returns the code to fix there. `context`: the
    /// prior's context map of every tile of the tiling (`stageContext`), or nil.
    ///
    /// The prior's arithmetic is part of the file format (its logits become the coding tables), so it
    /// runs with im2col's convolutions only: the context map's 3×3 convolution would otherwise go
    /// through `Winograd`, whose sums round differently, and files written before it could not be read.
    func walk(_ prior: any CodePrior, tiling: Tiling, group: Int, context: Tensor?,
              code: (_ position: Int, _ logits: [Float]) throws -> Int32) rethrows {
        try Winograd.$isEnabled.withValue(false) {
            try walkWithTheFormatsConvolutions(prior, tiling: tiling, group: group, context: context, code: code)
        }
    }

    private func walkWithTheFormatsConvolutions(_ prior: any CodePrior, tiling: Tiling, group: Int, context: Tensor?,
                                                code: (_ position: Int, _ logits: [Float]) throws -> Int32) rethrows {
        let tiles = tiling.tiles(ofGroup: group), side = tiling.side
        var cursor = prior.makeCursor(count: tiles.count, height: side, width: side, labels: nil,
                                      context: context?.sliced(alongAxis: 0, tiles))
        var fixed = [Int32](repeating: 0, count: tiles.count)
        for step in 0..<(side * side) {
            let (row, column) = step.quotientAndRemainder(dividingBy: side)
            let positions = tiles.map { tiling.position(tile: $0, row: row, column: column) }
            for index in fixed.indices { fixed[index] = 0 }
            if positions.contains(where: { $0 != nil }) {
                let logits = cursor.nextLogits()
                for (index, position) in positions.enumerated() {
                    if let position { fixed[index] = try code(position, logits[index]) }
                }
            }
            cursor.append(fixed)
        }
    }
}
