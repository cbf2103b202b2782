#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine

/// Finite scalar quantization (Mentzer, Minnen, Agustsson, Tschannen 2023, "Finite Scalar
/// Quantization: VQ-VAE Made Simple"): each of the d dimensions of a row is bounded and rounded to one
/// of L_i levels, so the codes are the grid of ∏ L_i points (8,5,5,5: 1000) and there is no codebook to
/// learn or to collapse.
///
/// For a row z (d = `levels.count` values) and each dimension i with L levels:
///   half = (L − 1)(1 + 10⁻³)/2,  offset = ½ if L is even else 0,  shift = atanh(offset / half)
///   bounded = tanh(z + shift)·half − offset          (in (−⌊L/2⌋ − ½, ⌈L/2⌉ − ½): L integers inside)
///   q = round(bounded), with a straight-through gradient (bounded + sg[q − bounded])
///   output = q / ⌊L/2⌋                               (in [−1, 1])
/// The index is the mixed-radix number of the digits q + ⌊L/2⌋ ∈ 0..<L, the first dimension least
/// significant: index = Σ_i digit_i · ∏_{j<i} L_j. No loss of its own: codebook and commitment losses
/// are zero.
public struct FiniteScalarQuantizer: Quantizer {
    /// L_i for each dimension.
    public let levels: [Int]
    public var commitmentCost: Float { 0 }
    public var dimension: Int { levels.count }
    public var depth: Int { 1 }
    public var codebookSize: Int { levels.reduce(1, *) }

    /// The largest codebook `codebooks` lists (the implicit grid of every code).
    public static let maximumListedCodes = 1 << 16

    public init(levels: [Int]) {
        precondition(!levels.isEmpty && levels.allSatisfy { $0 >= 2 }, "FiniteScalarQuantizer: levels \(levels) must be 2 or more each")
        self.levels = levels
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {}

    /// (1, d) rows of the per-dimension constants: half, offset, shift, ⌊L/2⌋.
    var constants: (half: Tensor, offset: Tensor, shift: Tensor, halfWidth: Tensor) {
        let half = levels.map { Float($0 - 1) * (1 + 1e-3) / 2 }
        let offset = levels.map { Float($0 % 2 == 0 ? 0.5 : 0) }
        let shift = zip(offset, half).map { atanhf($0 / $1) }
        let row = { (values: [Float]) in Tensor(shape: [1, values.count], scalars: values) }
        return (row(half), row(offset), row(shift), row(levels.map { Float($0 / 2) }))
    }

    /// The bounded values before rounding, (M, d), recorded on the rows' tape.
    func bounded(_ rows: Tensor) -> Tensor {
        precondition(rows.rank == 2 && rows.shape[1] == dimension,
                     "FiniteScalarQuantizer: rows \(rows.shape) are not (M, \(dimension))")
        let c = constants
        return (rows + c.shift).tanh() * c.half - c.offset
    }

    public func callAsFunction(_ rows: Tensor, depth: Int?) -> QuantizerOutput {
        _ = resolvedDepth(depth)
        let bounded = self.bounded(rows)
        var rounded = bounded.detached()
        rounded.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = values[i].rounded(.toNearestOrEven) }
        }
        let quantized = (bounded + (rounded - bounded).detached()) / constants.halfWidth
        return QuantizerOutput(quantized: quantized,
                               stages: [QuantizationStage(inputs: rows.detached(), indices: indices(ofRounded: rounded))],
                               codebookLoss: Tensor(0), commitmentLoss: Tensor(0))
    }

    public func encode(_ rows: Tensor, depth: Int?) -> [Int32] {
        _ = resolvedDepth(depth)
        var rounded = bounded(rows.detached())
        rounded.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = values[i].rounded(.toNearestOrEven) }
        }
        return indices(ofRounded: rounded)
    }

    /// The codes of `rows` and each row's squared distance to its code, measured in the quantizer's
    /// output space (values in [−1, 1]): ‖bounded(row)/⌊L/2⌋ − decode(index)‖², what rounding moved.
    /// The raw encoder output is unbounded, so a distance there would say nothing about the codes.
    public func quantizationDistances(_ rows: Tensor, depth: Int?) -> (indices: [Int32], squaredDistances: [Float]) {
        _ = resolvedDepth(depth)
        let bounded = self.bounded(rows.detached())
        var rounded = bounded
        rounded.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = values[i].rounded(.toNearestOrEven) }
        }
        let indices = indices(ofRounded: rounded)
        return (indices, rowSquaredDistances(bounded / constants.halfWidth, decode(indices, depth: 1)))
    }

    /// The mixed-radix index of each row of rounded values q, (M, d).
    func indices(ofRounded rounded: Tensor) -> [Int32] {
        let d = dimension
        return rounded.withUnsafeBufferPointer { q in
            (0..<(q.count / d)).map { row in
                var index = 0, base = 1
                for i in 0..<d {
                    let digit = min(max(Int(q[row * d + i]) + levels[i] / 2, 0), levels[i] - 1)
                    index += digit * base
                    base *= levels[i]
                }
                return Int32(index)
            }
        }
    }

    /// The values of `indices`, (M, d), each in [−1, 1].
    public func decode(_ indices: [Int32], depth: Int) -> Tensor {
        precondition(depth == 1, "FiniteScalarQuantizer.decode: depth \(depth) is not 1")
        let d = dimension
        var values = [Float](repeating: 0, count: indices.count * d)
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && Int(index) < codebookSize, "FiniteScalarQuantizer.decode: index \(index) is not below \(codebookSize)")
            var rest = Int(index)
            for i in 0..<d {
                let halfWidth = levels[i] / 2
                values[row * d + i] = Float(rest % levels[i] - halfWidth) / Float(halfWidth)
                rest /= levels[i]
            }
        }
        return Tensor(shape: [indices.count, d], scalars: values)
    }

    /// Every code's vector in index order, (K, d), when K ≤ `maximumListedCodes`; else none.
    public var codebooks: [Tensor] {
        guard codebookSize <= FiniteScalarQuantizer.maximumListedCodes else { return [] }
        return [decode((0..<codebookSize).map(Int32.init), depth: 1)]
    }
}
