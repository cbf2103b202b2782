import VQEngine

/// A model or part of one: something holding learnable tensors under stable names.
///
/// Layers are value types. A training step watches a copy's parameters on a tape, runs the forward
/// pass on that copy, and hands the gradients (in `forEachParameter` order) to an optimizer, which
/// updates the original. Names join with dots, as in PyTorch's `state_dict` (`encoder.conv1.weight`),
/// and are what checkpoints store.
public protocol Layer {
    /// Calls `body` with the name and the value of every learnable tensor, always in the same order.
    mutating func forEachParameter(_ body: (_ name: String, _ parameter: inout Tensor) -> Void)
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
