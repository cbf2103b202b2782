/// Shape operations: reshape, flatten, squeeze/unsqueeze (views sharing storage) and permute /
/// transpose (materialised, contiguous output).
extension Tensor {
    // MARK: Reshape

    /// The same elements in row-major order with shape `newShape`; one entry may be -1, inferred
    /// from the element count (PyTorch's `reshape`). Shares storage with `self`: nothing is copied.
    ///
    /// (…) → `newShape`, which must hold as many elements as `self`.
    public func reshaped(to newShape: [Int]) -> Tensor {
        let resolved = checkShapes { try Tensor.reshapeShapes(shape, newShape) }
        return sharingStorage(as: resolved)
    }

    /// Validates reshaping `shape` to `newShape` (at most one -1) and returns `newShape` with the -1
    /// resolved; throws a `ShapeError` naming both shapes otherwise.
    public static func reshapeShapes(_ shape: [Int], _ newShape: [Int]) throws(ShapeError) -> [Int] {
        let count = shape.reduce(1, *)
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else { throw ShapeError("reshape", [shape, newShape], "only one dimension may be -1") }
        guard newShape.allSatisfy({ $0 >= -1 }) else { throw ShapeError("reshape", [shape, newShape], "negative dimension") }
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        guard let inferredAxis = inferred.first else {
            guard known == count else {
                throw ShapeError("reshape", [shape, newShape], "the new shape holds \(known) elements, not \(count)")
            }
            return newShape
        }
        guard known != 0, count % known == 0 else {
            throw ShapeError("reshape", [shape, newShape], "cannot infer the -1 dimension for \(count) elements")
        }
        var resolved = newShape
        resolved[inferredAxis] = count / known
        return resolved
    }

    /// A tensor of `newShape` (same element count) on this tensor's storage, recorded so that the
    /// gradient flows back reshaped to `self`'s shape.
    private func sharingStorage(as newShape: [Int]) -> Tensor {
        let output = Tensor(shape: newShape, storage: storage)
        return Tensor.recorded(output, inputs: [self]) { [shape] gradient in
            [Tensor(shape: shape, storage: gradient.storage)]
        }
    }

    // MARK: Flatten, squeeze, unsqueeze

