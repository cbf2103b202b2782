import VQEngine

/// A training batch of fixed-length windows cut from an `AudioDataset`'s clips.
public struct AudioWindows {
    /// The windows as (count, 1, length): one channel, zero-padded at the end where the clip is shorter.
    public let samples: Tensor
    /// Each window's clip label, or empty when the dataset has no labels.
    public let labels: [Int32]
    /// Each window's speaker index, or empty when the dataset has no speakers.
    public let speakers: [Int32]
    /// Each window's clip (index into the dataset).
    public let clips: [Int]
    /// Each window's first sample within its clip (0 for a clip shorter than the window).
    public let offsets: [Int]
}

/// One whole clip for evaluation, padded for a model that downsamples.
public struct PaddedClip {
    /// The clip as (1, 1, paddedLength), zeros after its `length` samples.
    public let samples: Tensor
    /// The clip's own length: the first `length` samples of a model's output are the clip's.
    public let length: Int
}

extension AudioDataset {
    /// `count` windows of `length` samples for training. For each window, in order, `generator` draws
    /// the clip (uniformly among the clips, whatever their lengths: `nextIndex(below: self.count)`) and
    /// then the offset (uniformly among the whole windows that fit: `nextIndex(below: clipLength −
    /// length + 1)`). A clip shorter than `length` gives offset 0 and its samples followed by zeros; the
    /// offset is still drawn (from 0..<1), so every window takes exactly two draws and the same seed
    /// gives the same windows however long the clips are.
    public func windows(count: Int, length: Int, generator: inout RandomGenerator) -> AudioWindows {
        precondition(self.count > 0, "AudioDataset.windows: the dataset has no clips")
        precondition(count >= 0 && length > 0, "AudioDataset.windows: \(count) windows of \(length) samples")
        var clips = [Int](), offsets = [Int]()
        clips.reserveCapacity(count)
        offsets.reserveCapacity(count)
        for _ in 0..<count {
            let clip = generator.nextIndex(below: self.count)
            clips.append(clip)
            offsets.append(generator.nextIndex(below: max(1, self.length(ofClip: clip) - length + 1)))
        }
        var scalars = [Float](repeating: 0, count: count * length)
        scalars.withUnsafeMutableBufferPointer { output in
            samples.withUnsafeBufferPointer { input in
                for (row, (clip, offset)) in zip(clips, offsets).enumerated() {
                    let start = clipBounds[clip] + offset, copied = min(length, clipBounds[clip + 1] - start)
                    for i in 0..<copied { output[row * length + i] = input[start + i] }
                }
            }
        }
        return AudioWindows(samples: Tensor(shape: [count, 1, length], scalars: scalars),
                            labels: labels.isEmpty ? [] : clips.map { labels[$0] },
                            speakers: speakers.isEmpty ? [] : clips.map { speakers[$0] },
                            clips: clips, offsets: offsets)
    }

    /// Clip `index` whole, as (1, 1, T′) with T′ the clip's length rounded up to a multiple of
    /// `factor` (a model's total downsampling), the added samples zeros.
    public func paddedClip(_ index: Int, toMultipleOf factor: Int) -> PaddedClip {
        precondition(factor > 0, "AudioDataset.paddedClip: factor \(factor) is not positive")
        let clip = clip(index), padded = (clip.count + factor - 1) / factor * factor
        var scalars = [Float](repeating: 0, count: padded)
        scalars.replaceSubrange(0..<clip.count, with: clip)
        return PaddedClip(samples: Tensor(shape: [1, 1, padded], scalars: scalars), length: clip.count)
    }
}
