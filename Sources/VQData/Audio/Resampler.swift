#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Band-limited sample-rate conversion from any rate to any rate (44100 → 16000, 8000 → 16000,
/// 48000 → 8000, …): a Kaiser-windowed sinc evaluated in polyphase form.
///
/// Design, in fractions of the lower of the two Nyquist frequencies (half the lower rate):
/// - cutoff (the −6 dB point) at `cutoff` = 0.95; pass band up to 0.90, stop band from 1.00 (so the
///   transition band is 0.90…1.00 of the lower Nyquist: 7.2…8 kHz for 16 kHz output);
/// - Kaiser window designed for `designAttenuation` = 80 dB (β = 0.1102·(80 − 8.7) = 7.857, length
///   (80 − 7.95)/(14.36·0.05) ≈ 100 samples at the lower rate, so about 100 · max(1, input/output)
///   taps per output sample).
/// Measured (ResamplerTests, and during development a sweep of single tones in 5 Hz steps over the
/// first 500 Hz of the stop band and 85 Hz steps beyond, for 44100 → 16000, 48000 → 8000, 16000 → 8000
/// and 22050 → 16000, table and interpolated kernel): aliases of tones in the stop band are at least
/// 79.5 dB down (the worst at the first side lobe, 1.004 × the new Nyquist frequency; 87 dB and more
/// from about 1.05 on); images when upsampling (8000 → 16000, 16000 → 44100, 8000 → 48000) of tones up
/// to 0.92 of the old Nyquist frequency (images from 1.08 of it) are at least 87 dB down; tones in the pass band keep their
/// frequency and their amplitude within 0.00085 dB. The tests assert `measuredStopbandAttenuation` =
/// 79 dB and `measuredPassbandRipple` = 0.001 dB.
///
/// Output sample n is the band-limited input at time n · inputRate / outputRate (in input samples): no
/// delay, the input treated as zero outside its ends (so the first and last ~50 samples, counted at the
/// lower rate, include the filter's edge transient). Output length: ⌈count · outputRate / inputRate⌉,
/// every output time inside the input (the same as scipy.signal.resample_poly). Equal rates give the
/// input unchanged.
///
/// Each output sample is a dot product of the input with one of L phases of the filter, L = outputRate
/// / gcd(rates) (the output times fall on L distinct fractions of an input sample). When the L × taps
/// table fits `maximumTableSize` floats it is computed once (in Double, stored as Float); otherwise
/// (rates like 44100 → 44101) the taps of each output are interpolated linearly from the kernel sampled
/// 512 times per lower-rate sample, within 10^−5 of the exact taps' output (ResamplerTests) and about
/// 25 times slower. Taps are limited to the input present, so rates far apart cost no more memory than
/// the output. Deterministic: the same input gives the same bits on every run (fixed summation order,
/// no threads). Speed (`swiftc -O`, one core): 10 s of 44100 Hz audio to 16000 Hz in 12 ms.
public struct Resampler: Sendable {
    public let inputRate: Int
    public let outputRate: Int

    /// The cutoff (−6 dB) as a fraction of the lower Nyquist frequency.
    public static let cutoff = 0.95
    /// Full width of the transition band as a fraction of the lower Nyquist frequency.
    public static let transitionWidth = 0.10
    /// The Kaiser window's design target, in dB.
    public static let designAttenuation = 80.0
    /// The stop-band attenuation ResamplerTests asserts, in dB (the worst measured is 79.5 dB).
    public static let measuredStopbandAttenuation = 79.0
    /// The pass-band gain error ResamplerTests asserts at most, in dB (the worst measured is 0.00085 dB).
    public static let measuredPassbandRipple = 0.001
    /// The largest polyphase table computed, in floats (4 MiB).
    public static let maximumTableSize = 1 << 20
    /// Kernel samples per lower-rate sample for ratios beyond the table.
    static let fineResolution = 512

    /// L and M: output sample n sits at input time n · M / L.
    let upFactor: Int, downFactor: Int
    /// Taps cover input offsets −reach…reach around the output time's floor.
    let reach: Int
    /// Taps per phase: 2·reach + 1.
    let tapCount: Int
    /// Either the L × tapCount polyphase table or the finely sampled kernel h(j · fineStep), j ≥ 0.
    let table: [Float]
    let usesFineKernel: Bool
    /// The fine kernel's step in input samples.
    let fineStep: Double

    public init(from inputRate: Int, to outputRate: Int) {
        self.init(from: inputRate, to: outputRate, tableLimit: Resampler.maximumTableSize)
    }