    /// Merges axes `startAxis` through `endAxis` (inclusive; negative values count from the end)
    /// into one (PyTorch's `flatten`). Shares storage with `self`.
    ///
    /// (d₀, …, d_start, …, d_end, …) → (d₀, …, d_start·…·d_end, …). A rank-0 tensor becomes (1,).
    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        sharingStorage(as: checkShapes { try Tensor.flattenShapes(shape, startAxis: startAxis, endAxis: endAxis) })
    }

    /// Validates flattening axes `startAxis...endAxis` of `shape` and returns the new shape.
    public static func flattenShapes(_ shape: [Int], startAxis: Int, endAxis: Int) throws(ShapeError) -> [Int] {
        if shape.isEmpty { return [1] }
        let start = try resolvedAxis(startAxis, rank: shape.count, operation: "flatten", shapes: [shape])
        let end = try resolvedAxis(endAxis, rank: shape.count, operation: "flatten", shapes: [shape])
        guard start <= end else {
            throw ShapeError("flatten", [shape], "start axis \(startAxis) comes after end axis \(endAxis)")
        }
        return Array(shape[..<start]) + [shape[start...end].reduce(1, *)] + Array(shape[(end + 1)...])
    }

    /// Removes axis `axis` (negative counts from the end), which must have size 1 (PyTorch's
    /// `squeeze(dim)`, except that a size other than 1 is an error rather than a no-op). Shares storage.
    ///
    /// (…, 1, …) → (…, …).
    public func squeezed(axis: Int) -> Tensor {
        sharingStorage(as: checkShapes { try Tensor.squeezeShapes(shape, axis: axis) })
    }

    /// Validates removing axis `axis` of size 1 from `shape` and returns the new shape.
    public static func squeezeShapes(_ shape: [Int], axis: Int) throws(ShapeError) -> [Int] {
        let resolved = try resolvedAxis(axis, rank: shape.count, operation: "squeeze", shapes: [shape])
        guard shape[resolved] == 1 else {
            throw ShapeError("squeeze", [shape], "axis \(axis) has size \(shape[resolved]), not 1")
        }
        var result = shape
        result.remove(at: resolved)
        return result
    }

    /// Inserts an axis of size 1 at position `axis` of the result (negative counts from the end of
    /// the result, as in PyTorch's `unsqueeze(dim)`). Shares storage.
    ///
    /// (d₀, …, d_{r−1}) → (d₀, …, 1, …, d_{r−1}).
    public func unsqueezed(axis: Int) -> Tensor {
        sharingStorage(as: checkShapes { try Tensor.unsqueezeShapes(shape, axis: axis) })
    }

    /// Validates inserting an axis of size 1 at `axis` (in 0…rank, or negative) and returns the new shape.
    public static func unsqueezeShapes(_ shape: [Int], axis: Int) throws(ShapeError) -> [Int] {
        let resolved = try resolvedAxis(axis, rank: shape.count + 1, operation: "unsqueeze", shapes: [shape])
        var result = shape
        result.insert(1, at: resolved)
        return result
    }

    // MARK: Permute, transpose

    /// The axes reordered (PyTorch's `permute`): output axis `a` is input axis `axes[a]` (negative
    /// values count from the end). Unlike PyTorch, which returns a strided view, the result is a new
    /// contiguous tensor.
    ///
    /// (d₀, …, d_{r−1}) → (d_{axes[0]}, …, d_{axes[r−1]}). NCHW → NHWC is `permuted([0, 2, 3, 1])`,
    /// NHWC → NCHW is `permuted([0, 3, 1, 2])`; both take the tiled-transpose fast path of `Permute.copy`.
    public func permuted(_ axes: [Int]) -> Tensor {
        let (outputShape, resolved) = checkShapes { try Tensor.permuteShapes(shape, axes: axes) }
        var output = Tensor.uninitialized(outputShape)
        output.withUnsafeMutableBufferPointer { destination in
            withUnsafeBufferPointer { source in
                Permute.copy(from: source.baseAddress!, shape: shape, axes: resolved, to: destination.baseAddress!)
            }
        }
        return Tensor.recorded(output, inputs: [self]) { gradient in
            // The gradient goes back through the inverse permutation.
            var inverse = [Int](repeating: 0, count: resolved.count)
            for (outputAxis, inputAxis) in resolved.enumerated() { inverse[inputAxis] = outputAxis }
            return [gradient.permuted(inverse)]
        }
    }

    /// Validates permuting `shape` by `axes` and returns the output shape and the axes with negative
    /// values resolved; throws a `ShapeError` if `axes` is not a permutation of the axes of `shape`.
    public static func permuteShapes(_ shape: [Int], axes: [Int]) throws(ShapeError) -> (shape: [Int], axes: [Int]) {
        let rank = shape.count
        guard axes.count == rank else {
            throw ShapeError("permute", [shape, axes], "\(axes.count) axes given for a tensor of rank \(rank)")
        }
        var resolved: [Int] = []
        for axis in axes { resolved.append(try resolvedAxis(axis, rank: rank, operation: "permute", shapes: [shape, axes])) }
        guard Permute.isPermutation(resolved, rank: rank) else {
            throw ShapeError("permute", [shape, axes], "axes \(axes) repeat an axis")
        }
        return (resolved.map { shape[$0] }, resolved)
    }

    /// The matrix transpose of a rank-2 tensor (PyTorch's `t()`): (m, n) → (n, m), contiguous.
    public func transposed() -> Tensor {
        _ = checkShapes { try Tensor.transposeShapes(shape) }
        return permuted([1, 0])
    }

    /// Validates the matrix transpose of `shape`, which must have rank 2, and returns the output shape.
    public static func transposeShapes(_ shape: [Int]) throws(ShapeError) -> [Int] {
        guard shape.count == 2 else { throw ShapeError("transpose", [shape], "transposed() needs rank 2, not \(shape.count)") }
        return [shape[1], shape[0]]
    }

    /// Swaps two axes (PyTorch's `transpose(dim0, dim1)`; negative values count from the end),
    /// returning a contiguous tensor.
    public func transposed(_ firstAxis: Int, _ secondAxis: Int) -> Tensor {
        let first = checkShapes { try Tensor.resolvedAxis(firstAxis, rank: rank, operation: "transpose", shapes: [shape]) }
        let second = checkShapes { try Tensor.resolvedAxis(secondAxis, rank: rank, operation: "transpose", shapes: [shape]) }
        var axes = Array(0..<rank)
        axes.swapAt(first, second)
        return permuted(axes)
    }

    // MARK: Axes

    /// `axis` in 0..<rank, counting from the end when negative (−1 is the last axis); throws a
    /// `ShapeError` for `operation` naming `shapes` when it is out of range.
    static func resolvedAxis(_ axis: Int, rank: Int, operation: String, shapes: [[Int]]) throws(ShapeError) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else {
            throw ShapeError(operation, shapes, "axis \(axis) is out of range for rank \(rank)")
        }
        return resolved
    }
}
