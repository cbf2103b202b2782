/// Elementwise kernels on raw row-major buffers: the four arithmetic operators with NumPy/PyTorch
/// broadcasting, a broadcasting copy, and parallel maps of scalar functions.
///
/// `apply` is the fast path: equal shapes run one flat loop; other shapes are coalesced into as few
/// dimensions as possible and walked with precomputed strides (an odometer over the outer dimensions,
/// a stride-0/1 inner loop the compiler vectorises). `applyNaive` is its reference twin, computing
/// every element's operand positions by index arithmetic; the tests compare the two.
public enum Elementwise {
    /// Loops over at least this many elements are split across the cores; smaller ones run inline.
    public static let parallelThreshold = 1 << 16

    /// output = lhs ∘ rhs with broadcasting, where `outputShape` is the broadcast of `lhsShape` and
    /// `rhsShape` (see `Tensor.broadcastShape`). The output must not overlap the operands.
    public static func apply(_ operation: ArithmeticOperator,
                             lhs: UnsafePointer<Float>, lhsShape: [Int],
                             rhs: UnsafePointer<Float>, rhsShape: [Int],
                             output: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        switch operation {
        case .add: apply(Addition(), lhs, lhsShape, rhs, rhsShape, output, outputShape)
        case .subtract: apply(Subtraction(), lhs, lhsShape, rhs, rhsShape, output, outputShape)
        case .multiply: apply(Multiplication(), lhs, lhsShape, rhs, rhsShape, output, outputShape)
        case .divide: apply(Division(), lhs, lhsShape, rhs, rhsShape, output, outputShape)
        }
    }

    /// The reference twin of `apply`: for every output element, its multi-index by division and each
    /// operand's position from it.
    public static func applyNaive(_ operation: ArithmeticOperator,
                                  lhs: UnsafePointer<Float>, lhsShape: [Int],
                                  rhs: UnsafePointer<Float>, rhsShape: [Int],
                                  output: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        let count = outputShape.reduce(1, *)
        for flat in 0..<count {
            var remainder = flat
            var index = [Int](repeating: 0, count: outputShape.count)
            for dimension in outputShape.indices.reversed() {
                index[dimension] = remainder % outputShape[dimension]
                remainder /= outputShape[dimension]
            }
            let left = lhs[naiveOffset(of: index, in: lhsShape)], right = rhs[naiveOffset(of: index, in: rhsShape)]
            output[flat] = operation.apply(left, right)
        }
    }

    /// The row-major offset in an operand of `shape` (right-aligned, size-1 dimensions broadcast)
    /// of the output element at `index`.
    private static func naiveOffset(of index: [Int], in shape: [Int]) -> Int {
        let lead = index.count - shape.count
        var offset = 0
        for dimension in shape.indices {
            offset = offset * shape[dimension] + (shape[dimension] == 1 ? 0 : index[lead + dimension])
        }
        return offset
    }

    /// output[i] = function(input[i]) for i in 0..<count, split across the cores for large counts.
    /// `output` may be `input`. Specialised for each function type, so simple functions vectorise.
    @inline(__always)
    static func map<Function: UnaryScalarFunction>(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                                   count: Int, _ function: Function) {
        forChunks(count) { range in
            for i in range { output[i] = function(input[i]) }
        }
    }

    /// output[i] = function(lhs[i], rhs[i]) for i in 0..<count, split across the cores for large counts.
    @inline(__always)
    static func map<Function: BinaryScalarFunction>(_ lhs: UnsafePointer<Float>, _ rhs: UnsafePointer<Float>,
                                                    _ output: UnsafeMutablePointer<Float>, count: Int, _ function: Function) {
        forChunks(count) { range in
            for i in range { output[i] = function(lhs[i], rhs[i]) }
        }
    }

    /// Copies `input` of `inputShape` into `output` of `outputShape`, repeating it along the
    /// dimensions it broadcasts over (PyTorch's `expand(...).contiguous()`).
    public static func broadcastCopy(_ input: UnsafePointer<Float>, inputShape: [Int],
                                     into output: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        apply(TakeLeft(), input, inputShape, input, [], output, outputShape)
    }

    /// Runs `body` over 0..<blocks in one piece when the blocks hold fewer than `parallelThreshold`
    /// elements in all, otherwise in contiguous pieces of at least half the threshold, one per core.
    @inline(__always)
    static func forBlocks(_ blocks: Int, elementsPerBlock: Int, _ body: (Range<Int>) -> Void) {
        if blocks * elementsPerBlock < parallelThreshold {
            if blocks > 0 { body(0..<blocks) }
        } else {
            Parallel.forRanges(blocks, minimumPerChunk: Swift.max(1, parallelThreshold / 2 / Swift.max(elementsPerBlock, 1)), body)
        }
    }

