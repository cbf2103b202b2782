/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose streams are the
/// same on every platform: it uses only integer arithmetic and correctly rounded IEEE operations,
/// never the C library's `log`/`cos`, whose last bits differ between platforms.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The whole state; saving and restoring it resumes the stream exactly.
    public var state: (UInt64, UInt64, UInt64, UInt64) {
        get { (s0, s1, s2, s3) }
        set { (s0, s1, s2, s3) = newValue }
    }
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform `Float` in [0, 1), from the top 24 bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform `Double` in [0, 1), from the top 53 bits.
    public mutating func nextUniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform integer in 0..<bound, unbiased (Lemire's multiply-and-reject method). Written out
    /// rather than taken from `Int.random(in:using:)`, whose algorithm may change between releases.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.nextIndex: bound \(bound) is not positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A standard normal sample (Marsaglia's polar method, computed in `Double`).
    public mutating func nextNormal() -> Float {
        while true {
            let u = 2 * nextUniformDouble() - 1, v = 2 * nextUniformDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return Float(u * (-2 * portableLog(s) / s).squareRoot()) }
        }
    }

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool { a.state == b.state }
}

/// Natural logarithm of a positive, finite `x` from IEEE arithmetic only, so every platform gets the
/// same bits: x = m·2^e with m in [√½, √2), log m = 2·atanh((m−1)/(m+1)) by its series.
func portableLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "portableLog: \(x) is not positive and finite")
    var exponent = Double(x.exponent)
    var mantissa = x.significand  // in [1, 2)
    if mantissa > 1.4142135623730951 { mantissa /= 2; exponent += 1 }
    let s = (mantissa - 1) / (mantissa + 1), s2 = s * s
    var term = s, sum = 0.0
    for k in stride(from: 1.0, through: 41.0, by: 2.0) {
        sum += term / k
        term *= s2
    }
    return 2 * sum + exponent * 0.6931471805599453
}
