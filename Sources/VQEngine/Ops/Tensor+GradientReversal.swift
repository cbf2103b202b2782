extension Tensor {
    /// The same values forward; backward, the incoming gradient times −`scale` (the gradient reversal
    /// layer of domain-adversarial training, Ganin & Lempitsky 2015). What lies before it is trained
    /// to make whatever lies after it fail: a speaker classifier after the codes learns to name the
    /// speaker while the encoder before them learns to hide it. Any shape; `scale` ≥ 0.
    ///
    /// PyTorch has no such op; the usual form is an autograd Function returning `x.view_as(x)` forward
    /// and `-scale * grad` backward.
    public func reversingGradient(scale: Float) -> Tensor {
        precondition(scale >= 0 && scale.isFinite, "reversingGradient: the scale must be finite and ≥ 0, not \(scale)")
        return Tensor.recorded(detached(), inputs: [self]) { gradient in [gradient * -scale] }
    }
}
