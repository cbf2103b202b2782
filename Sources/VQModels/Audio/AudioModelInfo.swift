import Foundation
import VQData

/// What a speech model's checkpoint records about its data, in `__metadata__`: `sample_rate` (the
/// rate every clip is resampled to), `speakers` (JSON array of the speaker names, in the order of the
/// decoder's condition labels) and `classes` (JSON array of the label names, the digits for FSDD).
public struct AudioModelInfo: Equatable, Sendable {
    public var sampleRate: Int
    public var speakers: [String]
    public var classes: [String]

    public init(sampleRate: Int, speakers: [String], classes: [String]) {
        self.sampleRate = sampleRate
        self.speakers = speakers
        self.classes = classes
    }

    /// The metadata entries.
    public var metadata: [String: String] {
        let encode = { (names: [String]) in String(decoding: try! JSONEncoder().encode(names), as: UTF8.self) }
        return ["sample_rate": "\(sampleRate)", "speakers": encode(speakers), "classes": encode(classes)]
    }

    /// Reads the entries of a checkpoint's metadata; throws `DataError(path, …)` when it is not a
    /// speech model's.
    public init(metadata: [String: String], path: String) throws {
        guard let rate = metadata["sample_rate"].flatMap(Int.init), rate > 0 else {
            throw DataError(path, "not a speech model: the metadata has no sample_rate (train one with vqvae audio train)")
        }
        let decode = { (key: String) in
            metadata[key].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        }
        self.init(sampleRate: rate, speakers: decode("speakers"), classes: decode("classes"))
    }

    /// The model's label for each of `dataset`'s speakers (by name); throws `DataError(source, …)`
    /// naming a speaker the model does not know.
    public func speakerMap(for dataset: AudioDataset, source: String) throws -> [Int32] {
        try dataset.speakerNames.map { name in
            guard let index = speakers.firstIndex(of: name) else {
                throw DataError(source, "speaker '\(name)' is unknown to the model (it knows \(speakers.joined(separator: ", ")))")
            }
            return Int32(index)
        }
    }

    /// The model's label of speaker `name`; throws `DataError(path, …)` for an unknown one.
    public func speaker(named name: String, path: String) throws -> Int32 {
        guard let index = speakers.firstIndex(of: name) else {
            let known = speakers.isEmpty ? "the model is not conditioned on speakers" : "it knows \(speakers.joined(separator: ", "))"
            throw DataError(path, "speaker '\(name)' is unknown to the model (\(known))")
        }
        return Int32(index)
    }
}
