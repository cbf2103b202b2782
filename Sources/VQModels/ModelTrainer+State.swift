import Foundation
import VQData
import VQEngine
import VQNN

/// The part of a training state every `ModelTrainer` has, whatever its model.
///
/// Tensors:
/// - `model.<name>`: every parameter and buffer of the model (`Layer.namedTensors`);
/// - `adam.first_moment.<parameter>`, `adam.second_moment.<parameter>`: Adam's m and v for every
///   parameter (absent before the first update).
///
/// `__metadata__`:
/// - `step`: updates completed; `adam.step`, `adam.beta1_power`, `adam.beta2_power`: the optimizer's
///   step and its running products β₁ᵗ, β₂ᵗ as the 16 hexadecimal digits of their IEEE-754 `Double` bits;
/// - `random_generator`: the trainer's generator as four 16-digit hexadecimal words.
///
/// Every number is stored exactly, so a resumed run continues bit for bit.
extension ModelTrainer {
    /// The model's tensors, the optimizer's moments and the step, generator and optimizer counters.
    func stateTensors() -> (tensors: [String: Tensor], metadata: [String: String]) {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in model.namedTensors { tensors["model." + name] = tensor }
        if !optimizer.firstMoments.isEmpty {
            for (index, name) in model.parameterNames.enumerated() {
                tensors["adam.first_moment." + name] = optimizer.firstMoments[index]
                tensors["adam.second_moment." + name] = optimizer.secondMoments[index]
            }
        }
        let state = generator.state
        let metadata = [
            "step": "\(step)",
            "random_generator": [state.0, state.1, state.2, state.3].map(hexadecimal).joined(separator: " "),
            "adam.step": "\(optimizer.step)",
            "adam.beta1_power": hexadecimal(optimizer.beta1Power.bitPattern),
            "adam.beta2_power": hexadecimal(optimizer.beta2Power.bitPattern),
        ]
        return (tensors, metadata)
    }

    /// Puts back what `stateTensors` saved into this trainer, whose model has the saved configuration.
    /// Throws `DataError(path, …)` naming every missing or misshapen tensor and unreadable field.
    mutating func restoreState(from state: SafeTensors, path: String) throws {
        let metadata = state.metadata
        func field(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw DataError(path, "metadata \(key) is missing") }
            return value
        }
        var modelTensors: [String: Tensor] = [:]
        for (name, tensor) in state.tensors where name.hasPrefix("model.") { modelTensors[String(name.dropFirst(6))] = tensor }
        do { try model.loadNamedTensors(modelTensors) } catch {
            throw DataError(path, "the saved model does not fit its configuration: \(error.description)")
        }
        guard let step = Int(try field("step")), let adamStep = Int(try field("adam.step")), step >= 0, adamStep == step,
              let beta1Bits = UInt64(try field("adam.beta1_power"), radix: 16),
              let beta2Bits = UInt64(try field("adam.beta2_power"), radix: 16) else {
            throw DataError(path, "metadata step, adam.step, adam.beta1_power or adam.beta2_power is unreadable or inconsistent")
        }
        var firstMoments: [Tensor] = [], secondMoments: [Tensor] = []
        if step > 0 {
            var problems: [String] = []
            func moment(_ name: String, shape: [Int]) -> Tensor {
                guard let stored = state.tensors[name] else { problems.append("\(name) is missing"); return Tensor(zeros: shape) }
                if stored.shape != shape { problems.append("\(name) has shape \(stored.shape), the parameter \(shape)") }
                return stored
            }
            for (name, parameter) in zip(model.parameterNames, model.parameters) {
                firstMoments.append(moment("adam.first_moment." + name, shape: parameter.shape))
                secondMoments.append(moment("adam.second_moment." + name, shape: parameter.shape))
            }
            if !problems.isEmpty { throw DataError(path, problems.joined(separator: "; ")) }
        }
        optimizer.restore(step: step, beta1Power: Double(bitPattern: beta1Bits), beta2Power: Double(bitPattern: beta2Bits),
                          firstMoments: firstMoments, secondMoments: secondMoments)
        let words = try field("random_generator").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words != [0, 0, 0, 0] else { throw DataError(path, "metadata random_generator is unreadable") }
        generator.state = (words[0], words[1], words[2], words[3])
    }
}

/// 16 hexadecimal digits.
func hexadecimal(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// JSON with sorted keys, so equal values give equal text.
func canonicalJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// nil when two JSON objects are the same; otherwise "key saved A, now B" for every differing key
/// (nested objects compared key by key, named with dots: `quantizer.kind`).
func differingFields(saved: String, current: String) -> String? {
    guard saved != current else { return nil }
    let savedObject = (try? JSONSerialization.jsonObject(with: Data(saved.utf8))) as? [String: Any] ?? [:]
    let currentObject = (try? JSONSerialization.jsonObject(with: Data(current.utf8))) as? [String: Any] ?? [:]
    let differences = differences(savedObject, currentObject, prefix: "")
    return differences.isEmpty ? "saved \(saved), now \(current)" : differences.joined(separator: "; ")
}

private func differences(_ saved: [String: Any], _ current: [String: Any], prefix: String) -> [String] {
    Set(saved.keys).union(current.keys).sorted().flatMap { key -> [String] in
        if let a = saved[key] as? [String: Any], let b = current[key] as? [String: Any] {
            return differences(a, b, prefix: prefix + key + ".")
        }
        let (a, b) = (saved[key].map(describeJSON) ?? "none", current[key].map(describeJSON) ?? "none")
        return a == b ? [] : ["\(prefix)\(key) saved \(a), now \(b)"]
    }
}

private func describeJSON(_ value: Any) -> String {
    if let array = value as? [Any] { return array.map(describeJSON).joined(separator: ",") }
    if let object = value as? [String: Any] { return canonicalJSONObject(object) }
    return "\(value)"
}

private func canonicalJSONObject(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}
