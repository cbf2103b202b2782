#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementary functions written so that a loop over them vectorises (no calls, no branches), for
/// the exponential-heavy ops: exp, sigmoid, softmax, cross-entropy. The C library's `expf` is a call
/// per element; this is several elements per instruction.
public enum FastMath {
    /// e^x within 1 ulp of the correctly rounded value for results that are normal floats
    /// (x in −87.3…88.7); ∞ above 88.7228, subnormals or 0 below, NaN for NaN.
    ///
    /// x = n·ln 2 + r with n an integer and |r| ≤ ln 2 / 2; e^r from a degree-7 polynomial (the
    /// minimax coefficients of Cephes' `expf`), 2^n built in the exponent bits, in two halves so that
    /// neither overflows nor goes subnormal on its own.
    @inline(__always)
    public static func exponential(_ x: Float) -> Float {
        let limited = Swift.min(Swift.max(x, -104), 88.722_84)
        let magic: Float = 12_582_912  // 1.5·2²³: adding it rounds to an integer held in the low bits
        let shifted = limited * 1.442_695_04 + magic  // x·log₂e, rounded, plus magic
        let n = shifted - magic
        let r = (limited - n * 0.693_359_375) - n * -2.121_944_4e-4  // x − n·ln 2, ln 2 split in two
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let exponentialOfR = p * (r * r) + r + 1
        let exponent = Int32(bitPattern: shifted.bitPattern &- magic.bitPattern)
        let half = exponent >> 1
        let firstScale = Float(bitPattern: UInt32(bitPattern: (half &+ 127) << 23))
        let secondScale = Float(bitPattern: UInt32(bitPattern: (exponent &- half &+ 127) << 23))
        let result = exponentialOfR * firstScale * secondScale
        return x > 88.722_84 ? .infinity : (x.isNaN ? x : result)
    }

    /// The reference twin of `exponential`: the C library's `exp` in `Double`, rounded to `Float`.
    public static func exponentialNaive(_ x: Float) -> Float { Float(doubleExponential(Double(x))) }

    /// tanh(x) within 2 ulp (FastMathTests), odd, ±1 from |x| ≈ 9 on, NaN for NaN.
    ///
    /// Below |x| = 0.625, x + x³·P(x²) with the minimax coefficients of Cephes' `tanhf`; above it,
    /// 1 − 2 / (e^{2|x|} + 1) with `exponential`, the sign put back. Both branches are computed and
    /// one selected, so a loop over it vectorises; and being plain IEEE arithmetic in a fixed order,
    /// it gives the same bits on every machine, which the image codec's prior relies on (the C
    /// library's `tanhf` may differ between libraries and versions).
    @inline(__always)
    public static func hyperbolicTangent(_ x: Float) -> Float {
        let square = x * x
        var p: Float = -5.704_988_727_45e-3
        p = p * square + 2.063_908_879_54e-2
        p = p * square - 5.373_971_555_31e-2
        p = p * square + 1.333_144_220_36e-1
        p = p * square - 3.333_328_194_22e-1
        let small = p * square * x + x
        let magnitude = Swift.abs(x)
        let large = 1 - 2 / (exponential(2 * magnitude) + 1)
        // x == 0: keep the sign of −0 (x³·P + x would give +0).
        return x == 0 ? x : magnitude < 0.625 ? small : (x < 0 ? -large : large)
    }

    /// The reference twin of `hyperbolicTangent`: the C library's `tanh` in `Double`, rounded to `Float`.
    public static func hyperbolicTangentNaive(_ x: Float) -> Float { Float(doubleHyperbolicTangent(Double(x))) }
}

/// The C library's `tanh`, outside `FastMath`.
private func doubleHyperbolicTangent(_ x: Double) -> Double { tanh(x) }

/// The C library's `exp`, outside `FastMath` whose members would hide it.
private func doubleExponential(_ x: Double) -> Double { exp(x) }
