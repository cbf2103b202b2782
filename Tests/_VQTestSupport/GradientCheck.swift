import Testing
import VQEngine

/// Compares the tape's gradients of `function` with central finite differences.
///
/// The function's output is contracted with a fixed random cotangent `c`, so the check covers the
/// whole vector-Jacobian product: analytic `c · ∂f/∂x` from the tape against
/// `(c·f(x + ε eᵢ) − c·f(x − ε eᵢ)) / 2ε` for every element i of every input, summed in `Double`.
/// Inputs must keep ε away from kinks (relu at 0, max ties, argmin switches).
public func expectGradientsMatchFiniteDifferences(
    _ inputs: [Tensor], epsilon: Float = 1e-2, absolute: Float = 2e-3, relative: Float = 2e-2,
    _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) -> Tensor
) {
    let tape = Tape()
    let watched = inputs.map { tape.watch($0) }
    let output = function(watched)
    var generator = RandomGenerator(seed: 99)
    let cotangent = Tensor(uniform: output.shape, low: -1, high: 1, generator: &generator)
    let analytic = tape.gradients(of: output, seed: cotangent, withRespectTo: watched)

    func contracted(_ values: [Tensor]) -> Double {
        let result = function(values)
        return zip(result.scalars, cotangent.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for (inputIndex, input) in inputs.enumerated() {
        #expect(analytic[inputIndex].shape == input.shape, "\(comment): gradient shape of input \(inputIndex)",
                sourceLocation: sourceLocation)
        var numeric = [Float](repeating: 0, count: input.count)
        for element in 0..<input.count {
            var values = inputs
            values[inputIndex][flat: element] = input[flat: element] + epsilon
            let plus = contracted(values)
            values[inputIndex][flat: element] = input[flat: element] - epsilon
            let minus = contracted(values)
            numeric[element] = Float((plus - minus) / (2 * Double(epsilon)))
        }
        expectClose(analytic[inputIndex].scalars, numeric, absolute: absolute, relative: relative,
                    "\(comment) gradient of input \(inputIndex)", sourceLocation: sourceLocation)
    }
}
