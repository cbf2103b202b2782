import Foundation
import VQData
import VQEngine
import VQNN

/// Saving and loading a VQ-VAE as safetensors.
///
/// Tensor names are the parameter names (`encoder.conv1.weight`, `encoder.residual.0.conv3x3.weight`,
/// …, `decoder.conv_transpose2.bias`, see `parameterNames`), plus `quantizer.codebook` always, and for an
/// EMA codebook `quantizer.ema.cluster_sizes` (K) and `quantizer.ema.embedding_sums` (K, D).
/// `__metadata__` holds `format` (`vqvae-model/1`), `configuration` (JSON of `VQVAEConfiguration`)
/// and any extra entries the caller passes (the CLI stores the training options, the step, and
/// `image_size`, the training images' `HEIGHTxWIDTH`, which `vqvae encode`/`decode`/`reconstruct` check).
extension VQVAE {
    public static let checkpointFormat = "vqvae-model/1"

    /// The tensors and metadata of this model.
    public func checkpoint(metadata extra: [String: String] = [:]) -> SafeTensors {
        var tensors: [String: Tensor] = [:]
        var copy = self
        copy.forEachParameter { name, parameter in tensors[name] = parameter.detached() }
        tensors["quantizer.codebook"] = quantizer.codebook.detached()
        if let averages = quantizer.movingAverages {
            tensors["quantizer.ema.cluster_sizes"] = averages.clusterSizes
            tensors["quantizer.ema.embedding_sums"] = averages.embeddingSums
        }
        return SafeTensors(checkpointTensors: tensors, format: VQVAE.checkpointFormat, configuration: configuration,
                           metadata: extra)
    }

    /// Rebuilds a model from a checkpoint; `path` names the file in errors.
    public init(checkpoint: SafeTensors, path: String) throws {
        let configuration = try checkpoint.checkpointConfiguration(VQVAEConfiguration.self, format: VQVAE.checkpointFormat,
                                                                   kind: "VQ-VAE model", noun: "model", path: path)
        var generator = RandomGenerator(seed: 0)
        self.init(configuration, generator: &generator)
        var missing: [String] = []
        var mismatch: String?
        func take(_ name: String, _ tensor: inout Tensor) {
            guard let stored = checkpoint.tensors[name] else { missing.append(name); return }
            if stored.shape != tensor.shape { mismatch = mismatch ?? "tensor \(name) has shape \(stored.shape), the configuration needs \(tensor.shape)" }
            tensor = stored
        }
        forEachParameter(take)
        take("quantizer.codebook", &quantizer.codebook)
        if var averages = quantizer.movingAverages {
            take("quantizer.ema.cluster_sizes", &averages.clusterSizes)
            take("quantizer.ema.embedding_sums", &averages.embeddingSums)
            quantizer.movingAverages = averages
        }
        if !missing.isEmpty { throw DataError(path, "missing tensors: \(missing.joined(separator: ", "))") }
        if let mismatch { throw DataError(path, mismatch) }
    }

    /// Reads a model checkpoint file.
    public init(contentsOf path: String) throws {
        try self.init(checkpoint: SafeTensors(contentsOf: path), path: path)
    }
}
