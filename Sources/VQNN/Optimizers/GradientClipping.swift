import VQEngine

/// Clipping by global gradient norm, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// The Euclidean norm of all gradients taken together, accumulated in `Double`.
    public static func globalNorm(_ gradients: [Tensor]) -> Float {
        var sum = 0.0
        for gradient in gradients {
            gradient.withUnsafeBufferPointer { values in
                for value in values { sum += Double(value) * Double(value) }
            }
        }
        return Float(sum.squareRoot())
    }

    /// Scales all gradients by `maximumNorm / (norm + 1e-6)` when their global norm exceeds
    /// `maximumNorm`; returns the norm before clipping (for reporting).
    @discardableResult
    public static func clip(_ gradients: inout [Tensor], maximumNorm: Float) -> Float {
        let norm = globalNorm(gradients)
        let scale = maximumNorm / (norm + 1e-6)
        guard scale < 1 else { return norm }
        for index in gradients.indices {
            gradients[index].withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] *= scale }
            }
        }
        return norm
    }
}
