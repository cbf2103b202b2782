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
}

/// The C library's `exp`, outside `FastMath` whose members would hide it.
private func doubleExponential(_ x: Double) -> Double { exp(x) }
