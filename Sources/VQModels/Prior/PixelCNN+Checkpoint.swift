import Foundation
import VQData
import VQEngine
import VQNN

/// Saving and loading a PixelCNN prior as safetensors (`prior.safetensors`).
///
/// Tensor names are the parameter names: `embedding.weight` (K, C); for each layer l
/// `layers.l.vertical.weight` (2C, C, k, k) and `.bias` (2C), `layers.l.horizontal.weight` (2C, C, 1, k)
/// and `.bias`, `layers.l.vertical_to_horizontal.weight` (2C, 2C, 1, 1) and `.bias`,
/// `layers.l.horizontal_output.weight` (C, C, 1, 1) and `.bias`, `layers.l.skip.weight` (C, C, 1, 1) and
/// `.bias`, and when class-conditional `layers.l.vertical_condition` and `layers.l.horizontal_condition`
/// (classes, 2C), and with a context map of D channels `layers.l.vertical_context.weight` and
/// `layers.l.horizontal_context.weight` (2C, C, 1, 1) with their biases; then `output1.weight`
/// (O, C, 1, 1), `output1.bias`, `output2.weight` (K, O, 1, 1), `output2.bias`, and with a context map
/// `context_input.weight` (C, D, 3, 3) and `context_input.bias`. Weights are stored unmasked (masked
/// taps stay at their initial values and have no effect); the masks are rebuilt from the configuration.
/// `__metadata__` holds `format`
/// (`vqvae-prior/1`), `configuration` (JSON of `PixelCNNConfiguration`; `contextChannels` may be absent
/// in files written before context maps, meaning 0) and any extra entries.
extension PixelCNN {
    public static let checkpointFormat = "vqvae-prior/1"

    /// The tensors and metadata of this prior.
    public func checkpoint(metadata extra: [String: String] = [:]) -> SafeTensors {
        var tensors: [String: Tensor] = [:]
        var copy = self
        copy.forEachParameter { name, parameter in tensors[name] = parameter.detached() }
        return SafeTensors(checkpointTensors: tensors, format: PixelCNN.checkpointFormat, configuration: configuration,
                           metadata: extra)
    }

    /// Rebuilds a prior from a checkpoint; `path` names the file in errors.
    public init(checkpoint: SafeTensors, path: String) throws {
        let configuration = try checkpoint.checkpointConfiguration(PixelCNNConfiguration.self, format: PixelCNN.checkpointFormat,
                                                                   kind: "prior", noun: "prior", path: path)
        var generator = RandomGenerator(seed: 0)
        self.init(configuration, generator: &generator)
        do { try loadParameters(from: checkpoint.tensors) } catch { throw DataError(path, error.description) }
    }

    /// Reads a prior checkpoint file.
    public init(contentsOf path: String) throws {
        try self.init(checkpoint: SafeTensors(contentsOf: path), path: path)
    }
}
