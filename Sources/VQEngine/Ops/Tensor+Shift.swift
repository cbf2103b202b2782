/// Shifting along an axis with zero fill (PixelCNN's "shift down" of the vertical stack; PyTorch
/// writes it as `F.pad(x, (0, 0, 1, 0))[:, :, :-1]`).
extension Tensor {
    /// The elements moved `offset` places along `axis` (negative counts from the end), zeros entering
    /// at the start (offset > 0) or the end (offset < 0): output[…, i, …] = self[…, i − offset, …]
    /// when 0 ≤ i − offset < size, else 0.
    ///
    /// (…, d_axis, …) → the same shape. E.g. an NCHW tensor shifted by 1 along axis 2 moves every row
    /// down by one and puts a zero row on top.
    public func shifted(alongAxis axis: Int, by offset: Int) -> Tensor {
        let normalized = checkShapes { try Tensor.shiftShapes(shape, alongAxis: axis) }
        let output = shiftedRaw(alongAxis: normalized, by: offset)
        return Tensor.recorded(output, inputs: [self]) { gradient in
            // The adjoint of a shift by k is the shift by −k (what fell off the end gets no gradient).
            [gradient.shiftedRaw(alongAxis: normalized, by: -offset)]
        }
    }

    /// Validates the axis of a shift and returns it counted from the front; throws a `ShapeError`
    /// naming `shifted` and the shape when it is out of range.
    public static func shiftShapes(_ shape: [Int], alongAxis axis: Int) throws(ShapeError) -> Int {
        try resolvedAxis(axis, rank: shape.count, operation: "shifted", shapes: [shape])
    }

    /// The shift on the (outer, size, inner) view around `axis`, not recorded.
    func shiftedRaw(alongAxis axis: Int, by offset: Int) -> Tensor {
        let size = shape[axis]
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var output = Tensor(zeros: shape)
        let kept = Swift.max(0, size - Swift.abs(offset))
        guard kept > 0, inner > 0 else { return output }
        let sourceStart = Swift.max(0, -offset), destinationStart = Swift.max(0, offset)
        output.withUnsafeMutableBufferPointer { destination in
            withUnsafeBufferPointer { source in
                for block in 0..<outer {
                    let base = block * size * inner
                    (destination.baseAddress! + base + destinationStart * inner)
                        .update(from: source.baseAddress! + base + sourceStart * inner, count: kept * inner)
                }
            }
        }
        return output
    }
}
