/// The three losses of every training step so far, in step order (what `loss_curves.png` draws).
public struct LossHistory: Equatable, Sendable {
    /// Step numbers, from 1.
    public private(set) var steps: [Int] = []
    public private(set) var reconstruction: [Float] = []
    public private(set) var codebook: [Float] = []
    /// ‖z_e − sg[e]‖², before β.
    public private(set) var commitment: [Float] = []

    public init() {}

    /// Appends one step's losses.
    public mutating func record(_ report: TrainingStepReport) {
        steps.append(report.step)
        reconstruction.append(report.reconstructionLoss)
        codebook.append(report.codebookLoss)
        commitment.append(report.commitmentLoss)
    }
}
