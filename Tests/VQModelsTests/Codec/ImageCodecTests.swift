import Foundation
import Testing
import VQData
import VQEngine
import VQNN
@testable import VQModels

/// A small codec made in a temporary folder: a tiny VQ-VAE with 8x downsampling and a 3-stage
/// residual quantizer of 32 codes (the tiny preset's K), randomly initialised (coding does not need a trained model: any
/// codes must round-trip), a prior for the first two stages (the second sees the first through a
/// context map; the third uses its histogram), tiles of 2x2 codes so images span several tiles.
enum TinyCodec {
    static func make(in folder: String, seed: UInt64 = 1, channels: Int = 3) throws -> ImageCodec {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: seed)
        var quantizer = QuantizerConfiguration.standard(.rvq, codebookSize: 16)
        quantizer.depth = 3
        let configuration = VQVAEConfiguration(preset: .tiny, inputChannels: channels, downsampling: 8, quantizer: quantizer)
        try VQVAE(configuration, generator: &generator).checkpoint().write(to: folder + "/model.safetensors")
        var names: [String] = []
        for stage in 1...2 {
            let context = stage == 1 ? 0 : configuration.embeddingDim
            let prior = PixelCNN(PixelCNNConfiguration(numEmbeddings: 32, channels: 8, layers: 2, outputChannels: 16,
                                                       contextChannels: context), generator: &generator)
            try prior.checkpoint(metadata: [:]).write(to: folder + "/prior-\(stage).safetensors")
            names.append("prior-\(stage).safetensors")
        }
        let histograms = (0..<3).map { stage in (0..<32).map { UInt64(($0 * 7 + stage) % 5) } }.map { FrequencyTable(weights: $0).frequencies }
        try CodecManifest(tileSide: 2, histograms: histograms, priors: names, cropSize: 32).write(folder: folder)
        return try ImageCodec(run: folder)
    }

    /// A `width` × `height` image of smooth colours and noise.
    static func image(width: Int, height: Int, channels: Int = 3, seed: UInt64 = 2) -> RasterImage {
        var generator = RandomGenerator(seed: seed)
        var image = RasterImage(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<channels {
                    image.pixels[image.offset(x: x, y: y) + channel] = UInt8((x * 5 + y * 3 + channel * 70 + generator.nextIndex(below: 40)) % 256)
                }
            }
        }
        return image
    }

    static func folder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.path + "/vqvae-codec-\(name)-\(getpid())"
    }
}

