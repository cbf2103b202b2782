#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise functions: activations (relu, sigmoid, tanh) and exp, log, squared, sqrt, pow, abs, clamped.
/// Each returns a tensor of its input's shape.
///
/// Each function and its derivative is a small type (`UnaryScalarFunction`, `BinaryScalarFunction`)
/// so that the loops are specialised and vectorised rather than calling a closure per element.
///
/// Note for code in other `Tensor` extensions: these methods hide the C library's `exp`, `log`,
/// `tanh`, `sqrt`, `pow` and `abs` inside any `extension Tensor`; call `expf`, `logf`, `tanhf`,
/// `x.squareRoot()`, `powf`, `Swift.abs` (or `Glibc.exp`) there instead.
extension Tensor {
    /// max(x, 0) (PyTorch's `relu`).
    public func relu() -> Tensor {
        let output = mapScalars(Relu())
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, ReluGradient())]
        }
    }

    /// 1 / (1 + e^−x) (PyTorch's `sigmoid`), without overflow or NaN for any x.
    public func sigmoid() -> Tensor {
        let output = mapScalars(Sigmoid())
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output, SigmoidGradient())]
        }
    }

    /// The hyperbolic tangent (PyTorch's `tanh`).
    public func tanh() -> Tensor {
        let output = mapScalars(HyperbolicTangent())
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output, HyperbolicTangentGradient())]
        }
    }

    /// e^x (PyTorch's `exp`), within 1 ulp (`FastMath.exponential`).
    public func exp() -> Tensor {
        let output = mapScalars(Exponential())
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output, Elementwise.Multiplication())]
        }
    }

    /// The natural logarithm (PyTorch's `log`): −∞ at 0, NaN below.
    public func log() -> Tensor {
        let output = mapScalars(Logarithm())
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, Elementwise.Division())]
        }
    }

    /// x² (PyTorch's `square`).
    public func squared() -> Tensor {
        let output = mapScalars(Square())
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, SquareGradient())]
        }
    }

    /// √x (PyTorch's `sqrt`): NaN below 0, and an infinite gradient at 0.
    public func sqrt() -> Tensor {
        let output = mapScalars(SquareRoot())
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output, SquareRootGradient())]
        }
    }

    /// x^exponent (PyTorch's `pow` with a scalar exponent). The gradient is
    /// exponent·x^(exponent−1), and 0 everywhere for exponent 0.
    public func pow(_ exponent: Float) -> Tensor {
        let output = mapScalars(Power(exponent: exponent))
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            if exponent == 0 { return [Tensor(zeros: gradient.shape)] }
            return [gradient.zipScalars(self, PowerGradient(exponent: exponent))]
        }
    }

    /// |x| (PyTorch's `abs`). The gradient is sign(x)·gradient, and 0 at x = 0 as in PyTorch.
    public func abs() -> Tensor {
        let output = mapScalars(AbsoluteValue())
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, AbsoluteValueGradient())]
        }
    }

    /// Each element limited to [minimum, maximum] (PyTorch's `clamp(min:max:)`); a missing bound
    /// does not limit. The gradient passes where minimum ≤ x ≤ maximum, as in PyTorch.
    public func clamped(min minimum: Float? = nil, max maximum: Float? = nil) -> Tensor {
        let bounds = Clamp(low: minimum ?? -.infinity, high: maximum ?? .infinity)
        precondition(bounds.low <= bounds.high, "clamped: min \(bounds.low) exceeds max \(bounds.high)")
        let output = mapScalars(bounds)
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, ClampGradient(bounds: bounds))]
        }
    }
}

// MARK: - The functions and their derivatives (gradient, input or output) → input gradient

private struct Relu: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 }
}
private struct ReluGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ input: Float) -> Float { input > 0 ? gradient : 0 }
}

/// 1 / (1 + e^−|x|) for x ≥ 0 and e^−|x| / (1 + e^−|x|) below: the exponential never overflows,
/// and tiny results keep their relative precision.
struct Sigmoid: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        let exponential = FastMath.exponential(-Swift.abs(x))
        let reciprocal = 1 / (1 + exponential)
        return x >= 0 ? reciprocal : exponential * reciprocal
    }
}
private struct SigmoidGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ output: Float) -> Float { gradient * output * (1 - output) }
}

struct HyperbolicTangent: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.hyperbolicTangent(x) }
}
private struct HyperbolicTangentGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ output: Float) -> Float { gradient * (1 - output * output) }
}

private struct Exponential: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.exponential(x) }
}

private struct Logarithm: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) }
}

private struct Square: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x }
}
private struct SquareGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ input: Float) -> Float { 2 * input * gradient }
}

private struct SquareRoot: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() }
}
private struct SquareRootGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ output: Float) -> Float { gradient / (2 * output) }
}

private struct Power: UnaryScalarFunction {
    let exponent: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { powf(x, exponent) }
}
private struct PowerGradient: BinaryScalarFunction {
    let exponent: Float
    @inline(__always) func callAsFunction(_ gradient: Float, _ input: Float) -> Float {
        gradient * exponent * powf(input, exponent - 1)
    }
}

private struct AbsoluteValue: UnaryScalarFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) }
}
private struct AbsoluteValueGradient: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ gradient: Float, _ input: Float) -> Float {
        input > 0 ? gradient : input < 0 ? -gradient : 0
    }
}

private struct Clamp: UnaryScalarFunction {
    let low: Float, high: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
}
private struct ClampGradient: BinaryScalarFunction {
    let bounds: Clamp
    @inline(__always) func callAsFunction(_ gradient: Float, _ input: Float) -> Float {
        input >= bounds.low && input <= bounds.high ? gradient : 0
    }
}

// MARK: - Unrecorded elementwise maps

extension Tensor {
    /// `function` applied to every element, as a new tensor of the same shape. Not recorded.
    @inline(__always)
    func mapScalars<Function: UnaryScalarFunction>(_ function: Function) -> Tensor {
        var output = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                Elementwise.map(source.baseAddress!, result.baseAddress!, count: count, function)
            }
        }
        return output
    }

    /// `function(self[i], other[i])` for every element of two tensors of the same shape. Not recorded.
    @inline(__always)
    func zipScalars<Function: BinaryScalarFunction>(_ other: Tensor, _ function: Function) -> Tensor {
        precondition(shape == other.shape, "zipScalars: shapes \(shape) and \(other.shape) differ")
        var output = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { lhs in
            other.withUnsafeBufferPointer { rhs in
                output.withUnsafeMutableBufferPointer { result in
                    Elementwise.map(lhs.baseAddress!, rhs.baseAddress!, result.baseAddress!, count: count, function)
                }
            }
        }
        return output
    }
}
