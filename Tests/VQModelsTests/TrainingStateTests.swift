import Foundation
import Testing
import VQData
import VQEngine
import VQModels
import VQNN

/// Saving the training state after k steps and resuming in a fresh trainer ends bit for bit where an
/// uninterrupted run ends.
@Suite struct TrainingStateTests {
    static let dataset = ProceduralShapes.dataset(count: 24, size: 8, seed: 5)
    static let identity = DatasetIdentity(name: "shapes", dataset: dataset)

    /// Every quantizer feature with state: k-means++ start, dead-code restarts by patience and by usage.
    static func configuration(ema: Bool) -> VQVAEConfiguration {
        VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1, embeddingDim: 2,
                           quantizer: QuantizerConfiguration(kind: ema ? .ema : .vq, codebookSize: 8, kMeansBatches: 2,
                                                             deadCodes: DeadCodePolicy(patience: 2, minimumUsage: 0.5)))
    }

    /// Every option with state: cosine schedule, clipping, AdamW, commitment warm-up.
    static let options = TrainingOptions(steps: 8, batchSize: 4, seed: 21, learningRate: 2e-3, cosineWarmupSteps: 2,
                                         weightDecay: 0.01, gradientClipNorm: 5, commitmentWarmupSteps: 3)

    static func freshTrainer(ema: Bool) -> Trainer<ImageDataset> {
        var generator = RandomGenerator(seed: options.seed)
        var trainer = Trainer(model: VQVAE(configuration(ema: ema), generator: &generator), dataset: dataset, options: options)
        trainer.initializeQuantizer()
        return trainer
    }

    /// The bits of every tensor of a training state: the model (with EMA buffers) and Adam's moments.
    static func tensorBits(_ state: SafeTensors) -> [String: [UInt32]] {
        state.tensors.mapValues { $0.scalars.map(\.bitPattern) }
    }

    @Test(arguments: [false, true])
    func resumedRunMatchesUninterruptedRunExactly(ema: Bool) throws {
        var uninterrupted = Self.freshTrainer(ema: ema)
        while uninterrupted.step < Self.options.steps { _ = try uninterrupted.trainStep() }

        for stopAt in [1, 3, 5] {
            var first = Self.freshTrainer(ema: ema)
            while first.step < stopAt { _ = try first.trainStep() }
            let bytes = first.trainingState(dataset: Self.identity).encoded()
            var resumed = try Trainer(resuming: SafeTensors(parsing: bytes, path: "state"), path: "state",
                                      dataset: Self.dataset, identity: Self.identity)
            #expect(resumed.step == stopAt)
            #expect(resumed.generator == first.generator)
            #expect(resumed.model.configuration == Self.configuration(ema: ema) && resumed.options == Self.options)
            #expect(Self.tensorBits(resumed.trainingState(dataset: Self.identity)) == Self.tensorBits(first.trainingState(dataset: Self.identity)))
            while resumed.step < Self.options.steps { _ = try resumed.trainStep() }

            #expect(TrainerTests.bits(resumed.model) == TrainerTests.bits(uninterrupted.model), "stopped at \(stopAt)")
            let (a, b) = (resumed.trainingState(dataset: Self.identity), uninterrupted.trainingState(dataset: Self.identity))
            #expect(Self.tensorBits(a) == Self.tensorBits(b), "stopped at \(stopAt)")
            #expect(a.metadata == b.metadata, "stopped at \(stopAt)")
            #expect(resumed.optimizer.beta1Power.bitPattern == uninterrupted.optimizer.beta1Power.bitPattern)
            #expect(resumed.optimizer.beta2Power.bitPattern == uninterrupted.optimizer.beta2Power.bitPattern)
            #expect(resumed.optimizer.step == 8)
            #expect(resumed.generator == uninterrupted.generator)
        }
        // The comparison is not vacuous: the model moved, and Adam holds one moment pair per parameter.
        let state = uninterrupted.trainingState(dataset: Self.identity)
        #expect(TrainerTests.bits(uninterrupted.model) != TrainerTests.bits(Self.freshTrainer(ema: ema).model))
        let names = uninterrupted.model.parameterNames
        #expect(Set(state.tensors.keys.filter { $0.hasPrefix("adam.first_moment.") }) == Set(names.map { "adam.first_moment." + $0 }))
        #expect(Set(state.tensors.keys.filter { $0.hasPrefix("adam.second_moment.") }) == Set(names.map { "adam.second_moment." + $0 }))
        #expect((state.tensors["model.quantizer.ema.cluster_sizes"] != nil) == ema)
        #expect(state.tensors["model.quantizer.dead_codes.steps_unused"] != nil && state.tensors["model.quantizer.dead_codes.average_usage"] != nil)
        #expect(uninterrupted.model.restartCount > 0)  // the restarts really happened, so their state mattered
        #expect(state.metadata["step"] == "8" && state.metadata["adam.step"] == "8")
        #expect(state.metadata["format"] == "vqvae-training-state/2")
    }

    @Test func resumeTakesTheSavedSettingsAndRefusesOtherDataByName() throws {
        var trainer = Self.freshTrainer(ema: false)
        _ = try trainer.trainStep()
        let state = trainer.trainingState(dataset: Self.identity)
        let path = "run/training_state.safetensors"
        func resume(dataset: ImageDataset = Self.dataset, _ state: SafeTensors = state, path: String = path) throws -> Trainer<ImageDataset> {
            try Trainer(resuming: state, path: path, dataset: dataset, identity: DatasetIdentity(name: "other", dataset: dataset))
        }
        let resumed = try resume()  // the same images under another name resume, with the saved settings
        #expect(resumed.options == Self.options && resumed.model.configuration == Self.configuration(ema: false))

        // What `vqvae train --resume RUN --steps 9` compares: each typed setting against the saved one.
        let saved = try SavedRun(state: state, path: path)
        #expect(saved.step == 1 && saved.dataset == Self.identity)
        #expect(saved.differences(configuration: Self.configuration(ema: false), options: Self.options) == nil)
        var longer = Self.options
        longer.steps = 9
        let cosine = "steps saved 8, now 9 (the cosine schedule decays over the saved total, so it cannot change)"
        #expect(saved.differences(configuration: Self.configuration(ema: false), options: longer) == cosine)
        #expect(saved.differences(configuration: Self.configuration(ema: true), options: longer)
                == "quantizer.kind saved vq, now ema; " + cosine)
        #expect(throws: DataError(path, "cannot train to another number of steps: " + cosine)) {
            _ = try Trainer(resuming: state, path: path, dataset: Self.dataset, identity: Self.identity, steps: 9)
        }

        let other = ProceduralShapes.dataset(count: 24, size: 8, seed: 6)
        do {
            _ = try resume(dataset: other)
            Issue.record("other images were accepted")
        } catch let error as DataError {
            #expect(error.description.contains("the run trained on shapes (24 images, 1x8x8, fingerprint"))
            #expect(error.description.hasSuffix("resume with the same --data"))
        }
        var garbled = state
        garbled.metadata["random_generator"] = "xyz"
        #expect(throws: DataError("s", "metadata random_generator is unreadable")) { _ = try resume(garbled, path: "s") }
        garbled = state
        garbled.tensors["adam.second_moment.encoder.conv1.bias"] = nil
        #expect(throws: DataError("s", "adam.second_moment.encoder.conv1.bias is missing")) { _ = try resume(garbled, path: "s") }
        garbled = state
        garbled.tensors["model.quantizer.dead_codes.average_usage"] = nil
        #expect(throws: DataError("s", "the saved model does not fit its configuration: quantizer.dead_codes.average_usage is missing")) {
            _ = try resume(garbled, path: "s")
        }
        garbled = state
        garbled.metadata["training_options"] = "{}"
        #expect(throws: DataError("s", "metadata training_options is unreadable")) { _ = try resume(garbled, path: "s") }
        let model = try SafeTensors(parsing: trainer.model.checkpoint().encoded(), path: "m")
        #expect(throws: DataError("m", "not a training state (metadata format is 'vqvae-model/2', expected 'vqvae-training-state/2')")) {
            _ = try resume(model, path: "m")
        }
        garbled = state
        garbled.metadata["format"] = "vqvae-training-state/1"
        #expect(throws: DataError("s", "the run was saved by an earlier version of vqvae (vqvae-training-state/1) and cannot be resumed; its model.safetensors still loads")) {
            _ = try resume(garbled, path: "s")
        }
    }

    /// With a constant learning rate nothing depends on the total of steps, so a run resumed with
    /// another total ends where a run started with that total ends, bit for bit: a finished run trains
    /// further, an unfinished one stops sooner; never below the steps already trained.
    @Test(arguments: [false, true])
    func resumedWithOtherStepsEndsWhereARunOfThoseStepsEnds(ema: Bool) throws {
        var constant = Self.options
        constant.cosineWarmupSteps = nil
        func trainer(steps: Int) -> Trainer<ImageDataset> {
            var options = constant
            options.steps = steps
            var generator = RandomGenerator(seed: options.seed)
            var trainer = Trainer(model: VQVAE(Self.configuration(ema: ema), generator: &generator), dataset: Self.dataset, options: options)
            trainer.initializeQuantizer()
            return trainer
        }
        var reference = trainer(steps: 7)
        while reference.step < 7 { _ = try reference.trainStep() }
        for (savedSteps, stopAt) in [(4, 4), (9, 3)] {  // finished, then trained further; unfinished, stopped sooner
            var first = trainer(steps: savedSteps)
            while first.step < stopAt { _ = try first.trainStep() }
            let state = try SafeTensors(parsing: first.trainingState(dataset: Self.identity).encoded(), path: "s")
            #expect(try SavedRun(state: state, path: "s").stepsProblem(7) == nil)
            var resumed = try Trainer(resuming: state, path: "s", dataset: Self.dataset, identity: Self.identity, steps: 7)
            #expect(resumed.options.steps == 7 && resumed.step == stopAt)
            while resumed.step < resumed.options.steps { _ = try resumed.trainStep() }
            #expect(TrainerTests.bits(resumed.model) == TrainerTests.bits(reference.model), "saved \(savedSteps), stopped at \(stopAt)")
            #expect(Self.tensorBits(resumed.trainingState(dataset: Self.identity)) == Self.tensorBits(reference.trainingState(dataset: Self.identity)))
            #expect(resumed.trainingState(dataset: Self.identity).metadata == reference.trainingState(dataset: Self.identity).metadata)
            #expect(throws: DataError("s", "cannot train to another number of steps: steps saved \(savedSteps), now 2, fewer than the \(stopAt) already trained")) {
                _ = try Trainer(resuming: state, path: "s", dataset: Self.dataset, identity: Self.identity, steps: 2)
            }
        }
    }

    @Test func saveWritesAModelThatLoadsByItselfAndAStateWithTheSameStep() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/vqvae-state-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = RunFolder(folder)
        #expect(throws: DataError(run.trainingStatePath, "no training state to resume from (the run saved none yet, or this is not a run folder)")) {
            _ = try Trainer(resuming: run, dataset: Self.dataset, identity: Self.identity)
        }
        var trainer = Self.freshTrainer(ema: false)
        for _ in 0..<2 { _ = try trainer.trainStep() }
        _ = FileManager.default.createFile(atPath: run.modelPath + ".partial-1", contents: Data([1, 2]))
        try trainer.save(to: run, identity: Self.identity, modelMetadata: ["seed": "21"])
        let model = try VQVAE(contentsOf: run.modelPath)
        #expect(model.parameters.map { $0.scalars.map(\.bitPattern) } == TrainerTests.bits(trainer.model))
        let modelFile = try SafeTensors(contentsOf: run.modelPath)
        let stateFile = try SafeTensors(contentsOf: run.trainingStatePath)
        #expect(modelFile.metadata["step"] == "2" && stateFile.metadata["step"] == "2" && modelFile.metadata["seed"] == "21")
        #expect(modelFile.tensors.keys.allSatisfy { !$0.hasPrefix("adam.") })
        let resumed = try Trainer(resuming: run, dataset: Self.dataset, identity: Self.identity)
        #expect(resumed.step == 2)
        // A kill between the two renames of the next save leaves the state one save ahead of the model:
        // the model file still loads, and the resume starts from the state alone.
        _ = try trainer.trainStep()
        try trainer.trainingState(dataset: Self.identity).write(to: run.trainingStatePath)
        #expect(try SafeTensors(contentsOf: run.modelPath).metadata["step"] == "2")
        _ = try VQVAE(contentsOf: run.modelPath)
        var ahead = try Trainer(resuming: run, dataset: Self.dataset, identity: Self.identity)
        #expect(ahead.step == 3)
        while ahead.step < Self.options.steps { _ = try ahead.trainStep() }
        while trainer.step < Self.options.steps { _ = try trainer.trainStep() }
        #expect(TrainerTests.bits(ahead.model) == TrainerTests.bits(trainer.model))
        run.removeAbandonedTemporaryFiles()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["model.safetensors", "training_state.safetensors"])
    }
}
