#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax and log-softmax along an axis, and the two losses every model needs: cross-entropy on
/// class logits and mean squared error.
///
/// All work on the (outer, size, inner) view of the shape around the axis (`AxisLayout`): one block
/// of size·inner elements per outer index, the axis outermost within it and the contiguous inner
/// positions innermost, so that softmax over the channels of an NCHW tensor streams through memory
/// and vectorises across positions. Each line subtracts its maximum before the exponential, so
/// logits of any magnitude give finite results.
extension Tensor {
    /// e^x / Σ e^x along `axis` (PyTorch's `softmax(dim:)`; negative counts from the end). `self` is
    /// (…); returns the same shape, each line along `axis` summing to 1.
    public func softmax(alongAxis axis: Int) -> Tensor {
        let layout = softmaxLayout("softmax", axis)
        let output = softmaxRaw(layout, logarithm: false)
        return Tensor.recorded(output, inputs: [self]) { gradient in
            // dx = y ⊙ (g − Σ_axis g ⊙ y)
            let weighted = gradient.zipScalars(output, Elementwise.Multiplication())
            let total = weighted.summedRaw(alongAxes: [layout.axis]).sameScalars(reshapedTo: layout.reducedShape(keepingDimensions: true))
            return [weighted - output * total]
        }
    }

    /// x − log Σ e^x along `axis` (PyTorch's `log_softmax(dim:)`; negative counts from the end).
    /// `self` is (…); returns the same shape.
    public func logSoftmax(alongAxis axis: Int) -> Tensor {
        let layout = softmaxLayout("logSoftmax", axis)
        let output = softmaxRaw(layout, logarithm: true)
        return Tensor.recorded(output, inputs: [self]) { gradient in
            // dx = g − softmax(x) ⊙ Σ_axis g
            let total = gradient.summedRaw(alongAxes: [layout.axis]).sameScalars(reshapedTo: layout.reducedShape(keepingDimensions: true))
            return [gradient - output.exp() * total]
        }
    }

    /// Validates `axis` (throwing a `ShapeError` naming the operation and shape) and returns its layout.
    private func softmaxLayout(_ operation: String, _ axis: Int) -> AxisLayout {
        let normalized = checkShapes { try Tensor.reductionShapes(operation, shape, alongAxes: [axis]) }[0]
        return AxisLayout(shape: shape, axis: normalized)
    }