    /// `tableLimit` lets tests force the interpolated kernel for any ratio.
    init(from inputRate: Int, to outputRate: Int, tableLimit: Int) {
        precondition(inputRate > 0 && outputRate > 0, "Resampler: rates must be positive (\(inputRate) → \(outputRate))")
        self.inputRate = inputRate
        self.outputRate = outputRate
        let divisor = Resampler.gcd(inputRate, outputRate)
        upFactor = outputRate / divisor
        downFactor = inputRate / divisor
        // In input samples: the kernel's frequency scale and half-length.
        let lowerShare = Double(min(inputRate, outputRate)) / Double(inputRate)  // lower rate / input rate
        let cutoffFrequency = Resampler.cutoff * lowerShare / 2  // cycles per input sample
        let transition = Resampler.transitionWidth * lowerShare / 2
        let length = (Resampler.designAttenuation - 7.95) / (14.36 * transition)
        let halfWidth = length / 2
        let beta = 0.1102 * (Resampler.designAttenuation - 8.7)
        let kernel = Kernel(cutoff: cutoffFrequency, halfWidth: halfWidth, beta: beta)
        let reach = Int(halfWidth.rounded(.up)), tapCount = 2 * reach + 1
        self.reach = reach
        self.tapCount = tapCount
        fineStep = 1 / (lowerShare * Double(Resampler.fineResolution))
        let (tableSize, overflow) = upFactor.multipliedReportingOverflow(by: tapCount)
        if inputRate == outputRate {
            table = []
            usesFineKernel = false
        } else if !overflow && tableSize <= tableLimit {
            var table = [Float](repeating: 0, count: tableSize)
            for phase in 0..<upFactor {
                let fraction = Double(phase) / Double(upFactor)
                for k in -reach...reach { table[phase * tapCount + k + reach] = Float(kernel.value(at: Double(k) - fraction)) }
            }
            self.table = table
            usesFineKernel = false
        } else {
            let step = fineStep, count = Int((halfWidth / step).rounded(.up)) + 2
            table = (0..<count).map { Float(kernel.value(at: Double($0) * step)) }
            usesFineKernel = true
        }
    }

    /// The number of output samples for `inputCount` input samples: ⌈inputCount · outputRate / inputRate⌉.
    public func outputCount(forInputCount inputCount: Int) -> Int {
        guard inputRate != outputRate else { return inputCount }
        let (quotient, remainder) = downFactor.dividingFullWidth(inputCount.multipliedFullWidth(by: upFactor))
        return quotient + (remainder > 0 ? 1 : 0)
    }

    /// `samples` (one channel at `inputRate`) at `outputRate`. Allocates the output and, for the
    /// interpolated kernel, one scratch row of at most `samples.count` taps: nothing else, however far
    /// apart the rates are.
    public func callAsFunction(_ samples: [Float]) -> [Float] {
        guard inputRate != outputRate else { return samples }
        let count = samples.count, outputCount = outputCount(forInputCount: count)
        var scratch = [Float](repeating: 0, count: usesFineKernel ? min(tapCount, count) : 0)
        return [Float](unsafeUninitializedCapacity: outputCount) { output, initialized in
            samples.withUnsafeBufferPointer { input in
                table.withUnsafeBufferPointer { table in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        var base = 0, phase = 0  // n · M = base · L + phase
                        for n in 0..<outputCount {
                            // Tap t (0..<tapCount) meets input base − reach + t; only those inside the
                            // input count (outside it the input is zero).
                            let first = max(0, reach - base), end = min(tapCount, count - base + reach)
                            let taps: UnsafePointer<Float>
                            if usesFineKernel {
                                fillTaps(scratch, taps: first..<end, fraction: Double(phase) / Double(upFactor), kernel: table)
                                taps = UnsafePointer(scratch.baseAddress!)
                            } else {
                                taps = table.baseAddress! + phase * tapCount + first
                            }
                            output[n] = Resampler.dot(input.baseAddress! + (base - reach + first), taps, end - first)
                            phase += downFactor
                            base += phase / upFactor
                            phase %= upFactor
                        }
                    }
                }
            }
            initialized = outputCount
        }
    }

    /// Σ x[i]·h[i] for i in 0..<count: eight lanes, then their sum, then the remainder in order.
    @inline(__always) static func dot(_ x: UnsafePointer<Float>, _ h: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(h + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var sum = lanes.sum()
        while i < count {
            sum += x[i] * h[i]
            i += 1
        }
        return sum
    }

    /// Taps `taps` (of 0..<tapCount, tap t being h(t − reach − fraction)) into `scratch` from index 0,
    /// interpolated linearly from the fine kernel.
    private func fillTaps(_ scratch: UnsafeMutableBufferPointer<Float>, taps: Range<Int>, fraction: Double, kernel: UnsafeBufferPointer<Float>) {
        for t in taps {
            let position = abs(Double(t - reach) - fraction) / fineStep
            let index = Int(position)
            let weight = Float(position - Double(index))
            scratch[t - taps.lowerBound] = index + 1 < kernel.count ? kernel[index] + weight * (kernel[index + 1] - kernel[index]) : 0
        }
    }

    /// `samples` at `inputRate` resampled to `outputRate` (a `Resampler` made for the call).
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) -> [Float] {
        Resampler(from: inputRate, to: outputRate)(samples)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// The windowed sinc h(t) = 2f · sinc(2f·t) · I0(β·√(1 − (t/T)²)) / I0(β) for |t| < T, else 0
    /// (t in input samples, f the cutoff in cycles per input sample, T the half-width).
    struct Kernel {
        let cutoff: Double, halfWidth: Double, beta: Double
        let windowScale: Double

        init(cutoff: Double, halfWidth: Double, beta: Double) {
            self.cutoff = cutoff
            self.halfWidth = halfWidth
            self.beta = beta
            windowScale = 1 / Kernel.besselI0(beta)
        }

        func value(at t: Double) -> Double {
            guard abs(t) < halfWidth else { return 0 }
            let x = 2 * cutoff * t
            let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
            let r = t / halfWidth
            return 2 * cutoff * sinc * Kernel.besselI0(beta * (1 - r * r).squareRoot()) * windowScale
        }

        /// The modified Bessel function of the first kind, order 0: Σ ((x/2)^k / k!)².
        static func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > 1e-17 * sum {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            }
            return sum
        }
    }
}

