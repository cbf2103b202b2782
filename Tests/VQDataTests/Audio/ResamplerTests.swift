import Foundation
import Testing
@testable import VQData

/// Measures the resampler with tones: each test resamples half a second of one or two sines and
/// measures, on output samples away from the ends (the filter's edge transient), the amplitude of every
/// component by projection onto a window of whole cycles (frequencies on the 5 Hz grid of a 1/5 s
/// window), so components do not leak into one another.
@Suite struct ResamplerTests {
    /// A sum of sines (frequency in Hz, amplitude) sampled at `rate` for `count` samples.
    static func tones(_ components: [(Double, Double)], rate: Int, count: Int) -> [Float] {
        (0..<count).map { n in
            Float(components.reduce(0.0) { $0 + $1.1 * sin(2 * Double.pi * $1.0 * Double(n) / Double(rate)) })
        }
    }

    /// The amplitude of the component at `frequency` in the analysis window of `signal` (at `rate`).
    static func amplitude(_ signal: [Float], frequency: Double, rate: Int) -> Double {
        let window = analysisWindow(rate: rate)
        var real = 0.0, imaginary = 0.0
        for n in window {
            let angle = 2 * Double.pi * frequency * Double(n) / Double(rate)
            real += Double(signal[n]) * cos(angle)
            imaginary += Double(signal[n]) * sin(angle)
        }
        let scale = frequency == 0 ? 1 : 2
        return Double(scale) * (real * real + imaginary * imaginary).squareRoot() / Double(window.count)
    }

    /// The root mean square of `signal` over the analysis window after removing its components at
    /// `frequencies` (what is left: other frequencies, noise).
    static func residual(_ signal: [Float], removing frequencies: [Double], rate: Int) -> Double {
        let window = analysisWindow(rate: rate)
        var left = window.map { Double(signal[$0]) }
        for frequency in frequencies {
            var real = 0.0, imaginary = 0.0
            for (i, n) in window.enumerated() {
                let angle = 2 * Double.pi * frequency * Double(n) / Double(rate)
                real += left[i] * cos(angle)
                imaginary += left[i] * sin(angle)
            }
            for (i, n) in window.enumerated() {
                let angle = 2 * Double.pi * frequency * Double(n) / Double(rate)
                left[i] -= 2 * (real * cos(angle) + imaginary * sin(angle)) / Double(window.count)
            }
        }
        return (left.map { $0 * $0 }.reduce(0, +) / Double(left.count)).squareRoot()
    }

    /// 1/5 s of output starting 200 samples in (the edge transient is about 50 output samples).
    static func analysisWindow(rate: Int) -> Range<Int> { 200..<(200 + rate / 5) }

    /// Where a tone at `frequency` lands after sampling at `rate`.
    static func folded(_ frequency: Double, rate: Int) -> Double {
        let remainder = frequency.truncatingRemainder(dividingBy: Double(rate))
        return min(remainder, Double(rate) - remainder)
    }

    static func decibels(_ ratio: Double) -> Double { 20 * log10(ratio) }

    /// (input rate, output rate, pass-band tone, stop-band tones) for downsampling. 8030 Hz and 4015 Hz
    /// are where a sweep in 5 Hz steps found the worst alias (the first side lobe, −79.5 dB).
    static let pairs: [(from: Int, to: Int, passband: Double, stopband: [Double])] = [
        (44100, 16000, 1230, [8005, 8030, 8400, 9000, 11000, 15005, 21000, 22000]),
        (16000, 8000, 1000, [4005, 4015, 4200, 5000, 6500, 7900]),
        (48000, 8000, 700, [4005, 4015, 4300, 6000, 9000, 13000, 23000]),
        (22050, 16000, 2500, [8005, 8030, 8500, 10000, 11000]),
    ]

