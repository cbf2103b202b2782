import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// Checkpoints written before the quantizer abstraction (`vqvae-model/1`) still load and still give
/// the same figures and codes.
///
/// Fixtures/legacy (README.md there): two tiny models (hidden 16, residual 8, 1 block, D 8, K 32,
/// 300 steps on the built-in shapes, k-means initialisation), `tiny-plain` with a codebook learnt by
/// loss and `tiny-ema` by EMA, written by the code at commit 9f24100, with what that code's
/// `vqvae eval --json` printed on the built-in shapes' test split (seed 0) in tiny-*-eval.json and
/// what its `vqvae encode --limit 4` wrote in tiny-*-codes.vqc (.vqc version 1).
@Suite struct LegacyCheckpointTests {
    static func fixture(_ name: String) -> String {
        String(#filePath).replacingOccurrences(of: "LegacyCheckpointTests.swift", with: "Fixtures/legacy/" + name)
    }

    static let testSet: ImageDataset = try! DatasetSource.builtInShapes(seed: 0).load(.test)

    @Test(arguments: [("plain", QuantizerConfiguration.Kind.vq), ("ema", .ema)])
    func loadsWithItsConfiguration(variant: String, kind: QuantizerConfiguration.Kind) throws {
        let path = Self.fixture("tiny-\(variant).safetensors")
        #expect(try SafeTensors(contentsOf: path).metadata["format"] == "vqvae-model/1")
        let model = try VQVAE(contentsOf: path)
        let c = model.configuration
        #expect(c.quantizer.kind == kind)
        #expect(c.spatialRank == 2 && c.downsampling == 4 && c.inputChannels == 1)
        #expect(c.hiddenChannels == 16 && c.residualChannels == 8 && c.residualBlocks == 1 && c.embeddingDim == 8)
        #expect(c.numEmbeddings == 32 && c.depth == 1 && c.commitmentCost == 0.25 && c.quantizer.decay == 0.99)
        #expect(c.quantizer.deadCodes == nil)
        #expect(model.quantizer is VectorQuantizer)
        // Every tensor of the file went into the model, under the same name.
        let file = try SafeTensors(contentsOf: path)
        let tensors = model.namedTensors
        #expect(Set(tensors.keys) == Set(file.tensors.keys))
        for (name, tensor) in file.tensors { #expect(tensors[name]?.scalars == tensor.scalars, "\(name)") }
        if kind == .ema {
            let sizes = tensors["quantizer.ema.cluster_sizes"]!.scalars
            #expect(sizes.reduce(0, +) > 1, "the EMA state was trained, not the fresh one")
        }
    }

    /// `evaluate(on:)` on the 2000 test images gives the recorded figures: the code counts are the
    /// same, so perplexity, usage and dead codes are equal exactly; the MSE is a sum over batches in
    /// Double of Float means, held to 1e-6 relative.
    @Test(arguments: ["plain", "ema"])
    func evaluationGivesTheRecordedFigures(variant: String) throws {
        let model = try VQVAE(contentsOf: Self.fixture("tiny-\(variant).safetensors"))
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("tiny-\(variant)-eval.json")))
        let recorded = try JSONDecoder().decode([String: Double].self, from: data)
        #expect(Self.testSet.count == 2000)
        let report = model.evaluate(on: Self.testSet)
        let relative = { (actual: Double, expected: Double) in abs(actual - expected) / abs(expected) }
        #expect(relative(report.mse, recorded["test_mse"]!) < 1e-6, "test MSE \(report.mse) vs \(recorded["test_mse"]!)")
        #expect(relative(report.nmse, recorded["test_nmse"]!) < 1e-6, "test NMSE \(report.nmse) vs \(recorded["test_nmse"]!)")
        #expect(relative(report.psnr, recorded["psnr"]!) < 1e-6, "PSNR \(report.psnr) vs \(recorded["psnr"]!)")
        #expect(report.perplexity == recorded["perplexity"]!)
        #expect(report.codebookUsage == recorded["codebook_usage"]!)
        #expect(Double(report.deadCodes) == recorded["dead_codes"]!)
        #expect(report.depth == 1 && report.stages.count == 1 && report.usageHistogram.reduce(0, +) == 2000 * 49)
    }

    /// Encoding the first 4 test images gives exactly the recorded indices (4 grids of 7×7).
    @Test(arguments: ["plain", "ema"])
    func encodingGivesTheRecordedCodes(variant: String) throws {
        let model = try VQVAE(contentsOf: Self.fixture("tiny-\(variant).safetensors"))
        let recorded = try CodesFile(contentsOf: Self.fixture("tiny-\(variant)-codes.vqc"))
        #expect(recorded.count == 4 && recorded.gridShape == [7, 7] && recorded.depth == 1 && recorded.numEmbeddings == 32)
        let codes = model.encode(Self.testSet, limit: 4)
        #expect(codes.indices == recorded.indices)
        #expect(codes.gridShape == recorded.gridShape && codes.labels == recorded.labels)
        #expect(model.encode(Self.testSet.batch([0, 1, 2, 3])) == recorded.indices)
    }
}