@Suite struct ImageCodecTests {
    /// The issue's exactness: decompress(compress(x)) is `reconstruct(x)` at every rate, for both entropy
    /// models, on sizes that are not multiples of 8 and span several 2x2-code tiles (gray and RGB).
    @Test(arguments: [(37, 22, 3), (8, 8, 3), (1, 1, 3), (45, 17, 1)])
    func decompressedIsTheReconstruction(width: Int, height: Int, channels: Int) throws {
        let folder = TinyCodec.folder("exact-\(width)x\(height)x\(channels)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let codec = try TinyCodec.make(in: folder, channels: channels)
        let image = TinyCodec.image(width: width, height: height, channels: channels)
        for rate in codec.rates {
            let expected = codec.reconstruct(image, rate: rate)
            #expect(expected == codec.model.reconstruct(image, depth: rate))
            for model in [VQZFile.EntropyModel.prior, .histogram] {
                let bytes = codec.compress(image, rate: rate, entropyModel: model).file.encoded()
                let decoded = try codec.decompress(try VQZFile(parsing: bytes, path: "x.vqz"), path: "x.vqz")
                #expect(decoded == expected, "rate \(rate), \(model)")
            }
        }
    }

    /// The coded size against Σ −log2 p under the same tables: within 1% plus the 4-byte states and
    /// the stream-length table; and the walk visits each position once (every code decodes back).
    @Test func payloadIsCloseToTheIdealCost() throws {
        let folder = TinyCodec.folder("ideal")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let codec = try TinyCodec.make(in: folder)
        let image = TinyCodec.image(width: 160, height: 120)
        let codes = codec.codes(of: image, rate: 3)
        let compressed = codec.compress(codes: codes, rate: 3, width: 160, height: 120)
        let payloadBits = Double(compressed.file.payload.count * 8)
        // Five streams: two tile groups for each of the stages with a prior, one for the histogram's;
        // each holds a 4-byte state, and four of them a 4-byte length.
        let streams = codec.streamLayout(rate: 3, entropyModel: .prior, tiling: .init(height: 15, width: 20, side: 2))
        #expect(streams.map(\.stage) == [0, 0, 1, 1, 2])
        #expect(payloadBits <= compressed.idealBits * 1.01 + Double(8 * (5 * 4 + 4 * 4)))
        #expect(try codec.decodeCodes(compressed.file, path: "x") == codes)
    }

    /// The prior's arithmetic is part of the file format, so coding runs with im2col's convolutions
    /// whatever the caller's setting: `Winograd` rounds its sums differently, and a context map's 3×3
    /// convolution of 16 or more channels would otherwise go through it.
    @Test func codingRunsWithTheFormatsConvolutions() throws {
        let folder = TinyCodec.folder("format-convolutions")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let codec = try TinyCodec.make(in: folder)
        let prior = try #require(codec.prior(ofStage: 0, .prior))
        var settings: [Bool] = []
        codec.walk(prior, tiling: .init(height: 2, width: 2, side: 2), group: 0, context: nil) { _, _ in
            settings.append(Winograd.isEnabled)
            return 0
        }
        #expect(Winograd.isEnabled)
        #expect(settings.count == 4 && settings.allSatisfy { !$0 })
    }

    /// Tiles of a 41x61 grid (481x321 pixels at /8) with side 16: 3x4 tiles in two groups of 6, the
    /// edge tiles' positions outside the grid are nil, and every grid position belongs to one tile.
    @Test func tilingCutsTheGridIntoGroupsOfTiles() {
        let tiling = ImageCodec.Tiling(height: 41, width: 61, side: 16)
        #expect(tiling.count == 12 && tiling.groups == 2)
        #expect(tiling.tiles(ofGroup: 0) == 0..<6 && tiling.tiles(ofGroup: 1) == 6..<12)
        #expect(ImageCodec.Tiling(height: 3, width: 50, side: 16).tiles(ofGroup: 1) == 2..<4)
        #expect(ImageCodec.Tiling(height: 1, width: 1, side: 16).groups == 1)
        #expect(tiling.position(tile: 11, row: 8, column: 12) == 40 * 61 + 60)
        #expect(tiling.position(tile: 11, row: 9, column: 0) == nil && tiling.position(tile: 3, row: 0, column: 13) == nil)
        let positions = (0..<12).flatMap { tile in (0..<256).compactMap { tiling.position(tile: tile, row: $0 / 16, column: $0 % 16) } }
        #expect(positions.sorted() == Array(0..<(41 * 61)))
    }

    /// A file of another codec (another seed: other weights) is one line naming the file; so is every
    /// corruption that gets past the CRC (re-stamped), and every truncation.
    @Test func foreignAndCorruptedFilesAreOneLine() throws {
        let (folderA, folderB) = (TinyCodec.folder("a"), TinyCodec.folder("b"))
        defer { for folder in [folderA, folderB] { try? FileManager.default.removeItem(atPath: folder) } }
        let codec = try TinyCodec.make(in: folderA, seed: 1), other = try TinyCodec.make(in: folderB, seed: 5)
        let file = codec.compress(TinyCodec.image(width: 40, height: 24), rate: 3).file
        #expect(throws: DataError.self) { try other.decompress(file, path: "f.vqz") }
        do { _ = try other.decompress(file, path: "f.vqz") } catch let error as DataError {
            #expect(error.description.hasPrefix("f.vqz: was made by another codec (identity "))
        }
        var generator = RandomGenerator(seed: 8)
        var (refused, decoded) = (0, 0)
        for _ in 0..<300 {
            var payload = file.payload
            let position = generator.nextIndex(below: payload.count)
            switch generator.nextIndex(below: 3) {
            case 0: payload[position] ^= UInt8(1 << generator.nextIndex(below: 8))
            case 1: payload = Array(payload.prefix(position))
            default: payload.insert(UInt8(generator.nextIndex(below: 256)), at: position)
            }
            var damaged = file
            damaged.payload = payload
            do {
                _ = try codec.decompress(try VQZFile(parsing: damaged.encoded(), path: "d.vqz"), path: "d.vqz")
                decoded += 1
            } catch let error as DataError {
                #expect(error.path == "d.vqz" && !error.problem.contains("\n"))
                refused += 1
            }
        }
        #expect(refused > 250, "\(refused) refused, \(decoded) decoded")
    }

    /// The run folder's checks: no manifest, a histogram of the wrong size.
    @Test func brokenRunFoldersAreOneLine() throws {
        let folder = TinyCodec.folder("broken")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: DataError.self) { try ImageCodec(run: folder) }
        _ = try TinyCodec.make(in: folder)
        var manifest = try CodecManifest(folder: folder)
        manifest.histograms[1] = [UInt32(FrequencyTable.total)]
        try manifest.write(folder: folder)
        do { _ = try ImageCodec(run: folder); Issue.record("accepted") } catch let error as DataError {
            #expect(error.description.contains("holds a histogram that is not 32 frequencies"))
        }
    }
}
