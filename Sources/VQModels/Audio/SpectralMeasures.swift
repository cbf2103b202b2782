#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine
import VQNN

/// Distances between a clip and its reconstruction in the spectral domain, for `vqvae audio eval`.
///
/// Both use power spectra |X|² of Hann-windowed frames of 32 ms hopping 8 ms (`stftMagnitude`, the
/// engine's windowed DFT), at the clips' rate:
/// - log-spectral distance (dB): per frame √(mean over bins of (10·log₁₀(P + ε) − 10·log₁₀(P̂ + ε))²),
///   ε = 1e-10, averaged over frames — the usual definition in speech coding;
/// - mel distance: mean |ln(M + 1e-5) − ln(M̂ + 1e-5)| over frames and `melBands` mel bands (HTK mel
///   scale, triangular filters from 0 Hz to Nyquist, magnitudes summed with the filters' weights).
public struct SpectralMeasures {
    public let sampleRate: Int
    public let fftSize: Int
    public let hopSize: Int
    public let melBands: Int
    /// (melBands, bins): each band's triangular weights over the FFT bins.
    let filterbank: [[Float]]

    public init(sampleRate: Int, melBands: Int = 40) {
        self.sampleRate = sampleRate
        fftSize = max(16, sampleRate * 32 / 1000)
        hopSize = max(1, sampleRate * 8 / 1000)
        self.melBands = melBands
        filterbank = MelFilterbank.weights(bands: melBands, fftSize: fftSize, sampleRate: sampleRate)
    }

    /// The power spectrum of `samples`, frames × bins, row-major.
    func powerSpectrum(_ samples: [Float]) -> (power: [Float], frames: Int, bins: Int) {
        let signal = Tensor(shape: [1, max(samples.count, 1)], scalars: samples.isEmpty ? [0] : samples)
        let magnitude = signal.stftMagnitude(fftSize: fftSize, hopSize: hopSize, epsilon: 0)   // (1, bins, frames)
        let (bins, frames) = (magnitude.shape[1], magnitude.shape[2])
        let values = magnitude.scalars
        var power = [Float](repeating: 0, count: frames * bins)
        for bin in 0..<bins {
            for frame in 0..<frames { power[frame * bins + bin] = values[bin * frames + frame] * values[bin * frames + frame] }
        }
        return (power, frames, bins)
    }

    /// Sums over frames of the log-spectral distance (dB) and of the mean absolute log-mel difference,
    /// and the frame count, of `reconstruction` against `original` (the same length).
    public func distances(original: [Float], reconstruction: [Float]) -> (logSpectral: Double, mel: Double, frames: Int) {
        precondition(original.count == reconstruction.count, "SpectralMeasures: \(original.count) and \(reconstruction.count) samples")
        let (p, frames, bins) = powerSpectrum(original), q = powerSpectrum(reconstruction).power
        var logSpectral = 0.0, mel = 0.0
        for frame in 0..<frames {
            var squares = 0.0
            for bin in 0..<bins {
                let difference = 10 * (log10(Double(p[frame * bins + bin]) + 1e-10) - log10(Double(q[frame * bins + bin]) + 1e-10))
                squares += difference * difference
            }
            logSpectral += (squares / Double(bins)).squareRoot()
            for band in filterbank {
                var a = 0.0, b = 0.0
                for bin in 0..<bins where band[bin] > 0 {
                    a += Double(band[bin]) * Double(p[frame * bins + bin]).squareRoot()
                    b += Double(band[bin]) * Double(q[frame * bins + bin]).squareRoot()
                }
                mel += abs(log(a + 1e-5) - log(b + 1e-5)) / Double(filterbank.count)
            }
        }
        return (logSpectral, mel, frames)
    }
}
