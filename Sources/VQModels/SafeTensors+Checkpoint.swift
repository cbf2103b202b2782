import Foundation
import VQData
import VQEngine

extension SafeTensors {
    /// A checkpoint: `tensors`, and in the metadata `extra`, the `format` tag and the configuration as
    /// JSON under `configuration`, with sorted keys so that the same model gives the same bytes in
    /// every process (dictionary order is seeded per process).
    init<Configuration: Encodable>(checkpointTensors tensors: [String: Tensor], format: String,
                                   configuration: Configuration, metadata extra: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = extra
        metadata["format"] = format
        metadata["configuration"] = String(decoding: try! encoder.encode(configuration), as: UTF8.self)
        self.init(tensors: tensors, metadata: metadata)
    }

    /// The configuration a checkpoint stores as JSON under `configuration` in its metadata, after
    /// checking that its `format` tag is `format`. `kind` names the checkpoint in errors ("VQ-VAE
    /// model", "prior"), `noun` its configuration ("model", "prior"), `path` the file.
    func checkpointConfiguration<Configuration: Decodable>(_ type: Configuration.Type, format: String, kind: String,
                                                           noun: String, path: String) throws -> Configuration {
        guard metadata["format"] == format else {
            let found = metadata["format"].map { "'\($0)'" } ?? "missing"
            throw DataError(path, "not a \(kind) checkpoint (metadata format is \(found), expected '\(format)')")
        }
        guard let json = metadata["configuration"],
              let configuration = try? JSONDecoder().decode(type, from: Data(json.utf8)) else {
            throw DataError(path, "the \(noun) configuration in the metadata is missing or unreadable")
        }
        return configuration
    }
}
