#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine

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
        filterbank = SpectralMeasures.melFilterbank(bands: melBands, fftSize: fftSize, sampleRate: sampleRate)
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

    /// Triangular filters on the HTK mel scale (2595·log₁₀(1 + f/700)), `bands` of them spaced evenly
    /// in mel from 0 Hz to Nyquist, each peaking at 1 over the FFT bins.
    static func melFilterbank(bands: Int, fftSize: Int, sampleRate: Int) -> [[Float]] {
        let bins = fftSize / 2 + 1
        func mel(_ hertz: Double) -> Double { 2595 * log10(1 + hertz / 700) }
        func hertz(_ mel: Double) -> Double { 700 * (pow(10, mel / 2595) - 1) }
        let top = mel(Double(sampleRate) / 2)
        let edges = (0...(bands + 1)).map { hertz(top * Double($0) / Double(bands + 1)) }
        let binHertz = (0..<bins).map { Double($0) * Double(sampleRate) / Double(fftSize) }
        return (0..<bands).map { band in
            let (low, centre, high) = (edges[band], edges[band + 1], edges[band + 2])
            return binHertz.map { f in
                if f <= low || f >= high { return 0 }
                return Float(f <= centre ? (f - low) / (centre - low) : (high - f) / (high - centre))
            }
        }
    }
}
