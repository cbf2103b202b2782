/// Matrix product, batched over leading dimensions (PyTorch's `matmul` for rank ≥ 2).
extension Tensor {
    /// `self` is (…, m, k), `other` is (…, k, n) with the same leading dimensions, or (k, n) shared
    /// by every batch. Returns (…, m, n).
    public func matmul(_ other: Tensor) -> Tensor {
        let (batch, m, k, n) = checkShapes { try Tensor.matmulShapes(shape, other.shape) }
        let otherIsShared = other.rank == 2
        var output = Tensor.uninitialized(Array(shape.dropLast()) + [n])
        output.withUnsafeMutableBufferPointer { c in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    if otherIsShared {  // fold the batch into the rows: one large product
                        Gemm.multiply(m: batch * m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                                      c: c.baseAddress!, ldc: n)
                    } else {
                        for index in 0..<batch {
                            Gemm.multiply(m: m, n: n, k: k, a: a.baseAddress! + index * m * k, lda: k,
                                          b: b.baseAddress! + index * k * n, ldb: n, c: c.baseAddress! + index * m * n, ldc: n)
                        }
                    }
                }
            }
        }
        return Tensor.recorded(output, inputs: [self, other]) { [self] gradient in
            // dA = dC · Bᵀ, dB = Aᵀ · dC (summed over the batch when B is shared)
            [gradient.matmulRaw(other, transposeOther: true, shared: otherIsShared),
             self.transposedMatmulRaw(gradient, sharedResult: otherIsShared)]
        }
    }

    /// Validates (…, m, k) · (…, k, n) and returns the batch size and the matrix sizes; throws a
    /// `ShapeError` naming both shapes otherwise.
    public static func matmulShapes(_ lhs: [Int], _ rhs: [Int]) throws(ShapeError) -> (batch: Int, m: Int, k: Int, n: Int) {
        guard lhs.count >= 2, rhs.count >= 2 else { throw ShapeError("matmul", [lhs, rhs], "both operands need rank 2 or more") }
        let (m, k, k2, n) = (lhs[lhs.count - 2], lhs[lhs.count - 1], rhs[rhs.count - 2], rhs[rhs.count - 1])
        guard k == k2 else { throw ShapeError("matmul", [lhs, rhs], "inner dimensions \(k) and \(k2) differ") }
        guard rhs.count == 2 || lhs.dropLast(2) == rhs.dropLast(2) else {
            throw ShapeError("matmul", [lhs, rhs], "batch dimensions differ (the right operand may also be rank 2)")
        }
        return (lhs.dropLast(2).reduce(1, *), m, k, n)
    }

    /// (…, m, n) · op(other) without recording, where other is (…, k, n) used transposed.
    /// With `shared`, `other` is one (k, n) matrix for the whole batch.
    private func matmulRaw(_ other: Tensor, transposeOther: Bool, shared: Bool) -> Tensor {
        let n = shape[rank - 1], k = other.shape[other.rank - 2]
        let rows = count / max(n, 1)
        var output = Tensor.uninitialized(Array(shape.dropLast()) + [k])
        output.withUnsafeMutableBufferPointer { c in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    if shared {
                        Gemm.multiply(transposeB: true, m: rows, n: k, k: n, a: a.baseAddress!, lda: n,
                                      b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: k)
                    } else {
                        let m = shape[rank - 2], batch = rows / max(m, 1)
                        for index in 0..<batch {
                            Gemm.multiply(transposeB: true, m: m, n: k, k: n, a: a.baseAddress! + index * m * n, lda: n,
                                          b: b.baseAddress! + index * k * n, ldb: n, c: c.baseAddress! + index * m * k, ldc: k)
                        }
                    }
                }
            }
        }
        return output
    }

    /// selfᵀ · gradient per batch, where self is (…, m, k) and gradient (…, m, n). With
    /// `sharedResult` the products are summed over the batch into one (k, n) matrix.
    private func transposedMatmulRaw(_ gradient: Tensor, sharedResult: Bool) -> Tensor {
        let m = shape[rank - 2], k = shape[rank - 1], n = gradient.shape[gradient.rank - 1]
        let batch = count / max(m * k, 1)
        var output = Tensor.uninitialized(sharedResult ? [k, n] : Array(shape.dropLast(2)) + [k, n])
        output.withUnsafeMutableBufferPointer { c in
            withUnsafeBufferPointer { a in
                gradient.withUnsafeBufferPointer { g in
                    if sharedResult {  // Σ_batch Aᵀ·G = (A as (batch·m)×k)ᵀ · (G as (batch·m)×n)
                        Gemm.multiply(transposeA: true, m: k, n: n, k: batch * m, a: a.baseAddress!, lda: k,
                                      b: g.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
                    } else {
                        for index in 0..<batch {
                            Gemm.multiply(transposeA: true, m: k, n: n, k: m, a: a.baseAddress! + index * m * k, lda: k,
                                          b: g.baseAddress! + index * m * n, ldb: n, c: c.baseAddress! + index * k * n, ldc: n)
                        }
                    }
                }
            }
        }
        return output
    }
}
