/// The learning rate as a function of the step (counted from 0).
public enum LearningRateSchedule: Equatable, Sendable {
    /// The same rate at every step.
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `minimum` at `totalSteps`
    /// (and `minimum` after it).
    case cosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0)

    /// The rate for the update made at `step` (0 for the first update).
    public func learningRate(at step: Int) -> Float {
        switch self {
        case .constant(let rate):
            return rate
        case let .cosine(peak, warmupSteps, totalSteps, minimum):
            if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
            let decaySteps = Float(max(totalSteps - warmupSteps, 1))
            let progress: Float = min(Float(step - warmupSteps) / decaySteps, 1)
            let factor: Float = 0.5 * (1 + cosineOf(Float.pi * progress))
            return minimum + (peak - minimum) * factor
        }
    }
}

#if canImport(Glibc)
import Glibc
private func cosineOf(_ x: Float) -> Float { cosf(x) }
#elseif canImport(Darwin)
import Darwin
private func cosineOf(_ x: Float) -> Float { cosf(x) }
#endif
