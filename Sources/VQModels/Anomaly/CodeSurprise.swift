#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VQEngine

extension CodePrior {
    /// The surprise of every code of `batch` under the prior: −log₂ p(code | the codes before it, the
    /// label), one value per code in the batch's row-major (N, H, W) order, in bits. Their sum over a
    /// grid is −log₂ p(grid); their mean is the grid's bits per code.
    public func surprisalBits(for batch: CodeBatch) -> [Double] {
        let logits = self.logits(for: batch)
        let (k, positions) = (codebookSize, batch.height * batch.width)
        precondition(logits.shape == [batch.count, k, batch.height, batch.width],
                     "surprisalBits: logits \(logits.shape) for \(batch.count) grids of \(batch.height)x\(batch.width), K \(k)")
        var bits = [Double](repeating: 0, count: batch.codes.count)
        logits.withUnsafeBufferPointer { values in
            for item in 0..<batch.count {
                let base = item * k * positions
                for position in 0..<positions {
                    var maximum = -Double.infinity
                    for code in 0..<k { maximum = Swift.max(maximum, Double(values[base + code * positions + position])) }
                    var sum = 0.0
                    for code in 0..<k { sum += exp(Double(values[base + code * positions + position]) - maximum) }
                    let target = Int(batch.codes[item * positions + position])
                    let logProbability = Double(values[base + target * positions + position]) - maximum - log(sum)
                    bits[item * positions + position] = -logProbability / 0.6931471805599453
                }
            }
        }
        return bits
    }
}
