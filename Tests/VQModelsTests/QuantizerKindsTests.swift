import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// The VQ-VAE with the quantizers other than a single codebook, end to end: finite scalar
/// quantization (levels 5, 5, 3: 75 codes, rows of 3) and a residual quantizer (3 stages of K 8, EMA
/// codebooks, quantizer dropout, k-means initialisation, both dead-code rules), on 8×8 gray images.
@Suite struct QuantizerKindsTests {
    static func configuration(_ quantizer: QuantizerConfiguration, spatialRank: Int = 2) -> VQVAEConfiguration {
        VQVAEConfiguration(spatialRank: spatialRank, inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                           downsampling: 4, embeddingDim: 4, quantizer: quantizer)
    }
    static let fsq = configuration(QuantizerConfiguration(kind: .fsq, levels: [5, 5, 3]))
    static let rvq = configuration(QuantizerConfiguration(kind: .rvq, codebookSize: 8, depth: 3, quantizerDropout: true,
                                                          movingAverageStages: true, kMeansBatches: 1,
                                                          deadCodes: DeadCodePolicy(patience: 2, minimumUsage: 0.1)))

    /// 6 images of 8×8 gray pixels from a fixed generator.
    static let dataset: ImageDataset = {
        var generator = RandomGenerator(seed: 31)
        return ImageDataset(pixels: (0..<384).map { _ in UInt8(generator.nextIndex(below: 256)) }, channels: 1, height: 8, width: 8)
    }()
    static var images: Tensor { dataset.batch(Array(0..<6)) }

    /// A model of `configuration` after its quantizer's initialisation and 2 training steps on the
    /// images, so that EMA sums, cluster sizes and dead-code counters hold trained values.
    static func trainedModel(_ configuration: VQVAEConfiguration) throws -> VQVAE {
        var generator = RandomGenerator(seed: 32)
        var model = VQVAE(configuration, generator: &generator)
        model.initializeQuantizer(from: [images], generator: &generator)
        var trainer = ModelTrainer(model: model, optimizer: Adam(learningRate: 1e-3), schedule: .constant(1e-3), generator: generator)
        for _ in 0..<2 { try trainer.step(on: VQVAE.Batch(input: images)) }
        return trainer.model
    }

