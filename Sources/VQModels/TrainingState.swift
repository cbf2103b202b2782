import Foundation
import VQData
import VQEngine
import VQNN

/// Which images a run trains on: enough to refuse resuming a run on different data.
///
/// Two data sets are the same when their counts, image shapes and pixel fingerprints agree; the name
/// (a path, or the built-in set's description) is reported but not compared, so a moved folder still
/// resumes.
public struct DatasetIdentity: Codable, Equatable, Sendable {
    /// Where the images came from (a path or a description), for messages.
    public var name: String
    public var count: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    /// FNV-1a (64-bit) of every pixel byte, as 16 hexadecimal digits.
    public var fingerprint: String

    public init(name: String, dataset: ImageDataset) {
        self.name = name
        count = dataset.count
        channels = dataset.channels
        height = dataset.height
        width = dataset.width
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        dataset.pixels.withUnsafeBufferPointer { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        fingerprint = hexadecimal(hash)
    }

    /// Whether the images are the same (the name aside).
    public func sameImages(as other: DatasetIdentity) -> Bool {
        (count, channels, height, width, fingerprint) == (other.count, other.channels, other.height, other.width, other.fingerprint)
    }

    /// "name (N images, CxHxW, fingerprint F)".
    public var summary: String { "\(name) (\(count) images, \(channels)x\(height)x\(width), fingerprint \(fingerprint))" }
}

/// The files of a run folder.
///
/// - `model.safetensors`: the model (`vqvae-model/1`, see `VQVAE.checkpoint`), loadable by itself.
/// - `training_state.safetensors`: everything else a resume needs (`vqvae-training-state/1`, see
///   `Trainer.trainingState`), including its own copy of the weights.
public struct RunFolder: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }
    public var modelPath: String { path + "/model.safetensors" }
    public var trainingStatePath: String { path + "/training_state.safetensors" }

    /// Removes temporary files (`*.safetensors.partial-PID`) left by a process killed while writing.
    /// Call only when no other process is training in this folder.
    public func removeAbandonedTemporaryFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix("model.safetensors.partial-") || name.hasPrefix("training_state.safetensors.partial-") {
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
    }
}

/// Saving and resuming a training run.
///
/// ## `training_state.safetensors` (format `vqvae-training-state/1`)
///
/// Tensors:
/// - `model.<name>`: every tensor of the model checkpoint (`model.encoder.conv1.weight`, …,
///   `model.quantizer.codebook`, `model.quantizer.ema.cluster_sizes`, …), so the state alone restarts
///   the run even when a kill fell between the writes of the two files;
/// - `adam.first_moment.<parameter>` and `adam.second_moment.<parameter>`: Adam's m and v for every
///   parameter name of `VQVAE.parameterNames` (absent before the first update).
///
/// `__metadata__`:
/// - `format` `vqvae-training-state/1`; `step`: updates completed (also in the model file's metadata);
/// - `configuration`: the model configuration (JSON of `VQVAEConfiguration`);
/// - `training_options`: JSON of `TrainingOptions`; `dataset`: JSON of `DatasetIdentity`;
/// - `random_generator`: the trainer's generator (batch sampling, k-means++, dead-code restarts) as
///   four 16-digit hexadecimal words;
/// - `adam.step`, `adam.beta1_power`, `adam.beta2_power`: the optimizer's step and its running
///   products β₁ᵗ, β₂ᵗ as the 16 hexadecimal digits of their IEEE-754 `Double` bits;
/// - `dead_code_restarter`: JSON of `DeadCodeRestarter` (`stepsUnused`, `patience`, `restarts`), when enabled.
///
/// Every number is stored exactly, so a resumed run continues bit for bit: on the same machine (the
/// engine splits sums by the processor count and picks SIMD kernels by CPU) it ends with the same
/// weights as an uninterrupted run.
extension Trainer {
    public static let trainingStateFormat = "vqvae-training-state/1"

    /// The state of this run after `step` updates.
    public func trainingState(dataset identity: DatasetIdentity) -> SafeTensors {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in model.checkpoint().tensors { tensors["model." + name] = tensor }
        let names = model.parameterNames
        if !optimizer.firstMoments.isEmpty {
            for (index, name) in names.enumerated() {
                tensors["adam.first_moment." + name] = optimizer.firstMoments[index]
                tensors["adam.second_moment." + name] = optimizer.secondMoments[index]
            }
        }
        let state = generator.state
        var metadata = [
            "format": Trainer.trainingStateFormat,
            "step": "\(step)",
            "configuration": canonicalJSON(model.configuration),
            "training_options": canonicalJSON(options),
            "dataset": canonicalJSON(identity),
            "random_generator": [state.0, state.1, state.2, state.3].map(hexadecimal).joined(separator: " "),
            "adam.step": "\(optimizer.step)",
            "adam.beta1_power": hexadecimal(optimizer.beta1Power.bitPattern),
            "adam.beta2_power": hexadecimal(optimizer.beta2Power.bitPattern),
        ]
        if let restarter { metadata["dead_code_restarter"] = canonicalJSON(restarter) }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Continues a run from its saved state. The configuration, options and data must be the ones the
    /// run was started with; otherwise this throws a `DataError` naming `path` and every difference.
    public init(resuming state: SafeTensors, path: String, configuration: VQVAEConfiguration,
                options: TrainingOptions, dataset: ImageDataset, identity: DatasetIdentity) throws {
        let metadata = state.metadata
        guard metadata["format"] == Trainer.trainingStateFormat else {
            throw DataError(path, "not a training state (metadata format is \(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(Trainer.trainingStateFormat)')")
        }
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw DataError(path, "metadata \(key) is missing") }
            return value
        }
        if let differences = try differingFields(saved: field("configuration"), current: canonicalJSON(configuration)) {
            throw DataError(path, "the run was started with another model configuration (\(differences)); resume with the same --preset and options")
        }
        if let differences = try differingFields(saved: field("training_options"), current: canonicalJSON(options)) {
            throw DataError(path, "the run was started with other training options (\(differences)); resume with the same options")
        }
        guard let saved = try? JSONDecoder().decode(DatasetIdentity.self, from: Data(field("dataset").utf8)) else {
            throw DataError(path, "metadata dataset is unreadable")
        }
        guard saved.sameImages(as: identity) else {
            throw DataError(path, "the run trained on \(saved.summary), not on \(identity.summary); resume with the same --data")
        }

