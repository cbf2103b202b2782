import VQData
import VQModels

/// The loop every training command runs: steps until `steps`, progress on standard error, a save
/// (model, training state, pictures) every `saveEvery` steps and at the end. Returns the seconds spent
/// training (picture writing left out).
///
/// In an MPI job (`group` of several processes) every process runs the steps, starting from the
/// leader's state (`Trainer.synchronize`), and only the leader prints and saves; at the end the
/// processes check that they hold the same weights.
func runTrainingLoop<Data: TrainingSet>(_ trainer: inout Trainer<Data>, run: RunFolder, identity: DatasetIdentity,
                                        modelMetadata: [String: String], pictures: inout some RunPictures,
                                        saveEvery: Int, logEvery: Int, group: ProcessGroup = .single) throws -> Double {
    let steps = trainer.options.steps
    try trainer.synchronize()
    // A resumed run's folder holds the save it resumed from.
    group.noteSave(folder: run.path, savedStep: trainer.step > 0 ? trainer.step : nil)
    let progress = ProgressRenderer(totalSteps: steps, firstStep: trainer.step, plainEvery: logEvery)
    let started = ContinuousClock.now
    while trainer.step < steps {
        let report = try trainer.trainStep()
        guard group.isLeader else { continue }
        progress.update(report)
        pictures.record(report)
        if saveEvery > 0 && trainer.step % saveEvery == 0 && trainer.step < steps {
            try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
            try pictures.write(model: trainer.model)
            group.noteSave(folder: run.path, savedStep: trainer.step)
            progress.saved(step: trainer.step, folder: run.path)
        }
    }
    let seconds = (ContinuousClock.now - started).seconds - pictures.writingSeconds
    guard try trainer.processesAgree() else {
        throw CommandFailure("the \(group.size) processes ended with different weights; nothing was saved at the end (a bug: please report it)")
    }
    if group.isLeader {
        try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
        try pictures.write(model: trainer.model)
    }
    return seconds
}
