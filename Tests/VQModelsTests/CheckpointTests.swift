import Testing
import VQData
import VQEngine
import VQModels
import VQNN

@Suite struct CheckpointTests {
    let small = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                   numEmbeddings: 6, embeddingDim: 3)

    @Test(arguments: [false, true])
    func roundTripKeepsEveryTensorAndTheOutputs(ema: Bool) throws {
        var configuration = small
        configuration.quantizer.kind = ema ? .ema : .vq
        var generator = RandomGenerator(seed: 3)
        let model = VQVAE(configuration, generator: &generator)
        let bytes = model.checkpoint(metadata: ["steps": "7"]).encoded()
        let file = try SafeTensors(parsing: bytes, path: "m")
        #expect(file.metadata["steps"] == "7" && file.metadata["format"] == "vqvae-model/2")
        #expect(file.tensors.keys.contains("quantizer.codebook"))
        #expect(file.tensors.keys.contains("quantizer.ema.cluster_sizes") == ema)
        let loaded = try VQVAE(checkpoint: file, path: "m")
        #expect(loaded.configuration == configuration)
        #expect(loaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
        let images = Tensor(uniform: [2, 1, 8, 8], low: -0.5, high: 0.5, generator: &generator)
        #expect(loaded(images).reconstruction.scalars == model(images).reconstruction.scalars)
        #expect(loaded.encode(images) == model.encode(images))
    }

    @Test func missingTensorAndWrongShapeAreNamed() throws {
        var generator = RandomGenerator(seed: 3)
        var file = VQVAE(small, generator: &generator).checkpoint()
        file.tensors["encoder.conv1.bias"] = nil
        #expect(throws: DataError("m", "encoder.conv1.bias is missing")) { _ = try VQVAE(checkpoint: file, path: "m") }
        file = VQVAE(small, generator: &generator).checkpoint()
        file.tensors["quantizer.codebook"] = Tensor(zeros: [5, 3])
        #expect(throws: DataError("m", "quantizer.codebook has shape [5, 3], the model expects [6, 3]")) {
            _ = try VQVAE(checkpoint: file, path: "m")
        }
        file.metadata["format"] = nil
        #expect(throws: DataError("m", "not a VQ-VAE model checkpoint (metadata format is missing, expected 'vqvae-model/2')")) {
            _ = try VQVAE(checkpoint: file, path: "m")
        }
    }
}