    /// Softmax (or log-softmax) along the layout's axis, not recorded.
    private func softmaxRaw(_ layout: AxisLayout, logarithm: Bool) -> Tensor {
        var output = Tensor.uninitialized(shape)
        let (size, inner) = (layout.size, layout.inner)
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                Elementwise.forBlocks(layout.outer, elementsPerBlock: size * inner) { blocks in
                    let lines = SoftmaxLines(size: size, inner: inner)
                    defer { lines.deallocate() }
                    for block in blocks {
                        let input = source.baseAddress! + block * size * inner, out = result.baseAddress! + block * size * inner
                        lines.exponentiate(input, into: out)
                        if logarithm {
                            for i in 0..<inner { lines.maxima[i] = lines.logSumExponential(ofLine: i) }
                            for a in 0..<size {
                                for i in 0..<inner { out[a * inner + i] = input[a * inner + i] - lines.maxima[i] }
                            }
                        } else {
                            for i in 0..<inner { lines.sums[i] = 1 / lines.sums[i] }
                            for a in 0..<size {
                                for i in 0..<inner { out[a * inner + i] *= lines.sums[i] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}

/// Scratch for the `inner` lines of one (size, inner) block: each line's maximum and the sum of its
/// exponentials shifted by that maximum. Owned by one thread; call `deallocate()` when done.
struct SoftmaxLines {
    let size: Int, inner: Int
    let maxima: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>

    init(size: Int, inner: Int) {
        (self.size, self.inner) = (size, inner)
        maxima = .allocate(capacity: inner)
        sums = .allocate(capacity: inner)
    }

    func deallocate() {
        maxima.deallocate()
        sums.deallocate()
    }

    /// exponentials[a·inner + i] = e^(block[a·inner + i] − maxima[i]), filling `maxima` and `sums`.
    /// A line whose maximum is infinite is shifted by 0 instead, so that it gives NaN as PyTorch
    /// does rather than ∞ − ∞ in every element.
    func exponentiate(_ block: UnsafePointer<Float>, into exponentials: UnsafeMutablePointer<Float>) {
        if inner == 1 {  // one contiguous line
            var maximum = Reduction.maximum(block, count: size)
            if !maximum.isFinite { maximum = 0 }
            for a in 0..<size { exponentials[a] = FastMath.exponential(block[a] - maximum) }
            maxima[0] = maximum
            sums[0] = Float(Reduction.serialSum(exponentials, count: size, Reduction.Identity.self))
            return
        }
        maxima.update(repeating: -.infinity, count: inner)
        for a in 0..<size {
            let row = block + a * inner
            for i in 0..<inner { maxima[i] = Swift.max(maxima[i], row[i]) }
        }
        for i in 0..<inner where !maxima[i].isFinite { maxima[i] = 0 }
        sums.update(repeating: 0, count: inner)
        for a in 0..<size {
            let row = block + a * inner, out = exponentials + a * inner
            for i in 0..<inner {
                let exponential = FastMath.exponential(row[i] - maxima[i])
                out[i] = exponential
                sums[i] += exponential
            }
        }
    }

    /// log Σ e^x over line `line`, after `exponentiate`.
    @inline(__always)
    func logSumExponential(ofLine line: Int) -> Float { maxima[line] + logf(sums[line]) }
}

// MARK: - Losses

extension Tensor {
    /// Mean cross-entropy between class logits and target class indices (PyTorch's
    /// `F.cross_entropy(logits, targets)` with mean reduction, no weights, no ignored index, no
    /// label smoothing).
    ///
    /// `logits` is (N, C) or (N, C, d1, d2, …) with the classes along dimension 1; `targets` holds
    /// N·d1·d2·… class indices in 0..<C, in row-major order of (N, d1, d2, …). Returns a rank-0
    /// tensor: the mean over all N·d1·d2·… positions of −log softmax(logits)[target].
    public static func crossEntropy(logits: Tensor, targets: [Int]) -> Tensor {
        checkShapes { try Tensor.crossEntropyShapes(logits: logits.shape, targets: targets) }
        let layout = AxisLayout(shape: logits.shape, axis: 1)
        let logSumExponentials = logits.logSumExponentialsRaw(layout)
        var total = 0.0
        logits.withUnsafeBufferPointer { source in
            for (position, target) in targets.enumerated() {
                total += Double(logSumExponentials[position]) - Double(source[layout.offset(ofLine: position, at: target)])
            }
        }
        let output = Tensor(Float(total / Double(targets.count)))
        return recorded(output, inputs: [logits]) { gradient in
            [logits.crossEntropyGradientRaw(layout, logSumExponentials, targets, scale: gradient.item / Float(targets.count))]
        }
    }

    /// `crossEntropy(logits:targets:)` with 32-bit class indices.
    public static func crossEntropy(logits: Tensor, targets: [Int32]) -> Tensor {
        crossEntropy(logits: logits, targets: targets.map(Int.init))
    }

    /// Validates cross-entropy inputs; throws a `ShapeError` naming `crossEntropy`, the logits' shape
    /// and the number of targets when the logits have rank below 2, the target count is not
    /// N·d1·d2·…, or a target is not in 0..<C.
    public static func crossEntropyShapes(logits: [Int], targets: [Int]) throws(ShapeError) {
        let shapes = [logits, [targets.count]]
        guard logits.count >= 2 else {
            throw ShapeError("crossEntropy", shapes, "logits need shape (N, C) or (N, C, d1, …)")
        }
        let layout = AxisLayout(shape: logits, axis: 1)
        guard targets.count == layout.outer * layout.inner else {
            throw ShapeError("crossEntropy", shapes,
                             "expected \(layout.outer * layout.inner) targets, one per position of \(layout.reducedShape(keepingDimensions: false))")
        }
        if let position = targets.firstIndex(where: { $0 < 0 || $0 >= layout.size }) {
            throw ShapeError("crossEntropy", shapes,
                             "target \(targets[position]) at position \(position) is not a class index in 0..<\(layout.size)")
        }
    }

    /// log Σ_c e^(x_c) for every line along the layout's axis (position o·inner + i), not recorded.
    private func logSumExponentialsRaw(_ layout: AxisLayout) -> [Float] {
        let (size, inner) = (layout.size, layout.inner)
        var result = [Float](repeating: 0, count: layout.outer * inner)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                Elementwise.forBlocks(layout.outer, elementsPerBlock: size * inner) { blocks in
                    let lines = SoftmaxLines(size: size, inner: inner)
                    let exponentials = UnsafeMutablePointer<Float>.allocate(capacity: size * inner)
                    defer { lines.deallocate(); exponentials.deallocate() }
                    for block in blocks {
                        lines.exponentiate(source.baseAddress! + block * size * inner, into: exponentials)
                        for i in 0..<inner { out[block * inner + i] = lines.logSumExponential(ofLine: i) }
                    }
                }
            }
        }
        return result
    }

    /// scale · (softmax(logits) − onehot(targets)) along the class axis, not recorded.
    private func crossEntropyGradientRaw(_ layout: AxisLayout, _ logSumExponentials: [Float], _ targets: [Int],
                                         scale: Float) -> Tensor {
        let (size, inner) = (layout.size, layout.inner)
        var result = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                logSumExponentials.withUnsafeBufferPointer { shifts in
                    Elementwise.forBlocks(layout.outer, elementsPerBlock: size * inner) { blocks in
                        for block in blocks {
                            let input = source.baseAddress! + block * size * inner, output = out.baseAddress! + block * size * inner
                            let shift = shifts.baseAddress! + block * inner
                            for a in 0..<size {
                                for i in 0..<inner { output[a * inner + i] = scale * FastMath.exponential(input[a * inner + i] - shift[i]) }
                            }
                            for i in 0..<inner { output[targets[block * inner + i] * inner + i] -= scale }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Mean of (input − target)² over all elements (PyTorch's `F.mse_loss` with mean reduction).
    /// `input` and `target` have the same shape; returns a rank-0 tensor. Both get gradients.
    public static func mseLoss(_ input: Tensor, _ target: Tensor) -> Tensor {
        checkShapes { try Tensor.mseLossShapes(input.shape, target.shape) }
        let difference = input.zipScalars(target, Elementwise.Subtraction())
        let total = difference.withUnsafeBufferPointer { Reduction.sumOfSquares($0.baseAddress!, count: $0.count) }
        let output = Tensor(Float(total / Double(input.count)))
        let wanted = (input.isTracked, target.isTracked)
        return recorded(output, inputs: [input, target]) { gradient in
            let scaled = difference * (2 * gradient.item / Float(input.count))
            return [wanted.0 ? scaled : nil, wanted.1 ? -scaled : nil]
        }
    }

    /// Validates `mseLoss` operands: equal shapes (PyTorch would broadcast with a warning; here a
    /// mismatch is an error). Throws a `ShapeError` naming `mseLoss` and both shapes.
    public static func mseLossShapes(_ input: [Int], _ target: [Int]) throws(ShapeError) {
        guard input == target else { throw ShapeError("mseLoss", [input, target], "input and target shapes differ") }
    }
}
