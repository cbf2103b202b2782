/// The pictures a training run keeps in its folder, redrawn at every save: `TrainingPictures` for
/// images, `AudioTrainingPictures` for speech.
public protocol RunPictures {
    /// Records one step's losses (for the loss curves).
    mutating func record(_ report: TrainingStepReport)
    /// Writes every picture for `model` and the steps recorded so far.
    mutating func write(model: VQVAE) throws
    /// Wall-clock seconds spent in `write`, so a caller timing training can leave them out.
    var writingSeconds: Double { get }
}

extension TrainingPictures: RunPictures {}
