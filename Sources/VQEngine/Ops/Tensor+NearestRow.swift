/// Nearest-row search: the VQ-VAE quantizer's choice of code for each latent vector
/// (PyTorch: `torch.cdist(x, codebook).argmin(dim=1)` and the matching squared distances).
extension Tensor {
    /// For each row of `self` (queries (…, D); usually (N, D)), the index of the nearest row of
    /// `codebook` (K, D) by squared Euclidean distance, ties to the lowest index, and that squared
    /// distance.
    ///
    /// Returns `indices` (one per query row, row-major over the leading axes) and `distances` of shape
    /// (…), e.g. (N,). The search expands ‖x − e‖² through one matrix product per block of queries; the
    /// winner is then confirmed and its distance recomputed exactly as Σ (x − e)² (see `NearestRowSearch`),
    /// so a query equal to a code gets distance 0.
    ///
    /// Not differentiable: nothing is recorded, and `distances` is never linked to a tape. The quantizer
    /// builds its straight-through gradient from `codebook.gathered(rows: indices)` (which is
    /// differentiable with respect to the codebook) and detached tensors, e.g.
    /// `z + (codebook.gathered(rows: indices) - z).detached()`; a differentiable distance is
    /// `(z - codebook.gathered(rows: indices))` squared and summed.
    public func nearestRows(in codebook: Tensor) -> (indices: [Int32], distances: Tensor) {
        let (queryCount, codeCount, dimension) = checkShapes { try Tensor.nearestRowsShapes(shape, codebook.shape) }
        var distances = Tensor.uninitialized(Array(shape.dropLast()))
        guard queryCount > 0 else { return ([], distances) }
        let indices = [Int32](unsafeUninitializedCapacity: queryCount) { indices, initializedCount in
            distances.withUnsafeMutableBufferPointer { distances in
                withUnsafeBufferPointer { queries in
                    codebook.withUnsafeBufferPointer { codebook in
                        NearestRowSearch.search(queries: queries.baseAddress!, queryCount: queryCount, codebook: codebook.baseAddress!,
                                                codeCount: codeCount, dimension: dimension,
                                                indices: indices.baseAddress!, distances: distances.baseAddress!)
                    }
                }
            }
            initializedCount = queryCount
        }
        return (indices, distances)
    }

    /// Validates a search of queries of shape `queries` (…, D) in a codebook of shape `codebook` (K, D)
    /// and returns the number of query rows, K and D; throws a `ShapeError` naming both shapes if the
    /// codebook is not rank 2 with at least one row, the queries have no axis, or the widths differ.
    public static func nearestRowsShapes(_ queries: [Int], _ codebook: [Int]) throws(ShapeError)
        -> (queryCount: Int, codeCount: Int, dimension: Int) {
        guard codebook.count == 2 else {
            throw ShapeError("nearestRows", [queries, codebook], "the codebook must have rank 2 (K, D), not \(codebook.count)")
        }
        guard codebook[0] >= 1 else { throw ShapeError("nearestRows", [queries, codebook], "the codebook has no rows") }
        guard codebook[0] <= Int(Int32.max) else {
            throw ShapeError("nearestRows", [queries, codebook], "the codebook has more rows than Int32 indices can name")
        }
        guard let dimension = queries.last else {
            throw ShapeError("nearestRows", [queries, codebook], "the queries need at least one axis (…, D)")
        }
        guard dimension == codebook[1] else {
            throw ShapeError("nearestRows", [queries, codebook], "query width \(dimension) and code width \(codebook[1]) differ")
        }
        return (queries.dropLast().reduce(1, *), codebook[0], dimension)
    }
}
