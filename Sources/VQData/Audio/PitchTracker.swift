#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fundamental frequency (F0) of speech, one value per frame of `hop` samples: YIN (de Cheveigné &
/// Kawahara 2002, steps 1-5) with a silence gate. A speech model's pitch source uses it to tell the
/// decoder the pitch of each code frame, so that its codes need not carry it.
///
/// Frame k is centred on sample k·hop + hop/2 and reads the `analysisLength` = W + τmax samples around
/// it (zeros outside the signal), W = τmax = ⌈rate / minimumFrequency⌉:
/// 1. silent (unvoiced, 0) when the mean square of those samples is below `silencePower`;
/// 2. difference d(τ) = Σ_{j<W} (x_j − x_{j+τ})² for τ = 1 … τmax;
/// 3. cumulative mean normalised d′(τ) = d(τ) · τ / Σ_{u≤τ} d(u);
/// 4. the first τ ≥ τmin = ⌊rate / maximumFrequency⌋ with d′(τ) < `threshold`, then on down the dip
///    while d′ keeps falling (unvoiced, 0, when there is none);
/// 5. a parabola through d′ at τ − 1, τ, τ + 1 refines τ; F0 = rate / τ, unvoiced (0) outside
///    [minimumFrequency, maximumFrequency].
/// Scripts/bench/audio_ref.py computes the same in numpy (its `pitch_frames`).
public struct PitchTracker: Sendable, Equatable {
    public let sampleRate: Int
    /// Samples per frame: a speech model's downsampling, so that there is one F0 per code.
    public let hop: Int
    public let minimumFrequency: Float
    public let maximumFrequency: Float
    /// YIN's absolute threshold on d′.
    public let threshold: Float
    /// Frames whose mean square is below this are silent: 1e-5 is −50 dB re full scale.
    public let silencePower: Float

    public init(sampleRate: Int, hop: Int, minimumFrequency: Float = 60, maximumFrequency: Float = 400,
                threshold: Float = 0.15, silencePower: Float = 1e-5) {
        precondition(sampleRate > 0 && hop > 0 && minimumFrequency > 0 && maximumFrequency > minimumFrequency
                     && maximumFrequency < Float(sampleRate) / 2,
                     "PitchTracker: rate \(sampleRate), hop \(hop), range \(minimumFrequency)…\(maximumFrequency) Hz")
        self.sampleRate = sampleRate
        self.hop = hop
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
        self.threshold = threshold
        self.silencePower = silencePower
    }

    /// τmax, the longest period looked for, in samples (also W, the difference's length).
    public var maximumLag: Int { Int((Float(sampleRate) / minimumFrequency).rounded(.up)) }
    /// τmin, the shortest period looked for.
    public var minimumLag: Int { max(2, Int((Float(sampleRate) / maximumFrequency).rounded(.down))) }
    /// Samples each frame reads: W + τmax.
    public var analysisLength: Int { 2 * maximumLag }

    /// Frames of a signal of `count` samples: ⌈count / hop⌉.
    public func frameCount(samples count: Int) -> Int { (count + hop - 1) / hop }

    /// F0 in Hz of every frame of `samples` (0: unvoiced or silent).
    public func track(_ samples: UnsafeBufferPointer<Float>) -> [Float] {
        let frames = frameCount(samples: samples.count)
        var window = [Float](repeating: 0, count: analysisLength)
        var difference = [Float](repeating: 0, count: maximumLag + 1)
        return (0..<frames).map { frame in
            let start = frame * hop + hop / 2 - maximumLag
            for i in 0..<analysisLength {
                let t = start + i
                window[i] = t >= 0 && t < samples.count ? samples[t] : 0
            }
            return frequency(of: window, difference: &difference)
        }
    }

    /// F0 of every frame of `samples`.
    public func track(_ samples: ArraySlice<Float>) -> [Float] {
        samples.withUnsafeBufferPointer { track($0) }
    }

    /// Steps 1-5 on one frame's `analysisLength` samples; `difference` is scratch of τmax + 1.
    func frequency(of window: [Float], difference d: inout [Float]) -> Float {
        let lags = maximumLag
        var power: Float = 0
        for x in window { power += x * x }
        guard power / Float(window.count) >= silencePower else { return 0 }
        window.withUnsafeBufferPointer { x in
            let base = x.baseAddress!, whole = lags / 8 * 8
            for tau in 1...lags {
                // Eight partial sums side by side (the loop then runs on vectors), folded at the end.
                var partial = SIMD8<Float>()
                for j in stride(from: 0, to: whole, by: 8) {
                    let delta = UnsafeRawPointer(base + j).loadUnaligned(as: SIMD8<Float>.self)
                        - UnsafeRawPointer(base + j + tau).loadUnaligned(as: SIMD8<Float>.self)
                    partial += delta * delta
                }
                var sum = partial.sum()
                for j in whole..<lags {
                    let delta = x[j] - x[j + tau]
                    sum += delta * delta
                }
                d[tau] = sum
            }
        }
        // d′ in place: d′(0) = 1, d′(τ) = d(τ)·τ / Σ_{u≤τ} d(u).
        var running: Float = 0
        d[0] = 1
        for tau in 1...lags {
            running += d[tau]
            d[tau] = running > 0 ? d[tau] * Float(tau) / running : 1
        }
        var tau = minimumLag
        while tau < lags && d[tau] >= threshold { tau += 1 }
        guard tau < lags else { return 0 }
        while tau + 1 < lags && d[tau + 1] < d[tau] { tau += 1 }
        let (a, b, c) = (d[tau - 1], d[tau], d[tau + 1])
        let curvature = a - 2 * b + c
        let shift = curvature > 0 ? min(0.5, max(-0.5, 0.5 * (a - c) / curvature)) : 0
        let f0 = Float(sampleRate) / (Float(tau) + shift)
        return f0 >= minimumFrequency && f0 <= maximumFrequency ? f0 : 0
    }
}