    /// Aliases of tones above the new Nyquist frequency (from the edge of the stop band, 1.0 × Nyquist,
    /// to the input's Nyquist) are at least `measuredStopbandAttenuation` down, and the pass-band tone
    /// beside them is untouched.
    @Test func aliasesAreAttenuated() {
        for pair in ResamplerTests.pairs {
            // The polyphase table, and (for the first pair) the interpolated kernel of unusual ratios.
            for tableLimit in pair.from == 44100 ? [Resampler.maximumTableSize, 0] : [Resampler.maximumTableSize] {
                let resampler = Resampler(from: pair.from, to: pair.to, tableLimit: tableLimit)
                #expect(resampler.usesFineKernel == (tableLimit == 0))
                for tone in pair.stopband {
                    let alias = ResamplerTests.folded(tone, rate: pair.to)
                    #expect(abs(alias - pair.passband) > 100)
                    let input = ResamplerTests.tones([(pair.passband, 0.3), (tone, 0.6)], rate: pair.from, count: pair.from / 2)
                    let output = resampler(input)
                    let aliasLevel = ResamplerTests.decibels(ResamplerTests.amplitude(output, frequency: alias, rate: pair.to) / 0.6)
                    let kept = ResamplerTests.amplitude(output, frequency: pair.passband, rate: pair.to)
                    #expect(aliasLevel <= -Resampler.measuredStopbandAttenuation,
                            "\(pair.from) → \(pair.to), \(tone) Hz (alias at \(alias) Hz): \(aliasLevel) dB")
                    #expect(abs(ResamplerTests.decibels(kept / 0.3)) <= Resampler.measuredPassbandRipple)
                }
            }
        }
    }

    /// Upsampling: the images of a pass-band tone (at the old rate − f, in the new band) are attenuated.
    @Test func imagesAreAttenuated() {
        for (from, to) in [(8000, 16000), (16000, 44100), (8000, 48000)] {
            for tone in [100.0, 1000, 2500, 3600] {  // 3600 Hz = 0.9 × 4000, the pass band's edge at 8 kHz
                let output = Resampler(from: from, to: to)(ResamplerTests.tones([(tone, 0.5)], rate: from, count: from / 2))
                let image = Double(from) - tone
                let level = ResamplerTests.decibels(ResamplerTests.amplitude(output, frequency: image, rate: to) / 0.5)
                #expect(level <= -Resampler.measuredStopbandAttenuation, "\(from) → \(to), \(tone) Hz: image at \(image) Hz is \(level) dB")
            }
        }
    }

    /// Pass-band tones keep their amplitude (within `measuredPassbandRipple`) and frequency (nothing
    /// else is left once the tone at its frequency is removed: at most images as far down as the stop
    /// band), up to 0.9 × the lower Nyquist frequency.
    @Test func passbandTonesKeepAmplitudeAndFrequency() {
        for (from, to) in [(44100, 16000), (8000, 16000), (48000, 8000), (16000, 22050), (11025, 16000)] {
            let nyquist = Double(min(from, to)) / 2
            for share in [0.0125, 0.1, 0.3, 0.5, 0.7, 0.85, 0.9] {
                let tone = (share * nyquist / 5).rounded() * 5
                let output = Resampler(from: from, to: to)(ResamplerTests.tones([(tone, 0.8)], rate: from, count: from / 2))
                let gain = ResamplerTests.decibels(ResamplerTests.amplitude(output, frequency: tone, rate: to) / 0.8)
                let left = ResamplerTests.decibels(ResamplerTests.residual(output, removing: [tone], rate: to) / (0.8 / 2.0.squareRoot()))
                #expect(abs(gain) <= Resampler.measuredPassbandRipple, "\(from) → \(to), \(tone) Hz: gain \(gain) dB")
                #expect(left <= -Resampler.measuredStopbandAttenuation, "\(from) → \(to), \(tone) Hz: residual \(left) dB")
            }
        }
    }

    /// A ratio whose table would be too large (44100 → 16001: 16001 phases) uses the interpolated kernel.
    @Test func unusualRatiosUseTheInterpolatedKernel() {
        let resampler = Resampler(from: 44100, to: 16001)
        #expect(resampler.usesFineKernel)
        let input = ResamplerTests.tones([(1000, 0.5)], rate: 44100, count: 44100 / 2)
        let output = resampler(input)
        #expect(output.count == (22050 * 16001 + 44099) / 44100)
        // A least-squares fit of a 1000 Hz sine at 16001 Hz (not on the analysis grid, so fitted).
        let window = 200..<3400
        var cc = 0.0, ss = 0.0, cs = 0.0, yc = 0.0, ys = 0.0
        for n in window {
            let angle = 2 * Double.pi * 1000 * Double(n) / 16001
            let (c, s, y) = (cos(angle), sin(angle), Double(output[n]))
            cc += c * c; ss += s * s; cs += c * s; yc += y * c; ys += y * s
        }
        let determinant = cc * ss - cs * cs
        let (a, b) = ((yc * ss - ys * cs) / determinant, (ys * cc - yc * cs) / determinant)
        #expect(abs(ResamplerTests.decibels((a * a + b * b).squareRoot() / 0.5)) <= Resampler.measuredPassbandRipple)
        #expect(abs(b - 0.5) < 1e-4 && abs(a) < 1e-4)  // no delay: the sine stays a sine, in phase
        // The interpolated kernel against the exact table, on a ratio that has both.
        let mixture = ResamplerTests.tones([(440, 0.45), (3000, 0.3), (9000, 0.2)], rate: 44100, count: 6000)
        let exact = Resampler(from: 44100, to: 16000)(mixture)
        let interpolated = Resampler(from: 44100, to: 16000, tableLimit: 0)(mixture)
        #expect(zip(exact, interpolated).map { abs($0 - $1) }.max()! < 1e-5)
    }

    /// Rates far apart (a corrupt WAV header can claim 2^32 − 1 Hz) cost memory for the output only:
    /// the taps are limited to the input present, the kernel is the interpolated one.
    @Test func extremeRatiosStayBounded() {
        let down = Resampler(from: 0xFFFF_FFFF, to: 8000)
        #expect(down.usesFineKernel && down.reach > 10_000_000)
        let few = down([Float](repeating: 0.5, count: 100_000))
        #expect(few.count == 1 && few[0].isFinite)
        let up = Resampler(from: 1, to: 48000)
        let many = up([0.5, -0.25, 0.5])
        #expect(many.count == 144_000 && many.allSatisfy { $0.isFinite && abs($0) < 1 })
    }

    @Test func equalRatesAreTheIdentity() {
        let input = ResamplerTests.tones([(440, 0.5)], rate: 16000, count: 1001)
        #expect(Resampler(from: 16000, to: 16000)(input) == input)
        #expect(Resampler.resample(input, from: 16000, to: 16000) == input)
    }

    /// out = ⌈in · to / from⌉: every output time n · from / to lies inside the input.
    @Test func outputLengths() {
        let cases: [(Int, Int, Int, Int)] = [
            (44100, 16000, 44100, 16000), (44100, 16000, 1, 1), (44100, 16000, 3, 2), (44100, 16000, 0, 0),
            (8000, 16000, 5, 10), (48000, 8000, 7, 2), (48000, 8000, 6, 1), (16000, 16000, 9, 9), (22050, 16000, 100, 73),
        ]
        for (from, to, count, expected) in cases {
            let resampler = Resampler(from: from, to: to)
            #expect(resampler.outputCount(forInputCount: count) == expected, "\(count) at \(from) → \(to)")
            #expect(resampler([Float](repeating: 0.25, count: count)).count == expected, "\(count) at \(from) → \(to)")
        }
    }

    @Test func constantsAndDeterminism() {
        let input = ResamplerTests.tones([(300, 0.4), (5000, 0.3)], rate: 44100, count: 20000)
        let first = Resampler(from: 44100, to: 16000)(input)
        #expect(first == Resampler(from: 44100, to: 16000)(input))  // bit for bit
        // A constant stays the constant away from the ends (the kernel's phases each sum to 1).
        let constant = Resampler(from: 44100, to: 16000)([Float](repeating: 0.5, count: 8000))
        #expect(constant[200..<2700].allSatisfy { abs($0 - 0.5) < 1e-4 })
        // 8 kHz → 16 kHz: every other output sample sits on an input sample.
        let tone = ResamplerTests.tones([(440, 0.5)], rate: 8000, count: 4000)
        let up = Resampler(from: 8000, to: 16000)(tone)
        #expect((100..<1900).allSatisfy { abs(up[2 * $0] - tone[$0]) < 1e-4 })
    }
}
