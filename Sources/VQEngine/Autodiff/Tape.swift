/// Reverse-mode automatic differentiation by recording operations on a tape.
///
/// Usage:
/// ```swift
/// let tape = Tape()
/// let w = tape.watch(weight)              // w is tracked; weight is not
/// let loss = (x.matmul(w) - y).squared().mean()
/// let gradients = tape.gradients(of: loss, withRespectTo: [w])
/// ```
/// Only operations with at least one tracked input are recorded; inference, which watches nothing,
/// records nothing. Each operation defines its forward and its vector-Jacobian product (VJP) side by
/// side, through `Tensor.recorded(_:inputs:vectorJacobianProduct:)`. Gradients are first-order: the
/// tape stops recording while it runs the VJPs.
public final class Tape {
    struct Entry {
        /// Tape index of each input, or `nil` for inputs whose gradient is not wanted.
        let inputs: [Int?]
        /// Maps the gradient of the entry's output to the gradient of each input (`nil`: none).
        let vectorJacobianProduct: ((Tensor) -> [Tensor?])?
        let shape: [Int]
    }

    private(set) var entries: [Entry] = []
    /// False while the tape runs its VJPs, and after `stopRecording()`.
    public private(set) var isRecording = true

    public init() {}

    /// The number of recorded entries (watched tensors and operations).
    public var count: Int { entries.count }

    /// Returns `tensor` linked to this tape, so that gradients with respect to it can be computed.
    public func watch(_ tensor: Tensor) -> Tensor {
        var result = tensor.detached()
        result.tapeLink = TapeLink(tape: self, index: append(Entry(inputs: [], vectorJacobianProduct: nil, shape: tensor.shape)))
        return result
    }

    /// Stops recording: later operations on this tape's tensors are not differentiated.
    public func stopRecording() { isRecording = false }

    func append(_ entry: Entry) -> Int {
        entries.append(entry)
        return entries.count - 1
    }

    /// The gradient of the scalar `output` with respect to each tensor in `inputs`.
    ///
    /// `output` must hold one element. An input that `output` does not depend on gets zeros.
    public func gradients(of output: Tensor, withRespectTo inputs: [Tensor]) -> [Tensor] {
        precondition(output.count == 1, "Tape.gradients: the output must hold one element, its shape is \(output.shape)")
        return gradients(of: output, seed: Tensor(repeating: 1, shape: output.shape), withRespectTo: inputs)
    }

    /// The vector-Jacobian product `seed · ∂output/∂input` for each tensor in `inputs`.
    public func gradients(of output: Tensor, seed: Tensor, withRespectTo inputs: [Tensor]) -> [Tensor] {
        precondition(seed.shape == output.shape, "Tape.gradients: seed shape \(seed.shape) differs from output shape \(output.shape)")
        for input in inputs {
            precondition(input.tapeLink?.tape === self, "Tape.gradients: an input of shape \(input.shape) was not watched by this tape")
        }
        var accumulated = [Tensor?](repeating: nil, count: entries.count)
        if let link = output.tapeLink, link.tape === self { accumulated[link.index] = seed }
        let wasRecording = isRecording
        isRecording = false
        defer { isRecording = wasRecording }
        let wanted = Set(inputs.map { $0.tapeLink!.index })
        let lowest = wanted.min() ?? entries.count
        var index = entries.count - 1
        while index >= lowest {
            defer { index -= 1 }
            guard let gradient = accumulated[index], let vjp = entries[index].vectorJacobianProduct else { continue }
            let entry = entries[index]
            let inputGradients = vjp(gradient)
            for (inputIndex, inputGradient) in zip(entry.inputs, inputGradients) {
                guard let inputIndex, let inputGradient else { continue }
                if accumulated[inputIndex] == nil { accumulated[inputIndex] = inputGradient } else { accumulated[inputIndex]!.accumulate(inputGradient) }
            }
            if !wanted.contains(index) { accumulated[index] = nil }  // free intermediate gradients early
        }
        return inputs.map { accumulated[$0.tapeLink!.index]?.detached() ?? Tensor(zeros: $0.shape) }
    }
}

/// A tensor's place on a tape. The tape is held weakly: the tape's VJPs capture tensors, and a
/// strong link back would make every recorded graph a reference cycle.
struct TapeLink {
    weak var tape: Tape?
    let index: Int
}

extension Tensor {
    /// Returns `output`, recorded on the tape of the tracked `inputs` with its VJP if any input is
    /// tracked; otherwise returns `output` untouched and drops the VJP.
    ///
    /// `vectorJacobianProduct` receives the gradient of `output` and returns one gradient per input,
    /// each of that input's shape (or `nil` where the input needs none).
    static func recorded(_ output: Tensor, inputs: [Tensor],
                         vectorJacobianProduct: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard let tape = inputs.lazy.compactMap({ $0.tapeLink?.tape }).first, tape.isRecording else { return output }
        let indices: [Int?] = inputs.map { input in
            guard let link = input.tapeLink, link.tape === tape else { return nil }
            return link.index
        }
        var result = output
        result.tapeLink = TapeLink(tape: tape, index: tape.append(Tape.Entry(inputs: indices, vectorJacobianProduct: vectorJacobianProduct, shape: output.shape)))
        return result
    }

    /// Adds `other` (same shape) into this tensor, never recorded (how the tape sums a tensor's
    /// gradients): in place when this tensor's storage is not shared (otherwise on a copy, by
    /// copy-on-write), split across the cores for large tensors.
    mutating func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "Tape: gradient shapes \(shape) and \(other.shape) differ")
        let n = count
        withUnsafeMutableBufferPointer { sum in
            other.withUnsafeBufferPointer { addend in
                Elementwise.map(UnsafePointer(sum.baseAddress!), addend.baseAddress!, sum.baseAddress!, count: n, Elementwise.Addition())
            }
        }
    }
}