    /// Runs `body` over 0..<count in one piece, or in one contiguous piece per core when `count`
    /// reaches `parallelThreshold`.
    @inline(__always)
    static func forChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < parallelThreshold {
            if count > 0 { body(0..<count) }
        } else {
            Parallel.forRanges(count, granularity: 64, body)
        }
    }
}

/// The operator of an elementwise arithmetic kernel.
public enum ArithmeticOperator: Sendable, CaseIterable {
    case add, subtract, multiply, divide

    /// The operator on two scalars.
    @inline(__always)
    public func apply(_ lhs: Float, _ rhs: Float) -> Float {
        switch self {
        case .add: lhs + rhs
        case .subtract: lhs - rhs
        case .multiply: lhs * rhs
        case .divide: lhs / rhs
        }
    }
}

// MARK: - Fast path

/// A scalar function as a type: kernels taking one are specialised for it, so that the function is
/// inlined into the loop (and the loop vectorised) instead of being called through a closure.
protocol UnaryScalarFunction {
    func callAsFunction(_ value: Float) -> Float
}

/// A function of two scalars as a type (see `UnaryScalarFunction`).
protocol BinaryScalarFunction {
    func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float
}

/// The arithmetic operators (and a broadcasting copy) as scalar function types.
extension Elementwise {
    struct Addition: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float { lhs + rhs }
    }
    struct Subtraction: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float { lhs - rhs }
    }
    struct Multiplication: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float { lhs * rhs }
    }
    struct Division: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float { lhs / rhs }
    }
    /// Ignores its right operand: turns the binary kernel into a broadcasting copy.
    struct TakeLeft: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ lhs: Float, _ rhs: Float) -> Float { lhs }
    }
}

extension Elementwise {
    /// The fast kernel of `apply(_:lhs:lhsShape:rhs:rhsShape:output:outputShape:)`, specialised for
    /// one function.
    static func apply<Function: BinaryScalarFunction>(
        _ function: Function, _ lhs: UnsafePointer<Float>, _ lhsShape: [Int],
        _ rhs: UnsafePointer<Float>, _ rhsShape: [Int], _ output: UnsafeMutablePointer<Float>, _ outputShape: [Int]
    ) {
        let count = outputShape.reduce(1, *)
        guard count > 0 else { return }
        if lhsShape == outputShape && rhsShape == outputShape {
            forChunks(count) { range in
                innerLoop(function, lhs + range.lowerBound, 1, rhs + range.lowerBound, 1, output + range.lowerBound, range.count)
            }
            return
        }
        let layout = BroadcastLayout(outputShape: outputShape, lhsShape: lhsShape, rhsShape: rhsShape)
        if layout.outerCount == 1 {  // one long line (e.g. a tensor and a scalar): split the line
            let (lhsStride, rhsStride) = (layout.lhsStrides.last!, layout.rhsStrides.last!)
            forChunks(count) { range in
                innerLoop(function, lhs + range.lowerBound * lhsStride, lhsStride, rhs + range.lowerBound * rhsStride,
                          rhsStride, output + range.lowerBound, range.count)
            }
        } else {
            forBlocks(layout.outerCount, elementsPerBlock: layout.innerCount) { lines in
                stridedLines(function, layout, lines, lhs, rhs, output)
            }
        }
    }

    /// Computes output lines `lines` (each `layout.innerCount` long) walking the outer dimensions
    /// with an odometer: each step adds the operands' strides instead of dividing indices.
    @inline(__always)
    private static func stridedLines<Function: BinaryScalarFunction>(
        _ function: Function, _ layout: BroadcastLayout, _ lines: Range<Int>,
        _ lhs: UnsafePointer<Float>, _ rhs: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
    ) {
        let inner = layout.innerCount
        let (lhsInnerStride, rhsInnerStride) = (layout.lhsStrides.last!, layout.rhsStrides.last!)
        var odometer = StridedOdometer(sizes: Array(layout.sizes.dropLast()),
                                       strides: [Array(layout.lhsStrides.dropLast()), Array(layout.rhsStrides.dropLast())],
                                       start: lines.lowerBound)
        for line in lines {
            innerLoop(function, lhs + odometer.offsets[0], lhsInnerStride, rhs + odometer.offsets[1], rhsInnerStride,
                      output + line * inner, inner)
            odometer.advance()
        }
    }