        var modelTensors: [String: Tensor] = [:]
        for (name, tensor) in state.tensors where name.hasPrefix("model.") { modelTensors[String(name.dropFirst(6))] = tensor }
        let model = try VQVAE(checkpoint: SafeTensors(tensors: modelTensors, metadata: [
            "format": VQVAE.checkpointFormat, "configuration": canonicalJSON(configuration)]), path: path)
        self.init(model: model, dataset: dataset, options: options)

        guard let step = Int(try field("step")), let adamStep = Int(try field("adam.step")), step >= 0, adamStep == step,
              let beta1Bits = UInt64(try field("adam.beta1_power"), radix: 16),
              let beta2Bits = UInt64(try field("adam.beta2_power"), radix: 16) else {
            throw DataError(path, "metadata step, adam.step, adam.beta1_power or adam.beta2_power is unreadable or inconsistent")
        }
        var firstMoments: [Tensor] = [], secondMoments: [Tensor] = []
        if step > 0 {
            var problems: [String] = []
            func moment(_ name: String, shape: [Int]) -> Tensor {
                guard let stored = state.tensors[name] else { problems.append("\(name) is missing"); return Tensor(zeros: shape) }
                if stored.shape != shape { problems.append("\(name) has shape \(stored.shape), the parameter \(shape)") }
                return stored
            }
            for (name, parameter) in zip(model.parameterNames, model.parameters) {
                firstMoments.append(moment("adam.first_moment." + name, shape: parameter.shape))
                secondMoments.append(moment("adam.second_moment." + name, shape: parameter.shape))
            }
            if !problems.isEmpty { throw DataError(path, problems.joined(separator: "; ")) }
        }
        optimizer.restore(step: step, beta1Power: Double(bitPattern: beta1Bits), beta2Power: Double(bitPattern: beta2Bits),
                          firstMoments: firstMoments, secondMoments: secondMoments)

        let words = try field("random_generator").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words != [0, 0, 0, 0] else { throw DataError(path, "metadata random_generator is unreadable") }
        generator.state = (words[0], words[1], words[2], words[3])

        if options.deadCodePatience != nil {
            guard let restored = try? JSONDecoder().decode(DeadCodeRestarter.self, from: Data(field("dead_code_restarter").utf8)),
                  restored.stepsUnused.count == configuration.numEmbeddings, restored.patience == options.deadCodePatience else {
                throw DataError(path, "metadata dead_code_restarter is unreadable or does not fit the configuration")
            }
            restarter = restored
        }
    }

    /// Reads `RUN/training_state.safetensors` and continues the run (see `init(resuming:…)`).
    public init(resuming run: RunFolder, configuration: VQVAEConfiguration, options: TrainingOptions,
                dataset: ImageDataset, identity: DatasetIdentity) throws {
        let path = run.trainingStatePath
        guard FileIO.exists(path) else {
            throw DataError(path, "no training state to resume from (the run saved none yet, or this is not a run folder)")
        }
        try self.init(resuming: SafeTensors(contentsOf: path), path: path, configuration: configuration,
                      options: options, dataset: dataset, identity: identity)
    }

    /// Saves the run: first the training state, then the model, each atomically (temporary file,
    /// flush, rename), both with `step` in their metadata. A kill between the two renames leaves a
    /// state one save ahead of the model; the state holds its own copy of the weights, so a resume
    /// from it is still exact, and the model file is always a complete earlier checkpoint.
    /// `modelMetadata` is added to the model file's metadata (with `step`, `steps` and `training_options`).
    public func save(to run: RunFolder, identity: DatasetIdentity, modelMetadata: [String: String] = [:]) throws {
        try trainingState(dataset: identity).write(to: run.trainingStatePath)
        var metadata = modelMetadata
        metadata["step"] = "\(step)"
        metadata["steps"] = "\(step)"
        metadata["training_options"] = canonicalJSON(options)
        try model.checkpoint(metadata: metadata).write(to: run.modelPath)
    }
}

/// 16 hexadecimal digits.
func hexadecimal(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// JSON with sorted keys, so equal values give equal text.
func canonicalJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// nil when two JSON objects are the same; otherwise "key saved A, now B" for every differing key.
func differingFields(saved: String, current: String) -> String? {
    guard saved != current else { return nil }
    let savedObject = (try? JSONSerialization.jsonObject(with: Data(saved.utf8))) as? [String: Any] ?? [:]
    let currentObject = (try? JSONSerialization.jsonObject(with: Data(current.utf8))) as? [String: Any] ?? [:]
    let keys = Set(savedObject.keys).union(currentObject.keys).sorted()
    let differences = keys.compactMap { key -> String? in
        let (a, b) = (savedObject[key].map { "\($0)" } ?? "none", currentObject[key].map { "\($0)" } ?? "none")
        return a == b ? nil : "\(key) saved \(a), now \(b)"
    }
    return differences.isEmpty ? "saved \(saved), now \(current)" : differences.joined(separator: "; ")
}
