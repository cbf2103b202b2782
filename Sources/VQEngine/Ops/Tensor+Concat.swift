/// Concatenation along an existing axis (PyTorch's `cat`).
extension Tensor {
    /// `tensors` joined end to end along `axis` (negative counts from the end), in order.
    ///
    /// Each input is (…, dᵢ, …) with the same sizes on every other axis; the result is (…, Σ dᵢ, …).
    public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        let outputShape = checkShapes { try concatenateShapes(tensors.map(\.shape), alongAxis: axis) }
        let resolved = axis < 0 ? axis + outputShape.count : axis  // validated above
        let offsets = axisOffsets(of: tensors, along: resolved)
        var output = Tensor.uninitialized(outputShape)
        let zeroOrigin = [Int](repeating: 0, count: outputShape.count)
        for (tensor, offset) in zip(tensors, offsets) {
            copyBox(extent: tensor.shape, from: tensor, at: zeroOrigin,
                    into: &output, at: origin(offset, along: resolved, rank: outputShape.count))
        }
        return recorded(output, inputs: tensors) { [shapes = tensors.map(\.shape)] gradient in
            // Each input's gradient is its own slab of the output's gradient.
            zip(shapes, offsets).map { shape, offset in
                var part = Tensor.uninitialized(shape)
                copyBox(extent: shape, from: gradient, at: origin(offset, along: resolved, rank: shape.count),
                        into: &part, at: zeroOrigin)
                return part
            }
        }
    }

    /// Validates concatenating tensors of `shapes` along `axis` and returns the output shape; throws a
    /// `ShapeError` naming every shape when the list is empty, the ranks differ, or a size other than
    /// along `axis` differs.
    public static func concatenateShapes(_ shapes: [[Int]], alongAxis axis: Int) throws(ShapeError) -> [Int] {
        guard let first = shapes.first else { throw ShapeError("concatenate", shapes, "no tensors given") }
        let resolved = try resolvedAxis(axis, rank: first.count, operation: "concatenate", shapes: shapes)
        var outputShape = first
        outputShape[resolved] = 0
        for shape in shapes {
            guard shape.count == first.count else {
                throw ShapeError("concatenate", shapes, "ranks differ (\(first.count) and \(shape.count))")
            }
            for otherAxis in shape.indices where otherAxis != resolved && shape[otherAxis] != first[otherAxis] {
                throw ShapeError("concatenate", shapes,
                                 "sizes along axis \(otherAxis) differ (\(first[otherAxis]) and \(shape[otherAxis])); only axis \(axis) may differ")
            }
            outputShape[resolved] += shape[resolved]
        }
        return outputShape
    }

    /// Where each tensor starts along `axis` in the concatenation.
    private static func axisOffsets(of tensors: [Tensor], along axis: Int) -> [Int] {
        var offsets: [Int] = [], next = 0
        for tensor in tensors {
            offsets.append(next)
            next += tensor.shape[axis]
        }
        return offsets
    }

    /// The multi-index that is `offset` on `axis` and 0 elsewhere.
    private static func origin(_ offset: Int, along axis: Int, rank: Int) -> [Int] {
        var result = [Int](repeating: 0, count: rank)
        result[axis] = offset
        return result
    }
}