    /// output[i] = f(lhs[i·lhsStride], rhs[i·rhsStride]) for i in 0..<count, with the common strides
    /// (1 and 1, 1 and 0, 0 and 1) as separate loops so that each vectorises.
    @inline(__always)
    private static func innerLoop<Function: BinaryScalarFunction>(
        _ function: Function, _ lhs: UnsafePointer<Float>, _ lhsStride: Int,
        _ rhs: UnsafePointer<Float>, _ rhsStride: Int, _ output: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        switch (lhsStride, rhsStride) {
        case (1, 1):
            for i in 0..<count { output[i] = function(lhs[i], rhs[i]) }
        case (1, 0):
            let right = rhs[0]
            for i in 0..<count { output[i] = function(lhs[i], right) }
        case (0, 1):
            let left = lhs[0]
            for i in 0..<count { output[i] = function(left, rhs[i]) }
        default:
            for i in 0..<count { output[i] = function(lhs[i * lhsStride], rhs[i * rhsStride]) }
        }
    }
}

/// Two operands broadcast to an output shape, with dimensions of size 1 dropped and neighbouring
/// dimensions merged wherever both operands stay contiguous across them, so that
/// (N, C, H, W) + (C, 1, 1) becomes (N, C, H·W) with right-operand strides (0, 1, 0).
struct BroadcastLayout {
    /// Merged dimension sizes, outermost first; never empty.
    private(set) var sizes: [Int] = []
    /// Each operand's element stride along each merged dimension (0 where it is broadcast).
    private(set) var lhsStrides: [Int] = []
    private(set) var rhsStrides: [Int] = []

    init(outputShape: [Int], lhsShape: [Int], rhsShape: [Int]) {
        let lhsFull = BroadcastLayout.strides(of: lhsShape, alignedTo: outputShape)
        let rhsFull = BroadcastLayout.strides(of: rhsShape, alignedTo: outputShape)
        for dimension in outputShape.indices where outputShape[dimension] != 1 {
            let size = outputShape[dimension], lhsStride = lhsFull[dimension], rhsStride = rhsFull[dimension]
            if let last = sizes.indices.last,
               lhsStrides[last] == lhsStride * size, rhsStrides[last] == rhsStride * size {
                sizes[last] *= size
                lhsStrides[last] = lhsStride
                rhsStrides[last] = rhsStride
            } else {
                sizes.append(size)
                lhsStrides.append(lhsStride)
                rhsStrides.append(rhsStride)
            }
        }
        if sizes.isEmpty { (sizes, lhsStrides, rhsStrides) = ([1], [0], [0]) }
    }

    /// The number of elements along the innermost merged dimension.
    var innerCount: Int { sizes.last! }
    /// The number of lines of `innerCount` elements.
    var outerCount: Int { sizes.dropLast().reduce(1, *) }

    /// Row-major strides of `shape` along each dimension of `outputShape` (right-aligned), 0 where
    /// `shape` has no such dimension or has size 1 there.
    static func strides(of shape: [Int], alignedTo outputShape: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: outputShape.count)
        let lead = outputShape.count - shape.count
        var stride = 1
        for dimension in shape.indices.reversed() {
            if shape[dimension] != 1 { result[lead + dimension] = stride }
            stride *= shape[dimension]
        }
        return result
    }
}

/// A row-major counter over `sizes` that keeps one running offset per operand, updated by adding
/// strides as it advances (no division except once at the start).
struct StridedOdometer {
    private let sizes: [Int]
    private let strides: [[Int]]
    private var index: [Int]
    /// The current offset into each operand.
    private(set) var offsets: [Int]

    /// Starts at the row-major position `start` of `sizes`.
    init(sizes: [Int], strides: [[Int]], start: Int) {
        self.sizes = sizes
        self.strides = strides
        index = [Int](repeating: 0, count: sizes.count)
        offsets = [Int](repeating: 0, count: strides.count)
        var remainder = start
        for dimension in sizes.indices.reversed() {
            index[dimension] = remainder % sizes[dimension]
            remainder /= sizes[dimension]
            for operand in strides.indices { offsets[operand] += index[dimension] * strides[operand][dimension] }
        }
    }

    /// Moves to the next position in row-major order.
    @inline(__always)
    mutating func advance() {
        var dimension = sizes.count - 1
        while dimension >= 0 {
            index[dimension] += 1
            for operand in strides.indices { offsets[operand] += strides[operand][dimension] }
            if index[dimension] < sizes[dimension] { return }
            for operand in strides.indices { offsets[operand] -= strides[operand][dimension] * sizes[dimension] }
            index[dimension] = 0
            dimension -= 1
        }
    }
}
