/// Broadcasting (NumPy/PyTorch rules) and its reverse, summing a gradient back to an operand's shape.
extension Tensor {
    /// The shape that tensors of shapes `lhs` and `rhs` broadcast to.
    ///
    /// The shapes are aligned on their last dimension; each pair of sizes must be equal or one of
    /// them 1, and the missing leading dimensions count as 1: [2, 3, 4] and [3, 1] give [2, 3, 4],
    /// [] (a scalar) and [5] give [5]. Throws a `ShapeError` naming `operation` and both shapes.
    public static func broadcastShape(_ lhs: [Int], _ rhs: [Int], operation: String = "broadcast") throws(ShapeError) -> [Int] {
        let rank = Swift.max(lhs.count, rhs.count)
        var result = [Int](repeating: 1, count: rank)
        for offset in stride(from: 1, through: rank, by: 1) {
            let left = offset <= lhs.count ? lhs[lhs.count - offset] : 1
            let right = offset <= rhs.count ? rhs[rhs.count - offset] : 1
            guard left == right || left == 1 || right == 1 else {
                throw ShapeError(operation, [lhs, rhs],
                                 "sizes \(left) and \(right) of dimension \(-offset) cannot be broadcast together")
            }
            result[rank - offset] = left == 1 ? right : left
        }
        return result
    }

    /// Sums over the dimensions along which a tensor of shape `shape` would be broadcast to this
    /// tensor's shape, giving a tensor of shape `shape` (PyTorch's `sum_to_size`). VJPs use it to
    /// undo broadcasting: the gradient of `a + b` with respect to `b` is `gradient.sumToShape(b.shape)`.
    ///
    /// `self` is (…), `shape` must broadcast to it; returns `shape`. Recorded, like any op.
    public func sumToShape(_ shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        let axes = checkShapes { try Tensor.sumToShapeShapes(self.shape, shape) }
        let output = summedRaw(alongAxes: axes).sameScalars(reshapedTo: shape)
        let sourceShape = self.shape
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.broadcastCopy(toShape: sourceShape)]
        }
    }

    /// Validates that `target` broadcasts to `shape` and returns the axes of `shape` to sum over to
    /// reach `target` (the leading extra axes and those where `target` has size 1). Throws a
    /// `ShapeError` naming both shapes otherwise.
    public static func sumToShapeShapes(_ shape: [Int], _ target: [Int]) throws(ShapeError) -> [Int] {
        guard (try? broadcastShape(shape, target)) == shape else {
            throw ShapeError("sumToShape", [shape, target], "the second shape does not broadcast to the first")
        }
        let lead = shape.count - target.count
        return Array(0..<lead) + (lead..<shape.count).filter { target[$0 - lead] == 1 && shape[$0] != 1 }
    }

    /// This tensor repeated along the dimensions it broadcasts over to reach `shape`, as a new
    /// contiguous tensor. Not recorded: VJPs use it.
    func broadcastCopy(toShape shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        precondition((try? Tensor.broadcastShape(self.shape, shape)) == shape,
                     "broadcastCopy: shape \(self.shape) does not broadcast to \(shape)")
        var output = Tensor.uninitialized(shape)
        output.withUnsafeMutableBufferPointer { result in
            withUnsafeBufferPointer { source in
                Elementwise.broadcastCopy(source.baseAddress!, inputShape: self.shape, into: result.baseAddress!, outputShape: shape)
            }
        }
        return output
    }

    /// The same scalars under another shape with as many elements, sharing storage. Not recorded.
    func sameScalars(reshapedTo shape: [Int]) -> Tensor {
        precondition(shape.reduce(1, *) == count, "sameScalars: shape \(shape) does not hold \(count) elements")
        return Tensor(shape: shape, storage: storage)
    }
}
