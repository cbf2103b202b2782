#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-place radix-2 fast Fourier transform of one length (a power of two), for pictures: the
/// twiddle factors and the bit-reversal permutation are computed once, then `transform` takes the real
/// and imaginary parts of `length` values and leaves X[k] = Σₙ x[n]·e^(−2πi·kn/length) in their place.
/// `Float` arithmetic: errors grow like log₂(length) · 2⁻²⁴ relative to the largest value, far below
/// what an 8-bit colour can show. The training losses use the engine's `stftMagnitude` instead.
struct FourierTransform: Sendable {
    let length: Int
    /// cos and −sin of 2πk / length for k < length / 2.
    private let cosines: [Float]
    private let sines: [Float]
    /// Index i's bit-reversed partner (each swap listed once, i < partner).
    private let swaps: [(Int, Int)]

    init(length: Int) {
        precondition(length >= 2 && length & (length - 1) == 0, "FourierTransform: length \(length) is not a power of two")
        self.length = length
        let half = length / 2
        cosines = (0..<half).map { Float(cos(2 * Double.pi * Double($0) / Double(length))) }
        sines = (0..<half).map { Float(-sin(2 * Double.pi * Double($0) / Double(length))) }
        let bits = length.trailingZeroBitCount
        var swaps: [(Int, Int)] = []
        for index in 0..<length {
            var reversed = 0
            for bit in 0..<bits where index & (1 << bit) != 0 { reversed |= 1 << (bits - 1 - bit) }
            if index < reversed { swaps.append((index, reversed)) }
        }
        self.swaps = swaps
    }

    /// Replaces (real, imaginary), `length` values each, by their discrete Fourier transform.
    func transform(real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>) {
        for (a, b) in swaps {
            swap(&real[a], &real[b])
            swap(&imaginary[a], &imaginary[b])
        }
        var span = 1
        while span < length {
            let stride = length / (2 * span)
            var start = 0
            while start < length {
                for offset in 0..<span {
                    let (c, s) = (cosines[offset * stride], sines[offset * stride])
                    let (top, bottom) = (start + offset, start + offset + span)
                    let productReal = real[bottom] * c - imaginary[bottom] * s
                    let productImaginary = real[bottom] * s + imaginary[bottom] * c
                    real[bottom] = real[top] - productReal
                    imaginary[bottom] = imaginary[top] - productImaginary
                    real[top] += productReal
                    imaginary[top] += productImaginary
                }
                start += 2 * span
            }
            span *= 2
        }
    }
}
