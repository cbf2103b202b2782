#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax and log-softmax along an axis, and the two losses every model needs: cross-entropy on
/// class logits and mean squared error.
///
/// All work on the (outer, size, inner) view of the shape around the axis (`AxisLayout`), looping over
/// the axis outermost and the contiguous inner positions innermost, so that softmax over the channels
/// of an NCHW tensor streams through memory. Each line subtracts its maximum before `exp`, so logits
/// of any magnitude give finite results.
extension Tensor {
    /// e^x / Σ e^x along `axis` (PyTorch's `softmax(dim:)`; negative counts from the end). `self` is
    /// (…); returns the same shape, each line along `axis` summing to 1.
    public func softmax(alongAxis axis: Int) -> Tensor {
        let layout = softmaxLayout("softmax", axis)
        let output = softmaxRaw(layout, logarithm: false)
        return Tensor.recorded(output, inputs: [self]) { gradient in
            // dx = y ⊙ (g − Σ_axis g ⊙ y)
            let weighted = gradient.zipScalars(output, *)
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
            return [gradient - output.mapScalars { expf($0) } * total]
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
        let blockLength = layout.size * layout.inner
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                Elementwise.forBlocks(layout.outer, elementsPerBlock: blockLength) { blocks in
                    let maxima = UnsafeMutablePointer<Float>.allocate(capacity: layout.inner)
                    let sums = UnsafeMutablePointer<Float>.allocate(capacity: layout.inner)
                    defer { maxima.deallocate(); sums.deallocate() }
                    for block in blocks {
                        let input = source.baseAddress! + block * blockLength, out = result.baseAddress! + block * blockLength
                        Tensor.lineMaxima(input, layout, into: maxima)
                        Tensor.shiftedExponentialSums(input, layout, maxima, sums, exponentials: logarithm ? nil : out)
                        if logarithm {
                            for i in 0..<layout.inner { maxima[i] += logf(sums[i]) }  // log Σ e^x per line
                            for a in 0..<layout.size {
                                for i in 0..<layout.inner { out[a * layout.inner + i] = input[a * layout.inner + i] - maxima[i] }
                            }
                        } else {
                            for i in 0..<layout.inner { sums[i] = 1 / sums[i] }
                            for a in 0..<layout.size {
                                for i in 0..<layout.inner { out[a * layout.inner + i] *= sums[i] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// maxima[i] = max over the axis of block[a, i], for one (size, inner) block.
    private static func lineMaxima(_ block: UnsafePointer<Float>, _ layout: AxisLayout, into maxima: UnsafeMutablePointer<Float>) {
        let inner = layout.inner
        maxima.update(repeating: -.infinity, count: inner)
        for a in 0..<layout.size {
            for i in 0..<inner { maxima[i] = Swift.max(maxima[i], block[a * inner + i]) }
        }
    }

    /// sums[i] = Σ over the axis of e^(block[a, i] − maxima[i]), storing each exponential in
    /// `exponentials` when given. A line whose maximum is infinite is shifted by 0 instead, so that
    /// it gives NaN or infinity as PyTorch does rather than ∞ − ∞ everywhere.
    private static func shiftedExponentialSums(_ block: UnsafePointer<Float>, _ layout: AxisLayout, _ maxima: UnsafeMutablePointer<Float>,
                                               _ sums: UnsafeMutablePointer<Float>, exponentials: UnsafeMutablePointer<Float>?) {
        let inner = layout.inner
        for i in 0..<inner where !maxima[i].isFinite { maxima[i] = 0 }
        sums.update(repeating: 0, count: inner)
        for a in 0..<layout.size {
            for i in 0..<inner {
                let exponential = expf(block[a * inner + i] - maxima[i])
                sums[i] += exponential
                exponentials?[a * inner + i] = exponential
            }
        }
    }
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
            for (line, target) in targets.enumerated() {
                total += Double(logSumExponentials[line]) - Double(source[layout.offset(ofLine: line, at: target)])
            }
        }
        let positions = Float(targets.count)
        let output = Tensor(Float(total / Double(targets.count)))
        return recorded(output, inputs: [logits]) { gradient in
            // d loss / d logits = (softmax − onehot(target)) / positions
            let scale = gradient.item / positions
            var result = Tensor.uninitialized(logits.shape)
            result.withUnsafeMutableBufferPointer { out in
                logits.withUnsafeBufferPointer { source in
                    for (line, target) in targets.enumerated() {
                        for index in 0..<layout.size {
                            let offset = layout.offset(ofLine: line, at: index)
                            let probability = expf(source[offset] - logSumExponentials[line])
                            out[offset] = scale * (index == target ? probability - 1 : probability)
                        }
                    }
                }
            }
            return [result]
        }
    }

    /// `crossEntropy(logits:targets:)` with 32-bit class indices.
    public static func crossEntropy(logits: Tensor, targets: [Int32]) -> Tensor {
        crossEntropy(logits: logits, targets: targets.map(Int.init))
    }

    /// Validates cross-entropy inputs and returns the logits' layout around the class dimension 1;
    /// throws a `ShapeError` naming `crossEntropy`, the logits' shape and the number of targets when
    /// the logits have rank below 2, the target count is not N·d1·d2·…, or a target is not in 0..<C.
    public static func crossEntropyShapes(logits: [Int], targets: [Int]) throws(ShapeError) {
        let shapes = [logits, [targets.count]]
        guard logits.count >= 2 else {
            throw ShapeError("crossEntropy", shapes, "logits need shape (N, C) or (N, C, d1, …)")
        }
        let layout = AxisLayout(shape: logits, axis: 1)
        guard targets.count == layout.outer * layout.inner else {
            throw ShapeError("crossEntropy", shapes, "expected \(layout.outer * layout.inner) targets, one per position of \(layout.reducedShape(keepingDimensions: false))")
        }
        if let position = targets.firstIndex(where: { $0 < 0 || $0 >= layout.size }) {
            throw ShapeError("crossEntropy", shapes, "target \(targets[position]) at position \(position) is not a class index in 0..<\(layout.size)")
        }
    }

    /// log Σ_c e^(x_c) for every line along the layout's axis, not recorded.
    private func logSumExponentialsRaw(_ layout: AxisLayout) -> [Float] {
        let blockLength = layout.size * layout.inner
        var result = [Float](repeating: 0, count: layout.outer * layout.inner)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                let sums = UnsafeMutablePointer<Float>.allocate(capacity: layout.inner)
                defer { sums.deallocate() }
                for block in 0..<layout.outer {
                    let maxima = out.baseAddress! + block * layout.inner
                    Tensor.lineMaxima(source.baseAddress! + block * blockLength, layout, into: maxima)
                    Tensor.shiftedExponentialSums(source.baseAddress! + block * blockLength, layout, maxima, sums, exponentials: nil)
                    for i in 0..<layout.inner { maxima[i] += logf(sums[i]) }
                }
            }
        }
        return result
    }

    /// Mean of (input − target)² over all elements (PyTorch's `F.mse_loss` with mean reduction).
    /// `input` and `target` have the same shape; returns a rank-0 tensor. Both get gradients.
    public static func mseLoss(_ input: Tensor, _ target: Tensor) -> Tensor {
        checkShapes { try Tensor.mseLossShapes(input.shape, target.shape) }
        let difference = input.zipScalars(target, -)
        var total = 0.0
        difference.withUnsafeBufferPointer { values in
            for value in values { total += Double(value) * Double(value) }
        }
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
