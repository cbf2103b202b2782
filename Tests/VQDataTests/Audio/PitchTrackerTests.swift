import Foundation
import Testing
import VQData
import VQEngine

/// YIN on signals whose F0 is known by construction.
@Suite struct PitchTrackerTests {
    static let tracker = PitchTracker(sampleRate: 8000, hop: 64)

    /// `count` samples of Σ_k amplitudes[k−1]·sin(2πk·f0·t/8000).
    static func tone(_ f0: Double, count: Int = 4000, amplitudes: [Double] = [0.5]) -> [Float] {
        (0..<count).map { t in
            Float(amplitudes.enumerated().reduce(0.0) { sum, harmonic in
                sum + harmonic.element * sin(2 * Double.pi * Double(harmonic.offset + 1) * f0 * Double(t) / 8000)
            })
        }
    }

    /// Frames whose analysis window lies wholly inside the signal (134 samples either side of the centre).
    static func interior(_ contour: [Float], count: Int) -> ArraySlice<Float> {
        let first = (134 - 32 + 63) / 64, last = (count - 134 - 32) / 64
        return contour[first...last]
    }

    /// Pure tones and a voice-like tone (six harmonics falling 6 dB each, so the period's first dip is
    /// not at twice the period): every interior frame within 0.5% of F0, across the tracker's range.
    @Test func tonesAreFoundWithinHalfAPercent() {
        let harmonics = (0..<6).map { pow(0.5, Double($0)) * 0.3 }
        for (f0, amplitudes) in [(65.0, [0.5]), (100, [0.5]), (151.3, harmonics), (220, [0.5]), (310, harmonics), (390, [0.5])] {
            let signal = Self.tone(f0, amplitudes: amplitudes)
            let contour = Self.tracker.track(signal[...])
            #expect(contour.count == 4000 / 64 + 1)
            for value in Self.interior(contour, count: signal.count) {
                #expect(abs(Double(value) - f0) / f0 < 0.005, "F0 \(f0): \(value)")
            }
        }
    }

    /// Silence (below −50 dB re full scale) and white noise are unvoiced: all of the silence, and at
    /// least 90% of the noise's frames.
    @Test func silenceAndNoiseAreUnvoiced() {
        let quiet = Self.tone(150, amplitudes: [0.002])
        #expect(Self.tracker.track(quiet[...]).allSatisfy { $0 == 0 })
        var generator = RandomGenerator(seed: 7)
        let noise = (0..<4000).map { _ in Float(generator.nextUniformDouble()) - 0.5 }
        let contour = Self.tracker.track(noise[...])
        #expect(contour.filter { $0 == 0 }.count * 10 >= contour.count * 9, "\(contour)")
    }

    /// A tone that stops half way: voiced frames before, unvoiced after (frames whose window holds
    /// only the tone or only silence).
    @Test func voicingFollowsTheSignal() {
        let signal = Self.tone(120).prefix(2000) + [Float](repeating: 0, count: 2000)
        let contour = Self.tracker.track(signal[...])
        #expect(contour[2...27].allSatisfy { abs($0 - 120) < 1 })
        #expect(contour[34...].allSatisfy { $0 == 0 })
    }

    /// One F0 per `hop` samples, the last frame partial; the lag range follows the frequency range.
    @Test func framesAndLags() {
        #expect(Self.tracker.frameCount(samples: 128) == 2)
        #expect(Self.tracker.frameCount(samples: 129) == 3)
        #expect(Self.tracker.maximumLag == 134)     // ⌈8000 / 60⌉
        #expect(Self.tracker.minimumLag == 20)      // ⌊8000 / 400⌋
        #expect(Self.tracker.track([Float]()[...]) == [])
    }
}
