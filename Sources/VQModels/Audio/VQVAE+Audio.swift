#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQData
import VQEngine

/// Running a sequence model (spatial rank 1) on whole clips of any length: padded with zeros to a
/// multiple of the downsampling factor, run, cropped back.
extension VQVAE {
    /// The gain the model puts on this clip before encoding it: `AudioDataset.peakGain` to the
    /// configuration's `clipPeak`, 1 without one. Outputs are divided by it.
    public func inputGain(_ samples: ArraySlice<Float>) -> Float {
        configuration.clipPeak.map { AudioDataset.peakGain(of: samples, level: $0) } ?? 1
    }

    /// The clip times `inputGain` as (1, 1, T′), T′ its length rounded up to a multiple of F, and its length.
    func paddedSignal(_ samples: ArraySlice<Float>) -> (signal: Tensor, length: Int) {
        let factor = configuration.downsampling, gain = inputGain(samples)
        let padded = max(factor, (samples.count + factor - 1) / factor * factor)
        var scalars = [Float](repeating: 0, count: padded)
        for (position, sample) in zip(0..., samples) { scalars[position] = sample * gain }
        return (Tensor(shape: [1, 1, padded], scalars: scalars), samples.count)
    }

    /// The codes of a clip: ⌈T/F⌉ positions × depth indices, (position, stage) order; nothing recorded.
    public func encode(clip samples: ArraySlice<Float>, depth: Int? = nil) -> [Int32] {
        precondition(configuration.spatialRank == 1 && configuration.inputChannels == 1, "VQVAE.encode(clip:): not a mono sequence model")
        return encode(paddedSignal(samples).signal, depth: depth)
    }

    /// The quantised F0 of every code of a clip (`PitchSource.contour`), nil without a pitch source.
    public func pitch(clip samples: ArraySlice<Float>) -> [Float]? {
        guard let pitchSource else { return nil }
        return paddedSignal(samples).signal.withUnsafeBufferPointer { pitchSource.contour(of: $0) }
    }

    /// The clip decoded from `codes` (from `encode(clip:)`, `depth` per position), cropped to `length`
    /// samples, with `condition` (a speaker) for a conditioned decoder and with a pitch source its F0
    /// (`pitch(clip:)`, one per position; required). At the level the model works at: with a
    /// `clipPeak`, divide by the clip's `inputGain` for its own loudness.
    public func decode(clipCodes codes: [Int32], length: Int, depth: Int = 1, condition: Int32? = nil, pitch: [Float]? = nil) -> [Float] {
        let positions = codes.count / depth
        let decoded = decode(codes, batch: 1, gridShape: [positions], depth: depth, condition: condition.map { [$0] }, pitch: pitch)
        return Array(decoded.scalars.prefix(length))
    }

    /// The clip encoded and decoded (its codes' reconstruction, with its own F0), with `condition` for a
    /// conditioned decoder: the clip's own speaker.
    public func reconstruct(clip samples: ArraySlice<Float>, depth: Int? = nil, condition: Int32? = nil) -> [Float] {
        decodeOwnCodes(samples, depth: depth, condition: condition, pitch: pitch(clip: samples)).output
    }

    /// The clip's voice converted to `speaker`'s: its codes decoded with that speaker's label and, with a
    /// pitch source, its F0 moved to the speaker's mean (`speakerPitch`; kept where that is not known).
    public func convert(clip samples: ArraySlice<Float>, to speaker: Int32, depth: Int? = nil) -> [Float] {
        var contour = pitch(clip: samples)
        if let source = pitchSource, let own = contour, let target = speakerPitch?.scalars[Int(speaker)], target != 0 {
            contour = source.shifted(own, toMeanLog: target)
        }
        return decodeOwnCodes(samples, depth: depth, condition: speaker, pitch: contour).output
    }

    /// The clip's codes, and the clip decoded from them with `condition` and `pitch`, cropped to the
    /// clip's length and back at its own loudness (divided by its `inputGain`).
    func decodeOwnCodes(_ samples: ArraySlice<Float>, depth: Int?, condition: Int32?, pitch: [Float]?) -> (codes: [Int32], output: [Float]) {
        let stages = quantizer.resolvedDepth(depth), codes = encode(clip: samples, depth: stages), gain = inputGain(samples)
        let output = decode(clipCodes: codes, length: samples.count, depth: stages, condition: condition, pitch: pitch)
        return (codes, gain == 1 ? output : output.map { $0 / gain })
    }

    /// Sets `speakerPitch` from `dataset`'s clips (as read: scaled by `inputGain` here, as the model
    /// sees them): each speaker's mean ln F0 over its voiced frames
    /// (`speakerMap` maps the dataset's speaker indices to the model's). No-op without a pitch source
    /// or speakers.
    public mutating func measureSpeakerPitch(on dataset: AudioDataset, speakerMap: [Int32]? = nil) {
        guard let pitchSource, speakerPitch != nil, !dataset.speakers.isEmpty else { return }
        var contours = [[Float]](repeating: [], count: dataset.count)
        contours.withUnsafeMutableBufferPointer { output in
            Parallel.forEach(dataset.count) { index in
                let clip = dataset.clip(index), gain = inputGain(clip)
                output[index] = clip.map { $0 * gain }.withUnsafeBufferPointer { pitchSource.tracker.track($0) }
            }
        }
        var sums = [Double](repeating: 0, count: configuration.conditionClasses), counts = sums
        for (index, contour) in contours.enumerated() {
            let speaker = Int(speakerMap.map { $0[Int(dataset.speakers[index])] } ?? dataset.speakers[index])
            for f0 in contour where f0 > 0 { sums[speaker] += Double(log(f0)); counts[speaker] += 1 }
        }
        speakerPitch = Tensor(shape: [sums.count], scalars: zip(sums, counts).map { $1 > 0 ? Float($0 / $1) : 0 })
    }
}
