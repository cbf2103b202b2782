#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import VQEngine
@testable import VQModels

/// The spectral distances of `vqvae audio eval` on cases worked by hand.
@Suite struct SpectralMeasuresTests {
    /// A chirp-like test signal with energy in every frame: sum of three sines, 0.5 s at 8 kHz.
    static let signal: [Float] = (0..<4000).map { i in
        let t = Float(i) / 8000
        return 0.3 * sinf(2 * .pi * 440 * t) + 0.2 * sinf(2 * .pi * 1250 * t) + 0.1 * sinf(2 * .pi * 3100 * t)
    }

    @Test func identicalSignalsAreAtDistanceZero() {
        let measures = SpectralMeasures(sampleRate: 8000)
        let distances = measures.distances(original: Self.signal, reconstruction: Self.signal)
        #expect(distances.logSpectral == 0 && distances.mel == 0)
        // 32 ms frames hopping 8 ms, centred (zero-padded by half a frame at each end): 1 + 4000/64 frames.
        #expect(measures.fftSize == 256 && measures.hopSize == 64 && distances.frames == 63)
    }

    /// x̂ = 2x multiplies every power by 4: each bin's level differs by 10·log₁₀ 4 = 6.0206 dB (the 1e-10
    /// floor is negligible on white noise, which has energy in every bin; on pure tones the far
    /// sidelobes fall under it and the distance comes out lower), so the log-spectral distance is
    /// 6.02 dB; each mel band's weighted magnitude doubles, so the mel distance is ln 2 = 0.693 (less
    /// the 1e-5 offset's share).
    @Test func doublingTheSignalIsSixDecibels() {
        let measures = SpectralMeasures(sampleRate: 8000)
        var generator = RandomGenerator(seed: 9)
        let noise = (0..<4000).map { _ in Float(generator.nextUniformDouble()) - 0.5 }
        let distances = measures.distances(original: noise, reconstruction: noise.map { 2 * $0 })
        let frames = Double(distances.frames)
        #expect(abs(distances.logSpectral / frames - 6.0206) < 0.01, "\(distances.logSpectral / frames)")
        #expect(abs(distances.mel / frames - 0.6931) < 0.01, "\(distances.mel / frames)")
    }
}
