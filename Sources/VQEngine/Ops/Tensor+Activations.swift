#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise functions: activations (relu, sigmoid, tanh) and exp, log, squared, sqrt, pow, clamped.
/// Each returns a tensor of its input's shape.
///
/// Note for code in other `Tensor` extensions: these methods hide the C library's `exp`, `log`,
/// `tanh`, `sqrt` and `pow` inside any `extension Tensor`; call `expf`, `logf`, `tanhf`,
/// `x.squareRoot()`, `powf` (or `Glibc.exp`) there instead.
extension Tensor {
    /// max(x, 0) (PyTorch's `relu`).
    public func relu() -> Tensor {
        let output = mapScalars { $0 > 0 ? $0 : 0 }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self) { gradient, input in input > 0 ? gradient : 0 }]
        }
    }

    /// 1 / (1 + e^−x), computed without overflow for large |x| (PyTorch's `sigmoid`).
    public func sigmoid() -> Tensor {
        let output = mapScalars(Tensor.stableSigmoid)
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output) { gradient, value in gradient * value * (1 - value) }]
        }
    }

    /// The logistic function on one value: e^x / (1 + e^x) for negative x so that e^−x never overflows.
    @inline(__always)
    static func stableSigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let exponential = expf(x)
        return exponential / (1 + exponential)
    }

    /// The hyperbolic tangent (PyTorch's `tanh`).
    public func tanh() -> Tensor {
        let output = mapScalars { tanhf($0) }
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output) { gradient, value in gradient * (1 - value * value) }]
        }
    }

    /// e^x (PyTorch's `exp`).
    public func exp() -> Tensor {
        let output = mapScalars { expf($0) }
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output, *)]
        }
    }

    /// The natural logarithm (PyTorch's `log`): −∞ at 0, NaN below.
    public func log() -> Tensor {
        let output = mapScalars { logf($0) }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self, /)]
        }
    }

    /// x² (PyTorch's `square`).
    public func squared() -> Tensor {
        let output = mapScalars { $0 * $0 }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self) { gradient, input in 2 * input * gradient }]
        }
    }

    /// √x (PyTorch's `sqrt`): NaN below 0, and an infinite gradient at 0.
    public func sqrt() -> Tensor {
        let output = mapScalars { $0.squareRoot() }
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [gradient.zipScalars(output) { gradient, value in gradient / (2 * value) }]
        }
    }

    /// x^exponent (PyTorch's `pow` with a scalar exponent). The gradient is
    /// exponent·x^(exponent−1), and 0 everywhere for exponent 0.
    public func pow(_ exponent: Float) -> Tensor {
        let output = mapScalars { powf($0, exponent) }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            if exponent == 0 { return [Tensor(zeros: gradient.shape)] }
            return [gradient.zipScalars(self) { gradient, input in gradient * exponent * powf(input, exponent - 1) }]
        }
    }

    /// Each element limited to [minimum, maximum] (PyTorch's `clamp(min:max:)`); a missing bound
    /// does not limit. The gradient passes where minimum ≤ x ≤ maximum, as in PyTorch.
    public func clamped(min minimum: Float? = nil, max maximum: Float? = nil) -> Tensor {
        let low = minimum ?? -.infinity, high = maximum ?? .infinity
        precondition(low <= high, "clamped: min \(low) exceeds max \(high)")
        let output = mapScalars { Swift.min(Swift.max($0, low), high) }
        return Tensor.recorded(output, inputs: [self]) { [self] gradient in
            [gradient.zipScalars(self) { gradient, input in input >= low && input <= high ? gradient : 0 }]
        }
    }
}

// MARK: - Unrecorded elementwise maps

extension Tensor {
    /// `transform` applied to every element, as a new tensor of the same shape. Not recorded.
    @inline(__always)
    func mapScalars(_ transform: (Float) -> Float) -> Tensor {
        var output = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                Elementwise.map(source.baseAddress!, result.baseAddress!, count: count, transform)
            }
        }
        return output
    }

    /// `combine(self[i], other[i])` for every element of two tensors of the same shape. Not recorded.
    @inline(__always)
    func zipScalars(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipScalars: shapes \(shape) and \(other.shape) differ")
        var output = Tensor.uninitialized(shape)
        withUnsafeBufferPointer { lhs in
            other.withUnsafeBufferPointer { rhs in
                output.withUnsafeMutableBufferPointer { result in
                    Elementwise.map(lhs.baseAddress!, rhs.baseAddress!, result.baseAddress!, count: count, combine)
                }
            }
        }
        return output
    }
}
