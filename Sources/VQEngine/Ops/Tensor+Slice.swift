/// Slicing: a box of a tensor copied into a new contiguous tensor (PyTorch's basic indexing
/// `x[a:b, c:d]` and `narrow`, without steps or negative bounds).
extension Tensor {
    /// The elements at indices `range` along `axis` (negative counts from the end), all of every other
    /// axis (PyTorch's `narrow(dim, start, length)`).
    ///
    /// (…, d_axis, …) → (…, range.count, …).
    public func sliced(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let (lowerBounds, upperBounds) = checkShapes { try Tensor.sliceShapes(shape, alongAxis: axis, range) }
        return sliced(lowerBounds: lowerBounds, upperBounds: upperBounds)
    }

    /// The box of elements with `lowerBounds[a] <= index[a] < upperBounds[a]` on every axis `a`.
    ///
    /// (d₀, …) → (upperBounds[0] − lowerBounds[0], …).
    public func sliced(lowerBounds: [Int], upperBounds: [Int]) -> Tensor {
        let outputShape = checkShapes { try Tensor.sliceShapes(shape, lowerBounds: lowerBounds, upperBounds: upperBounds) }
        var output = Tensor.uninitialized(outputShape)
        Tensor.copyBox(extent: outputShape, from: self, at: lowerBounds, into: &output, at: Array(repeating: 0, count: rank))
        return Tensor.recorded(output, inputs: [self]) { [shape] gradient in
            // The gradient of the box, zeros everywhere else.
            var padded = Tensor(zeros: shape)
            Tensor.copyBox(extent: outputShape, from: gradient, at: Array(repeating: 0, count: shape.count),
                           into: &padded, at: lowerBounds)
            return [padded]
        }
    }

    /// Validates slicing `range` along `axis` of `shape` and returns the bounds of the box on every axis.
    public static func sliceShapes(_ shape: [Int], alongAxis axis: Int, _ range: Range<Int>)
        throws(ShapeError) -> (lowerBounds: [Int], upperBounds: [Int]) {
        let resolved = try resolvedAxis(axis, rank: shape.count, operation: "slice", shapes: [shape])
        guard range.lowerBound >= 0, range.upperBound <= shape[resolved] else {
            throw ShapeError("slice", [shape],
                             "range \(range.lowerBound)..<\(range.upperBound) is outside 0..<\(shape[resolved]) along axis \(axis)")
        }
        var lowerBounds = [Int](repeating: 0, count: shape.count), upperBounds = shape
        lowerBounds[resolved] = range.lowerBound
        upperBounds[resolved] = range.upperBound
        return (lowerBounds, upperBounds)
    }

    /// Validates the box `lowerBounds..<upperBounds` of `shape` and returns its shape; throws a
    /// `ShapeError` naming the shape and the bounds otherwise.
    public static func sliceShapes(_ shape: [Int], lowerBounds: [Int], upperBounds: [Int]) throws(ShapeError) -> [Int] {
        guard lowerBounds.count == shape.count, upperBounds.count == shape.count else {
            throw ShapeError("slice", [shape, lowerBounds, upperBounds],
                             "\(lowerBounds.count) lower and \(upperBounds.count) upper bounds for rank \(shape.count)")
        }
        for axis in shape.indices where !(0 <= lowerBounds[axis] && lowerBounds[axis] <= upperBounds[axis] && upperBounds[axis] <= shape[axis]) {
            throw ShapeError("slice", [shape, lowerBounds, upperBounds],
                             "bounds \(lowerBounds[axis])..<\(upperBounds[axis]) are not within 0..<\(shape[axis]) along axis \(axis)")
        }
        return zip(lowerBounds, upperBounds).map { $1 - $0 }
    }

    /// Copies the box of shape `extent` starting at `sourceOrigin` in `source` into `destination`
    /// starting at `destinationOrigin`. Both tensors have the rank of `extent` and hold the box; never
    /// recorded. Used by slicing, concatenation and their gradients.
    static func copyBox(extent: [Int], from source: Tensor, at sourceOrigin: [Int],
                        into destination: inout Tensor, at destinationOrigin: [Int]) {
        guard !extent.contains(0) else { return }
        let sourceShape = source.shape, destinationShape = destination.shape
        destination.withUnsafeMutableBufferPointer { target in
            source.withUnsafeBufferPointer { origin in
                copyBox(extent: extent, from: origin.baseAddress!, shape: sourceShape, at: sourceOrigin,
                        into: target.baseAddress!, shape: destinationShape, at: destinationOrigin)
            }
        }
    }

    /// `copyBox` on raw row-major buffers: contiguous runs (the trailing axes the box spans whole in
    /// both arrays) are copied at once, under an odometer over the remaining leading axes.
    private static func copyBox(extent: [Int], from source: UnsafePointer<Float>, shape sourceShape: [Int], at sourceOrigin: [Int],
                                into destination: UnsafeMutablePointer<Float>, shape destinationShape: [Int], at destinationOrigin: [Int]) {
        let rank = extent.count
        guard rank > 0 else { destination[0] = source[0]; return }
        // Axes runAxis..<rank form one contiguous run in both arrays.
        var runAxis = rank - 1, runLength = extent[rank - 1]
        while runAxis > 0, extent[runAxis] == sourceShape[runAxis], extent[runAxis] == destinationShape[runAxis] {
            runAxis -= 1
            runLength *= extent[runAxis]
        }
        let sourceStrides = rowMajorStrides(of: sourceShape), destinationStrides = rowMajorStrides(of: destinationShape)
        var sourceOffset = zip(sourceOrigin, sourceStrides).reduce(0) { $0 + $1.0 * $1.1 }
        var destinationOffset = zip(destinationOrigin, destinationStrides).reduce(0) { $0 + $1.0 * $1.1 }
        var index = [Int](repeating: 0, count: runAxis)
        let runCount = extent[..<runAxis].reduce(1, *)
        for _ in 0..<runCount {
            (destination + destinationOffset).update(from: source + sourceOffset, count: runLength)
            var axis = runAxis - 1
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += sourceStrides[axis]
                destinationOffset += destinationStrides[axis]
                if index[axis] < extent[axis] { break }
                sourceOffset -= extent[axis] * sourceStrides[axis]
                destinationOffset -= extent[axis] * destinationStrides[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
