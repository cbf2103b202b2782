import VQEngine

/// A model or part of one: something holding learnable tensors, and possibly state that is learnt
/// without gradients, under stable names.
///
/// Layers are value types. A training step watches a copy's parameters on a tape, runs the forward
/// pass on that copy, and hands the gradients (in `forEachParameter` order) to an optimizer, which
/// updates the original. Names join with dots, as in PyTorch's `state_dict` (`encoder.conv1.weight`),
/// and are what checkpoints store.
///
/// Buffers are PyTorch's buffers: tensors a layer keeps and updates itself (an EMA codebook and its
/// cluster sizes, usage counters), saved and restored with the parameters but never given to the
/// optimizer. Checkpoints and training states store `namedTensors` and restore them with
/// `loadNamedTensors`, so no model needs a hand-written list of what to save.
public protocol Layer {
    /// Calls `body` with the name and the value of every learnable tensor, always in the same order.
    mutating func forEachParameter(_ body: (_ name: String, _ parameter: inout Tensor) -> Void)

    /// Calls `body` with the name and the value of every buffer (state without gradients), always in
    /// the same order. The default has none.
    mutating func forEachBuffer(_ body: (_ name: String, _ buffer: inout Tensor) -> Void)
}

extension Layer {
    public mutating func forEachBuffer(_ body: (_ name: String, _ buffer: inout Tensor) -> Void) {}

    /// Visits the buffers of a sub-layer, prefixing their names with `name.`.
    public func visitBuffers<Sublayer: Layer>(_ sublayer: inout Sublayer, named name: String,
                                              _ body: (String, inout Tensor) -> Void) {
        sublayer.forEachBuffer { body(name + "." + $0, &$1) }
    }

    /// The buffer names in `forEachBuffer` order.
    public var bufferNames: [String] {
        var copy = self
        var result: [String] = []
        copy.forEachBuffer { name, _ in result.append(name) }
        return result
    }

    /// Every parameter and buffer by name, detached: what a checkpoint stores.
    public var namedTensors: [String: Tensor] {
        var copy = self
        var result: [String: Tensor] = [:]
        copy.forEachParameter { name, parameter in result[name] = parameter.detached() }
        copy.forEachBuffer { name, buffer in result[name] = buffer.detached() }
        return result
    }

    /// Replaces every parameter and buffer by the tensor of the same name in `tensors` (extra names
    /// are ignored). Buffers named in `optionalBuffers` keep their current value when absent (state a
    /// older file did not have). Checks every name and shape first and changes nothing when one is
    /// missing or differs.
    public mutating func loadNamedTensors(_ tensors: [String: Tensor],
                                          optionalBuffers: Set<String> = []) throws(ParameterLoadingError) {
        var copy = self
        var problems: [String] = []
        func check(_ name: String, _ current: Tensor, optional: Bool) {
            guard let loaded = tensors[name] else {
                if !optional { problems.append("\(name) is missing") }
                return
            }
            if loaded.shape != current.shape {
                problems.append("\(name) has shape \(loaded.shape), the model expects \(current.shape)")
            }
        }
        copy.forEachParameter { name, parameter in check(name, parameter, optional: false) }
        copy.forEachBuffer { name, buffer in check(name, buffer, optional: optionalBuffers.contains(name)) }
        guard problems.isEmpty else { throw ParameterLoadingError(problems.joined(separator: "; ")) }
        forEachParameter { name, parameter in parameter = tensors[name]!.detached() }
        forEachBuffer { name, buffer in if let loaded = tensors[name] { buffer = loaded.detached() } }
    }
}

extension Layer {
    /// Visits the parameters of a sub-layer, prefixing their names with `name.`.
    public func visit<Sublayer: Layer>(_ sublayer: inout Sublayer, named name: String,
                                       _ body: (String, inout Tensor) -> Void) {
        sublayer.forEachParameter { body(name + "." + $0, &$1) }
    }

    /// The parameters in `forEachParameter` order.
    public var parameters: [Tensor] {
        var copy = self
        var result: [Tensor] = []
        copy.forEachParameter { _, parameter in result.append(parameter) }
        return result
    }

    /// The parameter names in `forEachParameter` order.
    public var parameterNames: [String] {
        var copy = self
        var result: [String] = []
        copy.forEachParameter { name, _ in result.append(name) }
        return result
    }

    /// The number of learnable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Replaces every parameter by its watched copy on `tape`, so a forward pass on `self` records
    /// what is needed for the parameters' gradients.
    public mutating func watchParameters(on tape: Tape) {
        forEachParameter { _, parameter in parameter = tape.watch(parameter) }
    }
}

/// `Layer.loadParameters(from:)` found a name missing or a shape different from the layer's.
public struct ParameterLoadingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Layer {
    /// Replaces every parameter by the tensor of the same name in `tensors` (extra names are
    /// ignored, so a file may hold more, such as gradients or optimizer state). Checks every name and
    /// shape first and changes nothing when one is missing or differs.
    public mutating func loadParameters(from tensors: [String: Tensor]) throws(ParameterLoadingError) {
        var copy = self
        var problems: [String] = []
        copy.forEachParameter { name, parameter in
            guard let loaded = tensors[name] else { problems.append("\(name) is missing"); return }
            if loaded.shape != parameter.shape {
                problems.append("\(name) has shape \(loaded.shape), the layer expects \(parameter.shape)")
            }
        }
        guard problems.isEmpty else {
            throw ParameterLoadingError("loadParameters: " + problems.joined(separator: "; "))
        }
        forEachParameter { name, parameter in parameter = tensors[name]!.detached() }
    }
}
