import VQData
import VQModels

/// The loop every training command runs: steps until `steps`, progress on standard error, a save
/// (model, training state, pictures) every `saveEvery` steps and at the end. Returns the seconds spent
/// training (picture writing left out).
func runTrainingLoop<Data: TrainingSet>(_ trainer: inout Trainer<Data>, run: RunFolder, identity: DatasetIdentity,
                                        modelMetadata: [String: String], pictures: inout some RunPictures,
                                        saveEvery: Int, logEvery: Int) throws -> Double {
    let steps = trainer.options.steps
    let progress = ProgressRenderer(totalSteps: steps, firstStep: trainer.step, plainEvery: logEvery)
    let started = ContinuousClock.now
    while trainer.step < steps {
        let report = try trainer.trainStep()
        progress.update(report)
        pictures.record(report)
        if saveEvery > 0 && trainer.step % saveEvery == 0 && trainer.step < steps {
            try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
            try pictures.write(model: trainer.model)
            progress.saved(step: trainer.step, folder: run.path)
        }
    }
    let seconds = (ContinuousClock.now - started).seconds - pictures.writingSeconds
    try trainer.save(to: run, identity: identity, modelMetadata: modelMetadata)
    try pictures.write(model: trainer.model)
    return seconds
}
