#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The decoder likelihood p(x | z) behind `bits_per_dim`: each 8-bit pixel value b is one of 256 bins of
/// width 1/255 centred at x_b = b/255 − 0.5 (the model's pixel scale), and
///
///   P(b | μ) = Φ((x_b + 1/510 − μ) / σ) − Φ((x_b − 1/510 − μ) / σ),
///
/// a Gaussian N(μ, σ²) around the decoder's output μ integrated over the bin, with the first bin
/// reaching down to −∞ and the last up to +∞ (so the 256 probabilities sum to 1). Φ is the standard
/// normal distribution function. σ is one number for the whole model; `VQVAE.evaluatePrior` fits it as
/// σ = √MSE, the maximum-likelihood scale of a continuous Gaussian on the evaluated set.
public struct DiscretizedGaussian: Equatable, Sendable {
    /// σ, in the model's pixel units (1 = the full 0…255 range).
    public var scale: Double

    public init(scale: Double) {
        precondition(scale > 0 && scale.isFinite, "DiscretizedGaussian: the scale \(scale) must be positive")
        self.scale = scale
    }

    /// −log₂ P(byte | mean): the bits to code one pixel value given the decoder's output `mean`.
    public func bits(byte: UInt8, mean: Float) -> Double {
        let x = Double(byte) / 255 - 0.5, halfBin = 1.0 / 510
        let lower = byte == 0 ? -Double.infinity : (x - halfBin - Double(mean)) / scale
        let upper = byte == 255 ? Double.infinity : (x + halfBin - Double(mean)) / scale
        // Φ(u) − Φ(l), taken in the tail it lies in so that far-off bins keep their precision.
        let probability = lower > 0
            ? DiscretizedGaussian.upperTail(lower) - DiscretizedGaussian.upperTail(upper)
            : DiscretizedGaussian.upperTail(-upper) - DiscretizedGaussian.upperTail(-lower)
        return -log2(max(probability, Double.leastNormalMagnitude))
    }

    /// 1 − Φ(z) = erfc(z/√2)/2.
    static func upperTail(_ z: Double) -> Double {
        if z == .infinity { return 0 }
        if z == -.infinity { return 1 }
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}

/// The entropy, in bits, of the frequencies of `codes` (each in 0..<numEmbeddings): −Σ p log₂ p, the
/// bits per code of the best prior that ignores context (the unigram baseline).
public func unigramBitsPerCode(_ codes: [Int32], numEmbeddings: Int) -> Double {
    guard !codes.isEmpty else { return 0 }
    var counts = [Int](repeating: 0, count: numEmbeddings)
    for code in codes { counts[Int(code)] += 1 }
    let total = Double(codes.count)
    return counts.reduce(0.0) { entropy, count in
        count == 0 ? entropy : entropy - Double(count) / total * log2(Double(count) / total)
    }
}
