import Foundation
import VQData
import VQEngine
import VQNN

/// Which data a run trains on: enough to refuse resuming a run on different data.
///
/// Two data sets are the same when their kinds, counts, shapes and fingerprints agree; the name (a
/// path, or the built-in set's description) is reported but not compared, so a moved folder still
/// resumes.
public struct DatasetIdentity: Codable, Equatable, Sendable {
    /// Where the data came from (a path or a description), for messages.
    public var name: String
    /// "images" or "audio".
    public var kind: String
    /// Images or clips.
    public var count: Int
    /// Images: [C, H, W]; audio: [sample rate].
    public var shape: [Int]
    /// FNV-1a (64-bit) of every pixel byte (images) or `AudioDataset.fingerprint` (audio), as 16
    /// hexadecimal digits.
    public var fingerprint: String

    public init(name: String, dataset: ImageDataset) {
        self.name = name
        kind = "images"
        count = dataset.count
        shape = [dataset.channels, dataset.height, dataset.width]
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        dataset.pixels.withUnsafeBufferPointer { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        fingerprint = hexadecimal(hash)
    }

    public init(name: String, kind: String, count: Int, shape: [Int], fingerprint: String) {
        (self.name, self.kind, self.count, self.shape, self.fingerprint) = (name, kind, count, shape, fingerprint)
    }

    public init(name: String, audio: AudioDataset) {
        self.name = name
        kind = "audio"
        count = audio.count
        shape = [audio.sampleRate]
        fingerprint = audio.fingerprint
    }

    /// Whether the data are the same (the name aside).
    public func sameData(as other: DatasetIdentity) -> Bool {
        (kind, count, shape, fingerprint) == (other.kind, other.count, other.shape, other.fingerprint)
    }

    /// "name (N images, CxHxW, fingerprint F)" or "name (N clips at R Hz, fingerprint F)".
    public var summary: String {
        kind == "audio"
            ? "\(name) (\(count) clips at \(shape.first ?? 0) Hz, fingerprint \(fingerprint))"
            : "\(name) (\(count) images, \(shape.map(String.init).joined(separator: "x")), fingerprint \(fingerprint))"
    }
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

/// Saving and resuming a VQ-VAE training run.
///
/// ## `training_state.safetensors` (format `vqvae-training-state/2`)
///
/// What every `ModelTrainer` saves (`ModelTrainer+State.swift`): `model.<name>` for every parameter
/// and buffer of the model (EMA codebooks, dead-code statistics: whatever its quantizer keeps), so the
/// state alone restarts the run even when a kill fell between the writes of the two files; Adam's
/// moments `adam.first_moment.<parameter>`, `adam.second_moment.<parameter>`; and in `__metadata__`
/// `step`, `random_generator` (batch sampling, k-means++, quantizer dropout, dead-code restarts),
/// `adam.step`, `adam.beta1_power`, `adam.beta2_power`. Besides, in `__metadata__`:
/// - `format` `vqvae-training-state/2`;
/// - `configuration`: the model configuration (JSON of `VQVAEConfiguration`);
/// - `training_options`: JSON of `TrainingOptions`; `dataset`: JSON of `DatasetIdentity`.
///
/// A run resumes from the settings it saved (`SavedRun`); on the same machine (the engine splits sums
/// by the processor count and picks SIMD kernels by CPU) it ends with the same weights as an
/// uninterrupted run. States of format `vqvae-training-state/1` (before the quantizer abstraction)
/// are refused with a message; their run's model file still loads.
extension Trainer {
    /// `SavedRun.format`.
    public static var trainingStateFormat: String { SavedRun.format }

    /// The state of this run after `step` updates.
    public func trainingState(dataset identity: DatasetIdentity) -> SafeTensors {
        let (tensors, generic) = core.stateTensors()
        let metadata = generic.merging([
            "format": SavedRun.format,
            "configuration": canonicalJSON(model.configuration),
            "training_options": canonicalJSON(options),
            "dataset": canonicalJSON(identity),
        ]) { $1 }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// Continues a run from its saved state, with the configuration and options it saved, and `steps`
    /// in all when given (to train a run further, or stop it sooner: `SavedRun.stepsProblem`). The
    /// images must be the ones it trained on; otherwise this throws a `DataError` naming `path` and the
    /// difference.
    public init(resuming state: SafeTensors, path: String, dataset: Data, identity: DatasetIdentity, steps: Int? = nil,
                communicator: any Communicator = SingleProcessCommunicator.shared) throws {
        var saved = try SavedRun(state: state, path: path)
        if let steps, steps != saved.options.steps {
            if let problem = saved.stepsProblem(steps) { throw DataError(path, "cannot train to another number of steps: \(problem)") }
            saved.options.steps = steps
        }
        guard saved.dataset.sameData(as: identity) else {
            throw DataError(path, "the run trained on \(saved.dataset.summary), not on \(identity.summary); resume with the same --data")
        }
        guard dataset.channels == saved.configuration.inputChannels else {
            throw DataError(path, "the saved model expects \(saved.configuration.inputChannels) channels, the data have \(dataset.channels)")
        }
        var generator = RandomGenerator(seed: 0)
        self.init(model: VQVAE(saved.configuration, generator: &generator), dataset: dataset, options: saved.options,
                  communicator: communicator)
        try core.restoreState(from: state, path: path)
    }

    /// Reads `RUN/training_state.safetensors` and continues the run (see `init(resuming:path:…)`).
    public init(resuming run: RunFolder, dataset: Data, identity: DatasetIdentity, steps: Int? = nil,
                communicator: any Communicator = SingleProcessCommunicator.shared) throws {
        let path = run.trainingStatePath
        guard FileIO.exists(path) else {
            throw DataError(path, "no training state to resume from (the run saved none yet, or this is not a run folder)")
        }
        try self.init(resuming: SafeTensors(contentsOf: path), path: path, dataset: dataset, identity: identity, steps: steps,
                      communicator: communicator)
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

/// The settings a saved VQ-VAE run was started with, read from its training state: what
/// `vqvae train --resume RUN` continues with.
public struct SavedRun: Sendable {
    /// The format tag of a training state.
    public static let format = "vqvae-training-state/2"

    public var configuration: VQVAEConfiguration
    public var options: TrainingOptions
    public var dataset: DatasetIdentity
    /// Updates completed.
    public var step: Int

    /// Reads the settings of `state`; throws `DataError(path, …)` when it is not a readable training state.
    public init(state: SafeTensors, path: String) throws {
        let metadata = state.metadata
        guard metadata["format"] == SavedRun.format else {
            if metadata["format"] == "vqvae-training-state/1" {
                throw DataError(path, "the run was saved by an earlier version of vqvae (vqvae-training-state/1) and cannot be resumed; its model.safetensors still loads")
            }
            throw DataError(path, "not a training state (metadata format is \(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(SavedRun.format)')")
        }
        func decoded<Value: Decodable>(_ key: String, as type: Value.Type) throws -> Value {
            guard let text = metadata[key] else { throw DataError(path, "metadata \(key) is missing") }
            guard let value = try? JSONDecoder().decode(type, from: Data(text.utf8)) else { throw DataError(path, "metadata \(key) is unreadable") }
            return value
        }
        configuration = try decoded("configuration", as: VQVAEConfiguration.self)
        if let problems = configuration.problems { throw DataError(path, "the saved model configuration is not usable: \(problems)") }
        options = try decoded("training_options", as: TrainingOptions.self)
        dataset = try decoded("dataset", as: DatasetIdentity.self)
        guard let step = metadata["step"].flatMap(Int.init), step >= 0 else { throw DataError(path, "metadata step is unreadable") }
        self.step = step
    }

    /// Reads the settings saved in `RUN/training_state.safetensors`.
    public init(run: RunFolder) throws {
        let path = run.trainingStatePath
        guard FileIO.exists(path) else {
            throw DataError(path, "no training state to resume from (the run saved none yet, or this is not a run folder)")
        }
        try self.init(state: SafeTensors(contentsOf: path), path: path)
    }

    /// Each difference between the saved settings and `configuration` and `options` ("key saved A,
    /// now B"), or nil when they agree. Another total of `steps` is not one unless `stepsProblem`
    /// says why it cannot be taken.
    public func differences(configuration: VQVAEConfiguration, options: TrainingOptions) -> String? {
        var comparable = options
        comparable.steps = self.options.steps
        let found = [differingFields(saved: canonicalJSON(self.configuration), current: canonicalJSON(configuration)),
                     differingFields(saved: canonicalJSON(self.options), current: canonicalJSON(comparable)),
                     options.steps == self.options.steps ? nil : stepsProblem(options.steps)].compactMap { $0 }
        return found.isEmpty ? nil : found.joined(separator: "; ")
    }

    /// Why the run cannot continue to `steps` in all instead of its saved total, or nil when it can:
    /// a finished run trains further, an unfinished one stops sooner, and both end where a run started
    /// with `steps` would, as long as no setting depends on the total. The cosine schedule does (it
    /// decays to zero at the total), and the steps already trained cannot be taken back.
    public func stepsProblem(_ steps: Int) -> String? {
        if options.cosineWarmupSteps != nil {
            return "steps saved \(options.steps), now \(steps) (the cosine schedule decays over the saved total, so it cannot change)"
        }
        if steps < step { return "steps saved \(options.steps), now \(steps), fewer than the \(step) already trained" }
        return nil
    }
}
