#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine
import VQNN

/// How much of an utterance's content its discrete units carry: a linear classifier of labels (the
/// spoken digit) from bags of units, and the mutual information between units and labels.
///
/// A clip's features are the square roots of its units' frequencies (a K-vector summing to 1 before
/// the root: the Hellinger embedding, which keeps rare units visible). The classifier is softmax
/// regression, logits = features·W + b, trained full-batch with Adam (lr 0.05, 300 steps, weight
/// decay 1e-4, W and b from zero: deterministic) on the training clips, and scored on the test clips.
public struct UnitClassifier {
    public let codebookSize: Int
    public let classes: Int
    /// (K, classes) and (classes).
    var weight: Tensor
    var bias: Tensor

    /// The Hellinger features of each clip's units, (clips, K).
    static func features(_ units: [[Int32]], codebookSize k: Int) -> Tensor {
        var values = [Float](repeating: 0, count: units.count * k)
        for (row, clip) in units.enumerated() where !clip.isEmpty {
            for unit in clip { values[row * k + Int(unit)] += 1 }
            for column in 0..<k { values[row * k + column] = (values[row * k + column] / Float(clip.count)).squareRoot() }
        }
        return Tensor(shape: [units.count, k], scalars: values)
    }

    /// Trains on the units of each training clip and its label (0..<classes).
    public init(units: [[Int32]], labels: [Int32], codebookSize: Int, classes: Int, steps: Int = 300) {
        precondition(units.count == labels.count && !units.isEmpty, "UnitClassifier: \(units.count) clips, \(labels.count) labels")
        self.codebookSize = codebookSize
        self.classes = classes
        weight = Tensor(zeros: [codebookSize, classes])
        bias = Tensor(zeros: [classes])
        let features = UnitClassifier.features(units, codebookSize: codebookSize)
        var optimizer = Adam.adamW(learningRate: 0.05, weightDecay: 1e-4)
        for _ in 0..<steps {
            let tape = Tape()
            var tracked = self
            tracked.weight = tape.watch(weight)
            tracked.bias = tape.watch(bias)
            let loss = Tensor.crossEntropy(logits: tracked.logits(features), targets: labels)
            let gradients = tape.gradients(of: loss, withRespectTo: [tracked.weight, tracked.bias])
            optimizer.update(&self, gradients: gradients)
        }
    }

    func logits(_ features: Tensor) -> Tensor { features.matmul(weight) + bias }

    /// The predicted label of each clip's units.
    public func predict(_ units: [[Int32]]) -> [Int32] {
        logits(UnitClassifier.features(units, codebookSize: codebookSize)).argmax(alongAxis: 1).map(Int32.init)
    }

    /// The fraction of clips whose predicted label is `labels`'.
    public func accuracy(_ units: [[Int32]], labels: [Int32]) -> Double {
        let predicted = predict(units)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }

    /// I(U; Y) in bits between a unit U drawn from every position of every clip and the label Y of its
    /// clip, from the joint frequencies.
    public static func mutualInformation(_ units: [[Int32]], labels: [Int32], codebookSize k: Int, classes: Int) -> Double {
        var joint = [Double](repeating: 0, count: k * classes)
        var total = 0.0
        for (clip, label) in zip(units, labels) {
            for unit in clip { joint[Int(unit) * classes + Int(label)] += 1; total += 1 }
        }
        guard total > 0 else { return 0 }
        var unitMarginal = [Double](repeating: 0, count: k), labelMarginal = [Double](repeating: 0, count: classes)
        for u in 0..<k { for y in 0..<classes { unitMarginal[u] += joint[u * classes + y]; labelMarginal[y] += joint[u * classes + y] } }
        var information = 0.0
        for u in 0..<k { for y in 0..<classes where joint[u * classes + y] > 0 {
            let p = joint[u * classes + y] / total
            information += p * log2(p / (unitMarginal[u] / total * labelMarginal[y] / total))
        } }
        return information
    }
}

extension UnitClassifier: Layer {
    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("weight", &weight)
        body("bias", &bias)
    }
}
