import VQData
import VQEngine

/// Running a sequence model (spatial rank 1) on whole clips of any length: padded with zeros to a
/// multiple of the downsampling factor, run, cropped back.
extension VQVAE {
    /// The clip as (1, 1, T′), T′ its length rounded up to a multiple of F, and its length.
    func paddedSignal(_ samples: ArraySlice<Float>) -> (signal: Tensor, length: Int) {
        let factor = configuration.downsampling
        let padded = max(factor, (samples.count + factor - 1) / factor * factor)
        var scalars = [Float](repeating: 0, count: padded)
        scalars.replaceSubrange(0..<samples.count, with: samples)
        return (Tensor(shape: [1, 1, padded], scalars: scalars), samples.count)
    }

    /// The codes of a clip: ⌈T/F⌉ positions × depth indices, (position, stage) order; nothing recorded.
    public func encode(clip samples: ArraySlice<Float>, depth: Int? = nil) -> [Int32] {
        precondition(configuration.spatialRank == 1 && configuration.inputChannels == 1, "VQVAE.encode(clip:): not a mono sequence model")
        return encode(paddedSignal(samples).signal, depth: depth)
    }

    /// The clip decoded from `codes` (from `encode(clip:)`, `depth` per position), cropped to `length`
    /// samples, with `condition` (a speaker) for a conditioned decoder.
    public func decode(clipCodes codes: [Int32], length: Int, depth: Int = 1, condition: Int32? = nil) -> [Float] {
        let positions = codes.count / depth
        let decoded = decode(codes, batch: 1, gridShape: [positions], depth: depth, condition: condition.map { [$0] })
        return Array(decoded.scalars.prefix(length))
    }

    /// The clip encoded and decoded (its codes' reconstruction), with `condition` — the clip's own
    /// speaker to reconstruct, another to convert the voice.
    public func reconstruct(clip samples: ArraySlice<Float>, depth: Int? = nil, condition: Int32? = nil) -> [Float] {
        let stages = quantizer.resolvedDepth(depth)
        return decode(clipCodes: encode(clip: samples, depth: stages), length: samples.count, depth: stages, condition: condition)
    }
}
