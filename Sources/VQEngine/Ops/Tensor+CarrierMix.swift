/// Mixing carriers by learnt per-sample amplitudes (a harmonic source-filter output: a speech
/// decoder's amplitudes for each harmonic of a known pitch). In PyTorch:
/// `x[:, :1] + (x[:, 1:] * carriers).sum(1, keepdim=True)`.
extension Tensor {
    /// self (N, 1 + C, T…) and constant `carriers` (N, C, T…) → (N, 1, T…):
    /// y[n, 0, t] = self[n, 0, t] + Σ_c self[n, 1 + c, t] · carriers[n, c, t].
    /// Backward: ∂/∂self[n, 0] = g, ∂/∂self[n, 1 + c] = g · carriers[n, c]; the carriers get no gradient.
    public func mixed(withCarriers carriers: Tensor) -> Tensor {
        precondition(rank >= 2 && carriers.rank == rank && carriers.shape[0] == shape[0] && shape[1] == carriers.shape[1] + 1
                     && Array(carriers.shape.dropFirst(2)) == Array(shape.dropFirst(2)),
                     "mixed(withCarriers:): amplitudes \(shape) need carriers (N, C, …) with C one fewer")
        let (items, channels, inner) = (shape[0], carriers.shape[1], shape.dropFirst(2).reduce(1, *))
        var output = Tensor(zeros: [items, 1] + Array(shape.dropFirst(2)))
        output.withUnsafeMutableBufferPointer { y in
            withUnsafeBufferPointer { x in
                carriers.withUnsafeBufferPointer { e in
                    for n in 0..<items {
                        let row = n * (channels + 1) * inner, carrierRow = n * channels * inner
                        for t in 0..<inner { y[n * inner + t] = x[row + t] }
                        for c in 0..<channels {
                            let amplitude = row + (c + 1) * inner, carrier = carrierRow + c * inner
                            for t in 0..<inner { y[n * inner + t] += x[amplitude + t] * e[carrier + t] }
                        }
                    }
                }
            }
        }
        let carriers = carriers.detached()
        return Tensor.recorded(output, inputs: [self]) { gradient in
            [Tensor.concatenated([gradient, gradient * carriers], alongAxis: 1)]
        }
    }
}
