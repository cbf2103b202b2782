extension Tensor {
    /// The gated activation of the gated PixelCNN and WaveNet: tanh of the first half of the channels
    /// times the sigmoid of the second, (N, 2C, …) → (N, C, …). PyTorch:
    /// `x[:, :C].tanh() * x[:, C:].sigmoid()`.
    ///
    /// One pass and one recorded op instead of two slices, two activations and a product (five ops,
    /// each with its own buffer and backward), with the same bits forward and backward as that
    /// composition of `sliced`, `tanh`, `sigmoid` and `*` (the same scalar functions, the same
    /// order of operations): with t = tanh(a), s = σ(b) and the incoming gradient g,
    ///   ∂a = (g·s)·(1 − t·t),   ∂b = ((g·t)·s)·(1 − s).
    public func gatedActivation() -> Tensor {
        precondition(rank >= 2 && shape[1] % 2 == 0, "gatedActivation: needs (N, 2C, …), got \(shape)")
        var halfShape = shape
        halfShape[1] /= 2
        let half = halfShape[1...].reduce(1, *), batch = shape[0]
        var tangents = Tensor.uninitialized(halfShape), sigmoids = Tensor.uninitialized(halfShape)
        var output = Tensor.uninitialized(halfShape)
        withUnsafeBufferPointer { input in
            tangents.withUnsafeMutableBufferPointer { tangents in
                sigmoids.withUnsafeMutableBufferPointer { sigmoids in
                    output.withUnsafeMutableBufferPointer { output in
                        Elementwise.forBlocks(batch, elementsPerBlock: half) { items in
                            for item in items {  // three plain loops, each of which vectorises
                                let a = input.baseAddress! + item * 2 * half, b = a + half
                                let t = tangents.baseAddress! + item * half, s = sigmoids.baseAddress! + item * half
                                let o = output.baseAddress! + item * half
                                for i in 0..<half { t[i] = HyperbolicTangent()(a[i]) }
                                for i in 0..<half { s[i] = Sigmoid()(b[i]) }
                                for i in 0..<half { o[i] = t[i] * s[i] }
                            }
                        }
                    }
                }
            }
        }
        return Tensor.recorded(output, inputs: [self]) { [shape] gradient in
            [Tensor.gatedActivationGradient(gradient, tangents: tangents, sigmoids: sigmoids, inputShape: shape)]
        }
    }

    /// The backward of `gatedActivation`: g (N, C, …) with the saved tanh and sigmoid halves → (N, 2C, …).
    static func gatedActivationGradient(_ gradient: Tensor, tangents: Tensor, sigmoids: Tensor, inputShape: [Int]) -> Tensor {
        let half = tangents.count / inputShape[0]
        var result = Tensor.uninitialized(inputShape)
        gradient.withUnsafeBufferPointer { gradient in
            tangents.withUnsafeBufferPointer { tangents in
                sigmoids.withUnsafeBufferPointer { sigmoids in
                    result.withUnsafeMutableBufferPointer { result in
                        Elementwise.forBlocks(inputShape[0], elementsPerBlock: half) { items in
                            for item in items {
                                let a = result.baseAddress! + item * 2 * half, b = a + half
                                let g = gradient.baseAddress! + item * half
                                let t = tangents.baseAddress! + item * half, s = sigmoids.baseAddress! + item * half
                                for i in 0..<half { a[i] = g[i] * s[i] * (1 - t[i] * t[i]) }
                                for i in 0..<half { b[i] = g[i] * t[i] * s[i] * (1 - s[i]) }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
