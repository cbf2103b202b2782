/// Clips of mono audio at one sample rate, with optional class labels and speakers, held as `Float`
/// samples in [-1, 1) (resampled clips may overshoot that range by a little: the resampler's ripple
/// near a full-scale edge; they are not clipped).
///
/// The clips lie end to end in `samples`; clip i is `samples[clipBounds[i]..<clipBounds[i + 1]]`.
/// Labels and speakers are indices into `classNames` and `speakerNames`, one per clip, or empty when
/// the source has none (as `ImageDataset.labels`).
public struct AudioDataset: Sendable {
    /// Every clip's samples, clip after clip.
    public let samples: [Float]
    /// count + 1 offsets into `samples`, from 0 to `samples.count`: clip i starts at `clipBounds[i]`.
    public let clipBounds: [Int]
    /// Samples per second, the same for every clip.
    public let sampleRate: Int
    /// One class index per clip (FSDD: the digit; a folder: its sorted class sub-folders), or empty.
    public let labels: [Int32]
    /// One speaker index per clip (FSDD: the sorted speaker names), or empty.
    public let speakers: [Int32]
    /// The name of each label value (index = label), when the source names its classes; empty otherwise.
    public var classNames: [String] = []
    /// The name of each speaker index, when the source names its speakers; empty otherwise.
    public var speakerNames: [String] = []
    /// Each clip's file, relative to the folder it was read from (`7_theo_12.wav`, `dog/3.wav`,
    /// `train/dog/3.wav`; a single file: its name), or empty for clips made in memory.
    public var fileNames: [String] = []

    /// A dataset of `clips` at `sampleRate`; `labels` and `speakers` one per clip or empty.
    public init(clips: [[Float]], sampleRate: Int, labels: [Int32] = [], speakers: [Int32] = []) {
        var bounds = [0]
        bounds.reserveCapacity(clips.count + 1)
        for clip in clips { bounds.append(bounds.last! + clip.count) }
        var samples: [Float] = []
        samples.reserveCapacity(bounds.last!)
        for clip in clips { samples += clip }
        self.init(samples: samples, clipBounds: bounds, sampleRate: sampleRate, labels: labels, speakers: speakers)
    }

    /// A dataset over clips already laid end to end (`clipBounds` as the property's).
    public init(samples: [Float], clipBounds: [Int], sampleRate: Int, labels: [Int32] = [], speakers: [Int32] = []) {
        precondition(sampleRate > 0, "AudioDataset: sample rate \(sampleRate) is not positive")
        precondition(clipBounds.first == 0 && clipBounds.last == samples.count && zip(clipBounds, clipBounds.dropFirst()).allSatisfy { $0 <= $1 },
                     "AudioDataset: clip bounds must rise from 0 to the \(samples.count) samples")
        let count = clipBounds.count - 1
        precondition(labels.isEmpty || labels.count == count, "AudioDataset: \(labels.count) labels for \(count) clips")
        precondition(speakers.isEmpty || speakers.count == count, "AudioDataset: \(speakers.count) speakers for \(count) clips")
        self.samples = samples
        self.clipBounds = clipBounds
        self.sampleRate = sampleRate
        self.labels = labels
        self.speakers = speakers
    }

    /// The number of clips.
    public var count: Int { clipBounds.count - 1 }

    /// The samples of clip `index`.
    public func clip(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "AudioDataset.clip: index \(index) out of range for \(count) clips")
        return samples[clipBounds[index]..<clipBounds[index + 1]]
    }

    /// The number of samples of clip `index`.
    public func length(ofClip index: Int) -> Int {
        precondition(index >= 0 && index < count, "AudioDataset.length: index \(index) out of range for \(count) clips")
        return clipBounds[index + 1] - clipBounds[index]
    }

    /// The clips' total length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// FNV-1a (64-bit) as 16 hexadecimal digits, over, in order: each clip's length (8 bytes,
    /// little-endian), every sample's IEEE-754 bits (4 bytes, little-endian), then each label and each
    /// speaker (4 bytes each, little-endian; nothing when there are none). So two datasets agree when
    /// they hold the same clips, cut the same way, with the same labels and speakers, in the same
    /// order; the sample rate and the names are not included (the rate belongs beside it in an identity).
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        @inline(__always) func add(_ value: UInt64, bytes: Int) {
            for byte in 0..<bytes { hash = (hash ^ ((value >> (8 * UInt64(byte))) & 0xFF)) &* 0x0000_0100_0000_01B3 }
        }
        for index in 0..<count { add(UInt64(length(ofClip: index)), bytes: 8) }
        samples.withUnsafeBufferPointer { samples in
            for sample in samples { add(UInt64(sample.bitPattern), bytes: 4) }
        }
        for label in labels { add(UInt64(UInt32(bitPattern: label)), bytes: 4) }
        for speaker in speakers { add(UInt64(UInt32(bitPattern: speaker)), bytes: 4) }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// "N clips, R Hz, S s, fingerprint F" (S with one decimal).
    public var summary: String {
        let tenths = (duration * 10).rounded()
        return "\(count) clips, \(sampleRate) Hz, \(Int(tenths) / 10).\(Int(tenths) % 10) s, fingerprint \(fingerprint)"
    }
}
