/// Peak normalisation: every clip scaled so its largest magnitude is one level.
///
/// Recordings differ in loudness by more than speakers differ in voice (FSDD's theo peaks near 0.03,
/// the others near 0.3), and the waveform and spectral losses weigh a loud clip more than a quiet one.
/// Scaling each clip to one peak, as the speech VQ-VAE recipes preprocess their corpora, lets a
/// model spend nothing on loudness; `VQVAEConfiguration.clipPeak` records the level.
extension AudioDataset {
    /// The gain that brings `clip`'s largest magnitude to `level`: `level / max|x|` computed in `Float`,
    /// or 1 for a clip of zeros (nothing to scale).
    public static func peakGain(of clip: ArraySlice<Float>, level: Float) -> Float {
        precondition(level > 0 && level.isFinite, "AudioDataset.peakGain: level \(level) is not positive")
        var peak: Float = 0
        for sample in clip { peak = max(peak, abs(sample)) }
        return peak > 0 ? level / peak : 1
    }

    /// The same clips, labels, speakers and names, each clip multiplied by its `peakGain(of:level:)`.
    public func peakNormalized(to level: Float) -> AudioDataset {
        var scaled = samples
        for index in 0..<count {
            let range = clipBounds[index]..<clipBounds[index + 1]
            let gain = AudioDataset.peakGain(of: samples[range], level: level)
            for position in range { scaled[position] = samples[position] * gain }
        }
        var dataset = AudioDataset(samples: scaled, clipBounds: clipBounds, sampleRate: sampleRate, labels: labels, speakers: speakers)
        (dataset.classNames, dataset.speakerNames, dataset.fileNames) = (classNames, speakerNames, fileNames)
        return dataset
    }
}