    static func sortedJSON(_ configuration: VQVAEConfiguration) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(configuration), as: UTF8.self)
    }

    /// The configuration survives JSON (what checkpoints store, with sorted keys, so the same
    /// configuration always gives the same text), quantizer settings included.
    @Test func configurationJSONRoundTrip() throws {
        let sequenceRVQ = Self.configuration(Self.rvq.quantizer, spatialRank: 1)
        for configuration in [Self.fsq, Self.rvq, sequenceRVQ] {
            let json = try Self.sortedJSON(configuration)
            let decoded = try JSONDecoder().decode(VQVAEConfiguration.self, from: Data(json.utf8))
            #expect(decoded == configuration, "\(json)")
            #expect(try Self.sortedJSON(decoded) == json)
        }
        let fsqJSON = try Self.sortedJSON(Self.fsq)
        #expect(fsqJSON.contains(#""kind":"fsq""#) && fsqJSON.contains(#""levels":[5,5,3]"#) && fsqJSON.contains(#""codebookSize":75"#))
        #expect(Self.fsq.latentChannels == 3 && Self.fsq.numEmbeddings == 75 && Self.fsq.depth == 1)
        let rvqJSON = try Self.sortedJSON(Self.rvq)
        #expect(rvqJSON.contains(#""deadCodes":{"minimumUsage":0.1,"patience":2,"usageDecay":0.99}"#), "\(rvqJSON)")
        #expect(rvqJSON.contains(#""depth":3"#) && rvqJSON.contains(#""quantizerDropout":true"#) && rvqJSON.contains(#""spatialRank":2"#))
        var generator = RandomGenerator(seed: 33)
        #expect(VQVAE(Self.rvq, generator: &generator).checkpoint().metadata["configuration"] == rvqJSON)
    }

    /// A trained model's checkpoint gives back every parameter and buffer bit for bit, the same
    /// outputs and the same codes at every depth.
    @Test(arguments: ["fsq", "rvq"])
    func checkpointRoundTrip(kind: String) throws {
        let configuration = kind == "fsq" ? Self.fsq : Self.rvq
        let model = try Self.trainedModel(configuration)
        let file = try SafeTensors(parsing: model.checkpoint(metadata: ["step": "2"]).encoded(), path: "m")
        #expect(file.metadata["format"] == "vqvae-model/2")
        let quantizerTensors = file.tensors.keys.filter { $0.hasPrefix("quantizer.") }.sorted()
        if kind == "fsq" {
            #expect(quantizerTensors.isEmpty)
        } else {
            #expect(quantizerTensors.count == 3 * 6)  // codebook, 2 EMA and 3 dead-code buffers per stage
            #expect(quantizerTensors.contains("quantizer.stages.2.ema.embedding_sums"))
            #expect(quantizerTensors.contains("quantizer.stages.1.dead_codes.average_usage"))
            // Training changed the state, so the round trip is not of fresh values.
            var generator = RandomGenerator(seed: 32)
            let fresh = VQVAE(configuration, generator: &generator)
            #expect(fresh.namedTensors["quantizer.stages.0.ema.cluster_sizes"]!.scalars
                    != model.namedTensors["quantizer.stages.0.ema.cluster_sizes"]!.scalars)
        }
        let loaded = try VQVAE(checkpoint: file, path: "m")
        #expect(loaded.configuration == configuration)
        #expect(loaded.namedTensors.mapValues { $0.scalars.map(\.bitPattern) } == model.namedTensors.mapValues { $0.scalars.map(\.bitPattern) })
        let images = Self.images
        for depth in 1...configuration.depth {
            #expect(loaded(images, depth: depth).reconstruction.scalars == model(images, depth: depth).reconstruction.scalars)
            #expect(loaded.encode(images, depth: depth) == model.encode(images, depth: depth))
        }
    }

    /// Depth k of 3: k indices per grid position, the first k of the full depth's; decoding them is the
    /// forward pass at depth k (up to the straight-through sum's last bits).
    @Test func residualDepths() throws {
        let model = try Self.trainedModel(Self.rvq)
        let images = Self.images
        let full = model.encode(images)
        #expect(full.count == 6 * 4 * 3 && full.allSatisfy { (0..<8).contains($0) })
        for depth in 1...3 {
            let codes = model.encode(images, depth: depth)
            #expect(codes.count == 6 * 4 * depth)
            let prefixes: [Int32] = (0..<24).flatMap { position in Array(full[(position * 3)..<(position * 3 + depth)]) }
            #expect(codes == prefixes, "depth \(depth)")
            let output = model(images, depth: depth)
            #expect(output.quantization.depth == depth && output.quantization.indices == codes)
            let decoded = model.decode(codes, batch: 6, gridShape: [2, 2], depth: depth)
            #expect(decoded.shape == [6, 1, 8, 8])
            expectClose(decoded, output.reconstruction, absolute: 1e-5, relative: 1e-4, "depth \(depth)")
        }
        // Each stage adds something: depth 1, 2 and 3 decode to different images.
        let decodings = (1...3).map { model.decode(model.encode(images, depth: $0), batch: 6, gridShape: [2, 2], depth: $0).scalars }
        #expect(decodings[0] != decodings[1] && decodings[1] != decodings[2])
        // A codes file keeps the depth.
        let file = model.encode(Self.dataset, depth: 2)
        #expect(file.depth == 2 && file.gridShape == [2, 2] && file.indices == model.encode(images, depth: 2))
    }

    /// `evaluate(on:depth:)` gives one set of code figures per stage used; the first stage's do not
    /// depend on the depth; the summary is their mean (perplexity, usage) and sum (dead codes).
    @Test func evaluationFiguresPerStage() throws {
        let model = try Self.trainedModel(Self.rvq)
        let reports = (1...3).map { model.evaluate(on: Self.dataset, depth: $0) }
        for (index, report) in reports.enumerated() {
            #expect(report.depth == index + 1 && report.stages.count == index + 1)
            #expect(report.usageHistogram.count == 8 && report.usageHistogram.reduce(0, +) == 24)
            #expect(report.stages[0] == reports[0].stages[0])
            let count = Double(report.stages.count)
            #expect(abs(report.perplexity - report.stages.map(\.perplexity).reduce(0, +) / count) < 1e-12)
            #expect(abs(report.codebookUsage - report.stages.map(\.codebookUsage).reduce(0, +) / count) < 1e-12)
            #expect(report.deadCodes == report.stages.map(\.deadCodes).reduce(0, +))
            #expect(report.stages.allSatisfy { $0.deadCodes == 8 - Int(($0.codebookUsage * 8).rounded()) })
        }
        #expect(model.evaluate(on: Self.dataset) == reports[2])
        let fsq = try Self.trainedModel(Self.fsq).evaluate(on: Self.dataset)
        #expect(fsq.depth == 1 && fsq.stages.count == 1 && fsq.usageHistogram.count == 75 && fsq.usageHistogram.reduce(0, +) == 24)
    }
}
