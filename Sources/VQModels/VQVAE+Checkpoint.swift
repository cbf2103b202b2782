import Foundation
import VQData
import VQEngine
import VQNN

/// Saving and loading a VQ-VAE as safetensors.
///
/// Tensors: every parameter and buffer under its name (`Layer.namedTensors`): `encoder.conv1.weight`,
/// `encoder.residual.0.conv3x3.weight`, …, `decoder.conv_transpose2.bias`; the quantizer's under
/// `quantizer.` — `quantizer.codebook` (K, D) for a vector quantizer (a parameter when learnt by loss,
/// a buffer when by EMA, then with `quantizer.ema.cluster_sizes` (K) and `quantizer.ema.embedding_sums`
/// (K, D)), `quantizer.dead_codes.steps_unused`, `.average_usage`, `.restarts` with dead-code restarts,
/// `quantizer.stages.<s>.…` for each stage of a residual quantizer, nothing for FSQ.
///
/// `__metadata__` holds `format` (`vqvae-model/2`), `configuration` (JSON of `VQVAEConfiguration`,
/// with the quantizer's settings under `quantizer`, the spatial rank and the downsampling factor) and
/// any extra entries the caller passes (the CLI stores the training options, the step, and
/// `image_size`, the training images' `HEIGHTxWIDTH`, which `vqvae encode`/`decode`/`reconstruct` check).
///
/// Version 1 (`vqvae-model/1`, before the quantizer abstraction) still loads: its configuration has
/// `numEmbeddings`, `commitmentCost`, `movingAverageCodebook`, `decay` at the top level and means a
/// 2-D model with downsampling 4; its tensors have the same names, without dead-code statistics.
extension VQVAE {
    public static let checkpointFormat = "vqvae-model/2"
    /// The formats `init(checkpoint:path:)` reads.
    public static let readableCheckpointFormats = ["vqvae-model/2", "vqvae-model/1"]

    /// The tensors and metadata of this model.
    public func checkpoint(metadata extra: [String: String] = [:]) -> SafeTensors {
        SafeTensors(checkpointTensors: namedTensors, format: VQVAE.checkpointFormat, configuration: configuration, metadata: extra)
    }

    /// Rebuilds a model from a checkpoint; `path` names the file in errors.
    public init(checkpoint: SafeTensors, path: String) throws {
        let format = checkpoint.metadata["format"] ?? ""
        let configuration = try checkpoint.checkpointConfiguration(
            VQVAEConfiguration.self, format: VQVAE.readableCheckpointFormats.contains(format) ? format : VQVAE.checkpointFormat,
            kind: "VQ-VAE model", noun: "model", path: path)
        if let problems = configuration.problems { throw DataError(path, "the model configuration is not usable: \(problems)") }
        var generator = RandomGenerator(seed: 0)
        self.init(configuration, generator: &generator)
        // Version 1 files kept dead-code statistics in the training state, not in the model.
        let optional = format == "vqvae-model/1" ? Set(bufferNames.filter { $0.contains(".dead_codes.") }) : []
        do { try loadNamedTensors(checkpoint.tensors, optionalBuffers: optional) } catch { throw DataError(path, error.description) }
    }

    /// Reads a model checkpoint file.
    public init(contentsOf path: String) throws {
        try self.init(checkpoint: SafeTensors(contentsOf: path), path: path)
    }
}
