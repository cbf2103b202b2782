import VQEngine

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as `torch.optim.Adam` / `AdamW`.
///
/// For each parameter p with gradient g at step t (from 1):
///   g ← g + weightDecay·p                     (Adam's L2 penalty, when not decoupled)
///   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///   p ← p − lr·weightDecay·p                   (AdamW's decoupled decay)
///   p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
public struct Adam {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// AdamW when true: weight decay shrinks the parameters directly instead of entering the moments.
    public var decoupledWeightDecay: Bool
    /// The number of updates made so far.
    public private(set) var step = 0
    /// β₁ᵗ and β₂ᵗ for the bias corrections, kept as running products (exact, no `pow`).
    public private(set) var beta1Power = 1.0, beta2Power = 1.0
    /// First and second moment estimates, one per parameter in `forEachParameter` order.
    public internal(set) var firstMoments: [Tensor] = []
    public internal(set) var secondMoments: [Tensor] = []

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's default weight decay of 0.01.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// Puts back the running state saved from another `Adam` (a resumed training run): the step, the
    /// running powers β₁ᵗ and β₂ᵗ, and the moments in `forEachParameter` order (both empty before the
    /// first update). The hyper-parameters are not part of the state; they come from `init`.
    public mutating func restore(step: Int, beta1Power: Double, beta2Power: Double,
                                 firstMoments: [Tensor], secondMoments: [Tensor]) {
        precondition(step >= 0 && firstMoments.count == secondMoments.count
                     && zip(firstMoments, secondMoments).allSatisfy { $0.shape == $1.shape },
                     "Adam.restore: step \(step), \(firstMoments.count) first and \(secondMoments.count) second moments")
        self.step = step
        self.beta1Power = beta1Power
        self.beta2Power = beta2Power
        self.firstMoments = firstMoments.map { $0.detached() }
        self.secondMoments = secondMoments.map { $0.detached() }
    }

    /// Applies one update to `model` given the gradients of its parameters, in `forEachParameter` order.
    public mutating func update<Model: Layer>(_ model: inout Model, gradients: [Tensor]) {
        if firstMoments.isEmpty {
            firstMoments = gradients.map { Tensor(zeros: $0.shape) }
            secondMoments = firstMoments
        }
        precondition(gradients.count == firstMoments.count,
                     "Adam.update: \(gradients.count) gradients for \(firstMoments.count) parameters")
        step += 1
        beta1Power *= Double(beta1)
        beta2Power *= Double(beta2)
        var index = 0
        model.forEachParameter { name, parameter in
            precondition(parameter.shape == gradients[index].shape,
                         "Adam.update: gradient shape \(gradients[index].shape) differs from parameter \(name) \(parameter.shape)")
            update(&parameter, gradient: gradients[index], moment: index)
            index += 1
        }
    }

    private mutating func update(_ parameter: inout Tensor, gradient: Tensor, moment index: Int) {
        let (b1, b2, decay, rate, eps) = (beta1, beta2, weightDecay, learningRate, epsilon)
        let coupled = decoupledWeightDecay ? 0 : decay
        let shrink = decoupledWeightDecay ? 1 - rate * decay : 1
        let correction1 = Float(1 - beta1Power), correction2 = Float(1 - beta2Power)
        let stepSize = rate / correction1, root2 = correction2.squareRoot()
        parameter = parameter.detached()
        parameter.withUnsafeMutableBufferPointer { p in
            firstMoments[index].withUnsafeMutableBufferPointer { m in
                secondMoments[index].withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        // Element by element, so splitting across cores changes no bit of the result.
                        let (p, m, v) = (p.baseAddress!, m.baseAddress!, v.baseAddress!)
                        Parallel.forRanges(g.count, minimumPerChunk: 1 << 13) { range in
                            for i in range {
                                let gi = g[i] + coupled * p[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] = p[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
