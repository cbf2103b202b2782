/// `+ - * /` between tensors (with broadcasting) and between a tensor and a `Float`, and unary minus.
///
/// Broadcasting follows NumPy/PyTorch (see `Tensor.broadcastShape`): (N, C, H, W) + (C, 1, 1) adds a
/// per-channel bias, (N, D) * (D) scales every row. The VJPs sum the gradient back over the
/// broadcast dimensions (`sumToShape`).
extension Tensor {
    /// Elementwise sum. `lhs` and `rhs` broadcast together; returns their broadcast shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let output = arithmeticRaw(.add, lhs, rhs)
        let wanted = (lhs.isTracked, rhs.isTracked), shapes = (lhs.shape, rhs.shape)
        return recorded(output, inputs: [lhs, rhs]) { gradient in
            [wanted.0 ? gradient.sumToShape(shapes.0) : nil,
             wanted.1 ? gradient.sumToShape(shapes.1) : nil]
        }
    }

    /// Elementwise difference. `lhs` and `rhs` broadcast together; returns their broadcast shape.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let output = arithmeticRaw(.subtract, lhs, rhs)
        let wanted = (lhs.isTracked, rhs.isTracked), shapes = (lhs.shape, rhs.shape)
        return recorded(output, inputs: [lhs, rhs]) { gradient in
            [wanted.0 ? gradient.sumToShape(shapes.0) : nil,
             wanted.1 ? (-gradient).sumToShape(shapes.1) : nil]
        }
    }

    /// Elementwise product. `lhs` and `rhs` broadcast together; returns their broadcast shape.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let output = arithmeticRaw(.multiply, lhs, rhs)
        let wanted = (lhs.isTracked, rhs.isTracked)
        return recorded(output, inputs: [lhs, rhs]) { gradient in
            // d(a·b) = b·da + a·db
            [wanted.0 ? (gradient * rhs).sumToShape(lhs.shape) : nil,
             wanted.1 ? (gradient * lhs).sumToShape(rhs.shape) : nil]
        }
    }

    /// Elementwise quotient. `lhs` and `rhs` broadcast together; returns their broadcast shape.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let output = arithmeticRaw(.divide, lhs, rhs)
        let wanted = (lhs.isTracked, rhs.isTracked)
        return recorded(output, inputs: [lhs, rhs]) { gradient in
            // d(a/b) = da/b − (a/b)·db/b
            [wanted.0 ? (gradient / rhs).sumToShape(lhs.shape) : nil,
             wanted.1 ? (-(gradient * output) / rhs).sumToShape(rhs.shape) : nil]
        }
    }

    /// `lhs ∘ rhs` with broadcasting, not recorded.
    private static func arithmeticRaw(_ operation: ArithmeticOperator, _ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        let shape = checkShapes { try Tensor.arithmeticShapes(operation, lhs.shape, rhs.shape) }
        var output = Tensor.uninitialized(shape)
        output.withUnsafeMutableBufferPointer { result in
            lhs.withUnsafeBufferPointer { left in
                rhs.withUnsafeBufferPointer { right in
                    Elementwise.apply(operation, lhs: left.baseAddress!, lhsShape: lhs.shape, rhs: right.baseAddress!,
                                      rhsShape: rhs.shape, output: result.baseAddress!, outputShape: shape)
                }
            }
        }
        return output
    }

    /// Validates the operands of an arithmetic operator and returns the output shape (their
    /// broadcast shape); throws a `ShapeError` naming the operator (`add`, `subtract`, `multiply`,
    /// `divide`) and both shapes otherwise.
    public static func arithmeticShapes(_ operation: ArithmeticOperator, _ lhs: [Int], _ rhs: [Int]) throws(ShapeError) -> [Int] {
        try broadcastShape(lhs, rhs, operation: "\(operation)")
    }
}

// MARK: - With a scalar

extension Tensor {
    /// Adds `rhs` to every element; returns `lhs`'s shape.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor {
        recorded(lhs.scalarRaw(.add, rhs), inputs: [lhs]) { gradient in [gradient] }
    }

    /// Adds `lhs` to every element; returns `rhs`'s shape.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }

    /// Subtracts `rhs` from every element; returns `lhs`'s shape.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs + (-rhs) }

    /// `lhs` minus every element; returns `rhs`'s shape.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor {
        recorded(rhs.scalarRaw(.subtract, lhs, scalarOnLeft: true), inputs: [rhs]) { gradient in [-gradient] }
    }

    /// Multiplies every element by `rhs`; returns `lhs`'s shape.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        recorded(lhs.scalarRaw(.multiply, rhs), inputs: [lhs]) { gradient in [gradient * rhs] }
    }

    /// Multiplies every element by `lhs`; returns `rhs`'s shape.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }

    /// Divides every element by `rhs`; returns `lhs`'s shape.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor {
        recorded(lhs.scalarRaw(.divide, rhs), inputs: [lhs]) { gradient in [gradient / rhs] }
    }

    /// `lhs` divided by every element; returns `rhs`'s shape.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor {
        let output = rhs.scalarRaw(.divide, lhs, scalarOnLeft: true)
        return recorded(output, inputs: [rhs]) { gradient in
            [-(gradient * output) / rhs]  // d(c/x) = −(c/x)/x dx
        }
    }

    /// The negation of every element.
    public static prefix func - (operand: Tensor) -> Tensor {
        recorded(operand.scalarRaw(.multiply, -1), inputs: [operand]) { gradient in [-gradient] }
    }

    /// `self ∘ scalar` (or `scalar ∘ self`) for every element, not recorded.
    private func scalarRaw(_ operation: ArithmeticOperator, _ scalar: Float, scalarOnLeft: Bool = false) -> Tensor {
        var output = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                withUnsafePointer(to: scalar) { scalarPointer in
                    let (lhs, lhsShape) = scalarOnLeft ? (scalarPointer, [Int]()) : (source.baseAddress!, shape)
                    let (rhs, rhsShape) = scalarOnLeft ? (source.baseAddress!, shape) : (scalarPointer, [Int]())
                    Elementwise.apply(operation, lhs: lhs, lhsShape: lhsShape, rhs: rhs, rhsShape: rhsShape,
                                      output: result.baseAddress!, outputShape: shape)
                }
            }
        }
        return output
    }
}
