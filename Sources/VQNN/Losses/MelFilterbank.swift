#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine

/// Triangular filters on the HTK mel scale, m = 2595·log₁₀(1 + f/700): `bands` filters whose edges are
/// spaced evenly in mel from 0 Hz to Nyquist, each rising from 0 at its lower edge to 1 at its centre
/// and falling to 0 at its upper edge, evaluated at the FFT's bins (bin b at b·sampleRate/fftSize Hz).
/// Unnormalised (every filter peaks at 1), as the STFT loss's log-mel term and `SpectralMeasures`
/// use them.
public enum MelFilterbank {
    /// (bands, fftSize/2 + 1) weights, row-major by band.
    public static func weights(bands: Int, fftSize: Int, sampleRate: Int) -> [[Float]] {
        precondition(bands >= 1 && fftSize >= 2 && sampleRate >= 1,
                     "MelFilterbank: bands \(bands), fftSize \(fftSize) and sampleRate \(sampleRate) must be positive (fftSize at least 2)")
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

    /// The filters as the weight of a kernel-1 `conv1d`, (bands, fftSize/2 + 1, 1): applied to a
    /// magnitude spectrogram (N, bins, frames) it gives the mel spectrogram (N, bands, frames).
    public static func convolutionWeight(bands: Int, fftSize: Int, sampleRate: Int) -> Tensor {
        let rows = weights(bands: bands, fftSize: fftSize, sampleRate: sampleRate)
        return Tensor(shape: [bands, fftSize / 2 + 1, 1], scalars: rows.flatMap { $0 })
    }

    /// The band count the STFT loss uses for an FFT of `fftSize`: fftSize/8 within 8…80 (at 8 kHz:
    /// 16 bands for 128, 32 for 256, 64 for 512), so that the narrowest low band still spans about
    /// three bins.
    public static func lossBands(fftSize: Int) -> Int { Swift.min(80, Swift.max(8, fftSize / 8)) }
}
