/// Sums and means over all elements or along axes, the Euclidean norm, and the largest element along an axis.
///
/// Axes may be negative, counting from the last (−1 is the last axis), as in PyTorch. Sums use the
/// accurate kernels of `Reduction` (SIMD partial sums, `Double` block totals).
extension Tensor {
    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor {
        let output = Tensor(withUnsafeBufferPointer { Reduction.sum($0.baseAddress!, count: count) })
        let sourceShape = shape
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.broadcastCopy(toShape: sourceShape)]
        }
    }

    /// Sums along `axes` (distinct, negative counting from the end). `self` is (…); returns the
    /// shape without those axes, or with size 1 there when `keepingDimensions`. No axes: a copy.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = checkShapes { try Tensor.reductionShapes("sum", shape, alongAxes: axes) }
        let kept = summedRaw(alongAxes: normalized)
        let keptShape = shape.indices.map { normalized.contains($0) ? 1 : shape[$0] }
        let output = keepingDimensions ? kept.sameScalars(reshapedTo: keptShape) : kept
        let sourceShape = shape
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.sameScalars(reshapedTo: keptShape).broadcastCopy(toShape: sourceShape)]
        }
    }

    /// The mean of all elements, as a rank-0 tensor (NaN for an empty tensor).
    public func mean() -> Tensor { sum() / Float(count) }

    /// Means along `axes` (distinct, negative counting from the end). `self` is (…); returns the
    /// shape without those axes, or with size 1 there when `keepingDimensions`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = checkShapes { try Tensor.reductionShapes("mean", shape, alongAxes: axes) }
        let reducedCount = normalized.map { shape[$0] }.reduce(1, *)
        return sum(alongAxes: normalized, keepingDimensions: keepingDimensions) / Float(reducedCount)
    }

    /// The Euclidean norm of all elements, √Σx² (PyTorch's `norm()`: the Frobenius norm of a matrix), as
    /// a rank-0 tensor, summed in `Double`. The gradient is gradient·x/‖x‖, and 0 when ‖x‖ = 0 as in PyTorch
    /// (where √ of a sum of squares would give 0·∞).
    public func norm() -> Tensor {
        let total = withUnsafeBufferPointer { Reduction.sumOfSquares($0.baseAddress!, count: count) }
        let norm = Float(total.squareRoot())
        return Tensor.recorded(Tensor(norm), inputs: [self]) { [self] gradient in
            [norm == 0 ? Tensor(zeros: shape) : self * (gradient.item / norm)]
        }
    }

    /// Validates reduction axes for a tensor of `shape` and returns them non-negative and sorted;
    /// throws a `ShapeError` naming `operation` and the shape for an axis out of range or repeated.
    public static func reductionShapes(_ operation: String, _ shape: [Int], alongAxes axes: [Int]) throws(ShapeError) -> [Int] {
        var normalized: [Int] = []
        for axis in axes {
            guard axis >= -shape.count && axis < shape.count else {
                throw ShapeError(operation, [shape], "axis \(axis) is out of range for rank \(shape.count)")
            }
            let positive = axis < 0 ? axis + shape.count : axis
            guard !normalized.contains(positive) else {
                throw ShapeError(operation, [shape], "axis \(axis) is repeated in \(axes)")
            }
            normalized.append(positive)
        }
        return normalized.sorted()
    }

    /// Sums along non-negative distinct `axes`, dropping them. Not recorded.
    func summedRaw(alongAxes axes: [Int]) -> Tensor {
        var output = Tensor.uninitialized(shape.indices.filter { !axes.contains($0) }.map { shape[$0] })
        output.withUnsafeMutableBufferPointer { result in
            withUnsafeBufferPointer { source in
                Reduction.sum(source.baseAddress!, shape: shape, alongAxes: axes, into: result.baseAddress!)
            }
        }
        return output
    }
}

// MARK: - Largest element along an axis

extension Tensor {
    /// The largest element along `axis` (PyTorch's `amax`; negative counts from the end). `self` is
    /// (…); returns the shape without `axis`, or with size 1 there when `keepingDimensions`. As in
    /// PyTorch, the gradient is shared evenly between tied largest elements. NaN is not propagated.
    public func amax(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let (layout, indices) = maximumPositions(operation: "amax", axis: axis)
        var output = Tensor.uninitialized(layout.reducedShape(keepingDimensions: keepingDimensions))
        output.withUnsafeMutableBufferPointer { result in
            withUnsafeBufferPointer { source in
                for (line, index) in indices.enumerated() { result[line] = source[layout.offset(ofLine: line, at: index)] }
            }
        }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [amaxGradientRaw(layout, maxima: output, gradient)]
        }
    }

    /// The gradient of `amax` along the layout's axis: each line's incoming gradient divided evenly
    /// between the elements equal to that line's maximum. Not recorded.
    private func amaxGradientRaw(_ layout: AxisLayout, maxima: Tensor, _ gradient: Tensor) -> Tensor {
        var routed = Tensor(zeros: shape)
        routed.withUnsafeMutableBufferPointer { result in
            withUnsafeBufferPointer { source in
                for line in 0..<maxima.count {
                    let offsets = (0..<layout.size).map { layout.offset(ofLine: line, at: $0) }
                    let tied = offsets.filter { source[$0] == maxima[flat: line] }
                    for offset in tied { result[offset] = gradient[flat: line] / Float(tied.count) }
                }
            }
        }
        return routed
    }

    /// The index of the first largest element along `axis` (PyTorch's `argmax`; negative counts
    /// from the end), for each position of the other axes in row-major order. `self` is (…); the
    /// result holds one index per element of the shape without `axis`. Not differentiable.
    public func argmax(alongAxis axis: Int) -> [Int] {
        maximumPositions(operation: "argmax", axis: axis).indices
    }

    /// For every line along `axis`, the index of its first largest element.
    private func maximumPositions(operation: String, axis: Int) -> (layout: AxisLayout, indices: [Int]) {
        let normalized = checkShapes { try Tensor.reductionShapes(operation, shape, alongAxes: [axis]) }[0]
        let layout = AxisLayout(shape: shape, axis: normalized)
        precondition(layout.size > 0, "\(operation): axis \(axis) of shape \(shape) is empty")
        var indices = [Int](repeating: 0, count: layout.outer * layout.inner)
        withUnsafeBufferPointer { source in
            for line in indices.indices {
                var best = source[layout.offset(ofLine: line, at: 0)]
                for index in 1..<layout.size where source[layout.offset(ofLine: line, at: index)] > best {
                    best = source[layout.offset(ofLine: line, at: index)]
                    indices[line] = index
                }
            }
        }
        return (layout, indices)
    }
}

/// A shape seen as (outer, size, inner) around one axis: element (o, a, i) sits at
/// (o·size + a)·inner + i. A "line" is the `size` elements sharing (o, i), numbered o·inner + i.
struct AxisLayout {
    let shape: [Int]
    let axis: Int
    let outer: Int, size: Int, inner: Int

    init(shape: [Int], axis: Int) {
        self.shape = shape
        self.axis = axis
        outer = shape[..<axis].reduce(1, *)
        size = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    /// The flat offset of element `index` along the axis in line `line`.
    @inline(__always)
    func offset(ofLine line: Int, at index: Int) -> Int {
        let (o, i) = line.quotientAndRemainder(dividingBy: inner)
        return (o * size + index) * inner + i
    }

    /// The shape without the axis, or with size 1 there when `keepingDimensions`.
    func reducedShape(keepingDimensions: Bool) -> [Int] {
        var result = shape
        if keepingDimensions { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }
}
