#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQData
import VQEngine

/// A speech decoder's pitch source: the settings stored with the model (`VQVAEConfiguration.pitchSource`).
public struct PitchSourceConfiguration: Codable, Equatable, Sendable {
    /// Harmonics of F0 the decoder gets as carriers (each as a sine and a cosine).
    public var harmonics: Int
    /// The model's sample rate (the pitch tracker's, and the carriers' Nyquist limit).
    public var sampleRate: Int

    public init(harmonics: Int, sampleRate: Int) {
        self.harmonics = harmonics
        self.sampleRate = sampleRate
    }

    var problems: String? {
        if harmonics < 1 || harmonics > 64 { return "the pitch source needs 1 to 64 harmonics, not \(harmonics)" }
        if sampleRate < 2000 { return "the pitch source needs a sample rate of at least 2000 Hz, not \(sampleRate)" }
        return nil
    }
}

/// The pitch a speech decoder is given beside the codes, and the harmonic carriers made from it
/// (the source of a neural source-filter model; DDSP's harmonic oscillator).
///
/// A decoder of convolutions repeats its output wherever its codes repeat, so at 64× downsampling a
/// voice comes out on a 125 Hz comb, and whatever the codes hold of the pitch also names the speaker.
/// With a pitch source the encoder's frame rate carries a quantised F0 per code frame (6 bits:
/// silence or one of 63 steps of about half a semitone from 60 to 400 Hz; `PitchTracker`), the
/// decoder gets sin(kφ) and cos(kφ) of the running phase φ of that F0 for k = 1 … harmonics (zero
/// when unvoiced and at or above the Nyquist frequency), and its last layer gives one amplitude per
/// carrier and sample beside the waveform it adds them to (`Tensor.mixed(withCarriers:)`). Converting
/// a voice moves the clip's F0 to the target speaker's mean (`VQVAE.speakerPitch`).
public struct PitchSource: Sendable {
    public let configuration: PitchSourceConfiguration
    public let tracker: PitchTracker
    /// Voiced levels of the quantised F0; code 0 is unvoiced.
    public static let levels = 63
    /// Bits of F0 sent per code frame: enough for the unvoiced code and the voiced levels (6).
    public static var bitsPerFrame: Int { Int.bitWidth - levels.leadingZeroBitCount }

    public init(_ configuration: PitchSourceConfiguration, hop: Int) {
        self.configuration = configuration
        tracker = PitchTracker(sampleRate: configuration.sampleRate, hop: hop)
    }

    /// The number of carriers: a sine and a cosine per harmonic.
    public var carrierCount: Int { 2 * configuration.harmonics }

    // MARK: quantised F0

    /// The code of `frequency` (Hz, 0 unvoiced): 0, or 1 … 63 on a log scale over the tracker's range.
    public func code(of frequency: Float) -> Int {
        guard frequency > 0 else { return 0 }
        let (low, high) = (log(tracker.minimumFrequency), log(tracker.maximumFrequency))
        let step = ((log(frequency) - low) / (high - low) * Float(PitchSource.levels - 1)).rounded()
        return 1 + Int(min(Float(PitchSource.levels - 1), max(0, step)))
    }

    /// The frequency (Hz) of code `code` (0 → 0, unvoiced).
    public func frequency(ofCode code: Int) -> Float {
        guard code > 0 else { return 0 }
        let (low, high) = (log(tracker.minimumFrequency), log(tracker.maximumFrequency))
        return exp(low + Float(code - 1) / Float(PitchSource.levels - 1) * (high - low))
    }

    /// The quantised F0 of every frame of `samples`: what the decoder is given.
    public func contour(of samples: UnsafeBufferPointer<Float>) -> [Float] {
        tracker.track(samples).map { frequency(ofCode: code(of: $0)) }
    }

    /// The quantised F0 of every item of `input` (N, 1, T), item after item (N · T/hop values).
    public func contour(ofBatch input: Tensor) -> [Float] {
        let (items, length) = (input.shape[0], input.shape[2])
        var contours = [[Float]](repeating: [], count: items)
        input.withUnsafeBufferPointer { samples in
            contours.withUnsafeMutableBufferPointer { output in
                Parallel.forEach(items) { n in
                    output[n] = contour(of: UnsafeBufferPointer(rebasing: samples[n * length..<(n + 1) * length]))
                }
            }
        }
        return contours.flatMap { $0 }
    }

    /// The mean of ln F0 over the voiced frames of `contour`, nil when none is voiced.
    public static func meanLogFrequency<C: Collection>(_ contour: C) -> Float? where C.Element == Float {
        let voiced = contour.filter { $0 > 0 }
        return voiced.isEmpty ? nil : voiced.reduce(0) { $0 + log($1) } / Float(voiced.count)
    }

    /// `contour` moved so that its mean ln F0 is `targetMeanLog` (a speaker's), quantised again: a
    /// voice converted keeps its intonation in the target's range. Unchanged without voiced frames.
    public func shifted(_ contour: [Float], toMeanLog targetMeanLog: Float) -> [Float] {
        guard let mean = PitchSource.meanLogFrequency(contour) else { return contour }
        let factor = exp(targetMeanLog - mean)
        return contour.map { frequency(ofCode: code(of: $0 * factor)) }
    }

    // MARK: carriers

    /// The carriers of `contour` (items × frames F0 values, frame = hop samples) for `items` signals of
    /// `length` samples: (items, 2·harmonics, length), channel 2(k−1) sin(kφ) and 2(k−1)+1 cos(kφ),
    /// φ[0] = 0, φ[t + 1] = φ[t] + 2π·F0(t)/rate with F0(t) its frame's (held over the frame); zero where
    /// the frame is unvoiced or k·F0 ≥ rate/2.
    public func carriers(contour: [Float], items: Int, length: Int) -> Tensor {
        let hop = tracker.hop, frames = tracker.frameCount(samples: length), harmonics = configuration.harmonics
        precondition(contour.count == items * frames, "PitchSource.carriers: \(contour.count) F0 values for \(items) × \(frames) frames")
        let rate = Double(configuration.sampleRate), nyquist = Float(rate / 2)
        var result = Tensor(zeros: [items, carrierCount, length])
        result.withUnsafeMutableBufferPointer { output in
            Parallel.forEach(items) { n in
                var cycles = 0.0  // φ / 2π, kept in [0, 1)
                for t in 0..<length {
                    let f0 = contour[n * frames + t / hop]
                    defer { cycles = (cycles + Double(f0) / rate).truncatingRemainder(dividingBy: 1) }
                    guard f0 > 0 else { continue }
                    let angle = 2 * Double.pi * cycles
                    let (s1, c1) = (Float(sin(angle)), Float(cos(angle)))
                    var (s, c) = (s1, c1)
                    let base = n * carrierCount * length + t
                    // sin and cos of kφ by the angle-addition recurrence (a rotation by φ per harmonic).
                    for k in 1...harmonics {
                        guard Float(k) * f0 < nyquist else { break }
                        output[base + 2 * (k - 1) * length] = s
                        output[base + (2 * k - 1) * length] = c
                        (s, c) = (s * c1 + c * s1, c * c1 - s * s1)
                    }
                }
            }
        }
        return result
    }
}
