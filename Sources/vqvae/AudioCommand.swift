import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct AudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio", abstract: "Speech: train a VQ-VAE on raw audio, reconstruct, convert voices, encode units, evaluate.",
        subcommands: [AudioTrainCommand.self, AudioReconstructCommand.self, AudioConvertCommand.self, AudioEncodeCommand.self,
                      AudioEvalCommand.self])
}

/// Sizes of the speech model.
enum SpeechPreset: String, ExpressibleByArgument, CaseIterable {
    case speech
    case tiny
}

struct AudioTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the speech VQ-VAE on a folder of WAVs and evaluate it on the test split.",
        discussion: """
            The default recipe (VQVAEConfiguration.speech, TrainingOptions.speech): raw waveform at the files' \
            rate, 64x downsampling, K 512 codes with dead-code restarts, residual blocks at every resolution, \
            a decoder conditioned on the speaker, a speaker classifier trained against the encoder (weight \
            0.1), every clip scaled to peak 0.5 (outputs scaled back), waveform L1 + multi-resolution STFT \
            loss, batches of 32 windows of 2048 samples, 10000 steps (about 45 minutes on FSDD on two \
            cores). A folder of FSDD-named files (DIGIT_SPEAKER_TAKE.wav) gives digits, speakers and the \
            takes-0-4 test split; \
            other folders take labels from sub-folders. The run folder gets model.safetensors, \
            training_state.safetensors, spectrograms.png and loss_curves.png at every save; --resume RUN \
            alone continues a run with its saved options, and --resume RUN --steps N trains it to N steps in \
            all (further, once finished). Under mpirun -np N the N processes train one \
            model, each on its share of every batch; rank 0 prints and writes.
            """)

    @Option(help: "A folder of WAV files (FSDD names, or class sub-folders, or train/ and test/); required for a new run.") var data: String?
    @Option(help: ArgumentHelp("Run folder (default: runs/audio, or the next free runs/audio-N).", valueName: "run")) var out: String?
    @Option(help: ArgumentHelp("Continue the run in this folder with its saved options.", valueName: "run")) var resume: String?
    @Flag(help: "Start a new run even if --out holds one.") var overwrite = false
    @Option(help: "Model size: speech (the recipe) or tiny (hidden 16, K 32, /16: the workflow in seconds) (default: speech).")
    var preset: SpeechPreset?
    @Option(help: "Channels of the main path (default: the preset's, 128).") var hidden: Int?
    @Option(help: "Residual blocks after each up- and downsampling layer (default: the preset's).") var stageBlocks: Int?
    @Option(help: "Weight of the waveform L1 term beside the STFT loss; 0: spectral loss only (default: the preset's).") var waveformWeight: Float?
    @Flag(help: "Remove each clip's mean from the encoder's output before quantizing (speaker-independent codes).") var centerLatents = false
    @Option(help: "Weight of the STFT loss's log-mel term; 0: none (default: the preset's, 1).") var melWeight: Float?
    @Option(help: "Weight of a speaker classifier trained against the encoder, so the codes lose who spoke; 0: none (default: the preset's).")
    var speakerAdversary: Float?
    @Option(help: "Harmonics of the pitch source (F0 per code beside the codes, its harmonics as carriers for the decoder); 0: none (default: the preset's).")
    var harmonics: Int?
    @Option(help: "Scale every clip so its largest sample is this level before the model sees it (outputs are scaled back); 0: clips as they are (default: the preset's).")
    var clipPeak: Float?
    @Option(help: "Training steps in all (default: 10000).") var steps: Int?
    @Option(help: "Windows per batch (default: 32).") var batch: Int?
    @Option(help: "Samples per training window (default: 2048).") var window: Int?
    @Option(help: "The model's sample rate; clips are resampled to it (default: the files' own rate, which must then be one).") var sampleRate: Int?
    @Option(help: "Adam learning rate (default: 3e-4).") var learningRate: Float?
    @Option(help: "Random seed (default: 0).") var seed: UInt64?
    @Flag(help: "Do not condition the decoder on the speaker (default: conditioned when the data names speakers).") var unconditional = false
    @OptionGroup(title: "Quantizer") var quantizerOptions: QuantizerOptions
    @Option(help: "Save every this many steps; 0: only at the end.") var saveEvery = 1000
    @Option(help: "Print a plain progress line every this many steps when standard error is not a terminal.") var logEvery = 100
    @Flag(help: "End with one JSON line of test metrics on standard output.") var json = false

    func validate() throws {
        guard steps ?? 1 >= 1, batch ?? 1 >= 1, window ?? 1 >= 1 else { throw ValidationError("--steps, --batch and --window must be at least 1") }
        if let sampleRate, sampleRate < 1000 || sampleRate > 192_000 { throw ValidationError("--sample-rate must be between 1000 and 192000") }
        if resume != nil && (out != nil || overwrite) { throw ValidationError("--resume continues the run in its own folder; drop --out and --overwrite") }
        if resume == nil && data == nil { throw ValidationError("--data is required for a new run") }
        if let harmonics, !(0...64).contains(harmonics) { throw ValidationError("--harmonics must be between 0 (none) and 64") }
        if let clipPeak, !(clipPeak >= 0 && clipPeak <= 1) { throw ValidationError("--clip-peak must be between 0 (off) and 1") }
    }

    func run() throws { try failingWithOneLine(train) }

    /// The settings the typed options give on top of `base`.
    func settings(over base: (configuration: VQVAEConfiguration, options: TrainingOptions))
        throws -> (configuration: VQVAEConfiguration, options: TrainingOptions) {
        var configuration = base.configuration
        if let preset {
            let rate = base.options.sampleRate ?? 8000, speakers = configuration.conditionClasses
            // The preset's sizes (every field of its configuration), with the base's quantizer (at the
            // preset's K) and loss.
            var sized: VQVAEConfiguration = preset == .tiny ? .tinySpeech(sampleRate: rate, speakers: speakers)
                                                            : .speech(sampleRate: rate, speakers: speakers)
            let codebookSize = sized.numEmbeddings
            sized.quantizer = configuration.quantizer
            if sized.quantizer.kind != .fsq { sized.quantizer.codebookSize = codebookSize }
            sized.reconstructionLoss = configuration.reconstructionLoss
            configuration = sized
        }
        if let hidden { configuration.hiddenChannels = hidden }
        if let stageBlocks { configuration.stageResidualBlocks = stageBlocks }
        if waveformWeight != nil || melWeight != nil, case .waveform(let weight, let resolutions, let mel) = configuration.reconstructionLoss {
            if let melWeight, melWeight < 0 { throw ValidationError("--mel-weight \(melWeight) must not be negative") }
            let rate = sampleRate ?? base.options.sampleRate ?? 8000
            configuration.reconstructionLoss = .waveform(
                waveformWeight: waveformWeight ?? weight, resolutions: resolutions,
                mel: melWeight.map { $0 > 0 ? .init(sampleRate: rate, weight: $0) : nil } ?? mel)
        }
        if centerLatents { configuration.centersLatents = true }
        if let speakerAdversary { configuration.speakerAdversaryWeight = speakerAdversary }
        if let harmonics {
            let rate = sampleRate ?? base.options.sampleRate ?? 8000
            configuration.pitchSource = harmonics > 0 ? PitchSourceConfiguration(harmonics: harmonics, sampleRate: rate) : nil
        }
        if let clipPeak { configuration.clipPeak = clipPeak > 0 ? clipPeak : nil }
        if let problems = configuration.problems { throw ValidationError(problems) }
        configuration = try quantizerOptions.applied(to: configuration)
        var options = base.options
        if let steps { options.steps = steps }
        if let batch { options.batchSize = batch }
        if let window { options.windowLength = window }
        if let learningRate { options.learningRate = learningRate }
        if let seed { options.seed = seed }
        if let sampleRate { options.sampleRate = sampleRate }
        return (configuration, options)
    }

    private func train() throws {
        let group = try ProcessGroup.join(command: "audio train")
        try group.labellingErrors { try train(group) }
    }

    private func train(_ group: ProcessGroup) throws {
        let session = try resume != nil ? resumed(group) : started(group)
        var trainer = session.trainer
        let (train, test, run, info) = (session.train, session.test, session.run, session.info)
        let speakerMap = trainer.model.configuration.conditionClasses > 0 ? try info.speakerMap(for: test, source: session.name) : nil
        var pictures = AudioTrainingPictures(folder: run.path, testSet: test, speakerMap: speakerMap, speakerNames: info.speakers)
        let metadata = info.metadata.merging(["seed": "\(trainer.options.seed)", "data": session.name]) { $1 }
        let seconds = try runTrainingLoop(&trainer, run: run, identity: session.identity, modelMetadata: metadata,
                                          pictures: &pictures, saveEvery: saveEvery, logEvery: logEvery, group: group)
        guard group.isLeader else { return group.finish() }
        defer { group.finish() }
        let report = trainer.model.evaluateAudio(on: test, training: train.dataset, speakerMap: speakerMap)
        writeError("saved \(run.modelPath) after \(format(seconds, 1)) s; \(describe(report))\n")
        writeError("pictures: \(run.path)/\(AudioTrainingPictures.spectrogramsFile), \(TrainingPictures.lossCurvesFile)\n")
        if json {
            // The mean reconstruction loss of the last 100 steps run here: the figure set beside audio_ref.py
            // train's `train_loss.reconstruction` (loss at equal steps).
            let last = pictures.history.reconstruction.suffix(100)
            let meanLoss = last.isEmpty ? 0 : last.reduce(0, +) / Float(last.count)
            print(jsonLine(report, extra: ["steps": "\(trainer.options.steps)", "train_seconds": format(seconds, 1),
                                           "train_reconstruction_loss_last_100": "\(meanLoss)", "processes": "\(group.size)"]))
        }
    }

    typealias Session = (trainer: Trainer<AudioWindowSet>, train: AudioWindowSet, test: AudioDataset, run: RunFolder,
                         info: AudioModelInfo, identity: DatasetIdentity, name: String)

    /// runs/audio, or the first of runs/audio-2, -3, … holding no run.
    static func firstFreeRunFolder() -> String {
        func holdsRun(_ folder: String) -> Bool { FileIO.exists(RunFolder(folder).modelPath) || FileIO.exists(RunFolder(folder).trainingStatePath) }
        if !holdsRun("runs/audio") { return "runs/audio" }
        var number = 2
        while holdsRun("runs/audio-\(number)") { number += 1 }
        return "runs/audio-\(number)"
    }

    private func started(_ group: ProcessGroup) throws -> Session {
        let source = try AudioSource.detect(data!)
        let (trainSet, testSet) = try source.load(sampleRate: sampleRate)
        let rate = trainSet.sampleRate
        let speakers = unconditional ? [] : trainSet.speakerNames
        let (configuration, options) = try settings(over: (.speech(sampleRate: rate, speakers: speakers.count),
                                                           .speech(sampleRate: rate)))
        guard configuration.gridShape(forInput: [options.windowLength ?? 0]) != nil else {
            throw CommandFailure("--window \(options.windowLength ?? 0) is not a multiple of the downsampling factor \(configuration.downsampling)")
        }
        let out = self.out ?? AudioTrainCommand.firstFreeRunFolder()
        let run = RunFolder(out)
        if !overwrite && (FileIO.exists(run.modelPath) || FileIO.exists(run.trainingStatePath)) {
            throw CommandFailure("\(out) already holds a run; continue it with --resume \(out), start over with --overwrite, or choose another --out")
        }
        try group.checkShares(batch: options.batchSize)
        if group.isLeader { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        var generator = RandomGenerator(seed: options.seed)
        let windows = AudioWindowSet(dataset: trainSet, windowLength: options.windowLength ?? 2048, clipPeak: configuration.clipPeak)
        var model = VQVAE(configuration, generator: &generator)
        if !speakers.isEmpty { model.measureSpeakerPitch(on: trainSet) }
        var trainer = Trainer(model: model, dataset: windows, options: options, communicator: group.communicator)
        group.note("training \(describe(configuration)) (\(trainer.model.parameterCount) parameters) on \(source.name): \(trainSet.count) train, \(testSet.count) test clips at \(rate) Hz\(speakers.isEmpty ? "" : ", \(speakers.count) speakers")\(group.summary.map { "; \($0)" } ?? "")\n")
        trainer.initializeQuantizer()
        let info = AudioModelInfo(sampleRate: rate, speakers: speakers, classes: trainSet.classNames)
        return (trainer, windows, testSet, run, info, windows.identity(name: source.name), source.name)
    }

    private func resumed(_ group: ProcessGroup) throws -> Session {
        let run = RunFolder(resume!)
        if group.isLeader { run.removeAbandonedTemporaryFiles() }
        let saved = try SavedRun(run: run)
        let (configuration, options) = try settings(over: (saved.configuration, saved.options))
        if let differences = saved.differences(configuration: configuration, options: options) {
            throw DataError(run.trainingStatePath, "the run was started with other settings: \(differences); resume with --resume alone to use the saved ones")
        }
        let source = try AudioSource.detect(data ?? saved.dataset.name)
        let (trainSet, testSet) = try source.load(sampleRate: options.sampleRate)
        let windows = AudioWindowSet(dataset: trainSet, windowLength: options.windowLength ?? 2048, clipPeak: configuration.clipPeak)
        let identity = windows.identity(name: source.name)
        try group.checkShares(batch: options.batchSize)
        let trainer = try Trainer(resuming: run, dataset: windows, identity: identity, steps: options.steps, communicator: group.communicator)
        let info = try AudioModelInfo(metadata: SafeTensors(contentsOf: run.modelPath).metadata, path: run.modelPath)
        group.note("resuming \(run.path) at step \(trainer.step) of \(options.steps)\(extended(saved, to: options.steps)): \(describe(configuration)) on \(source.name)\(group.summary.map { "; \($0)" } ?? "")\n")
        return (trainer, windows, testSet, run, info, identity, source.name)
    }
}

/// The speech model at `path` and what its checkpoint records about its data.
func loadSpeechModel(_ path: String) throws -> (model: VQVAE, info: AudioModelInfo) {
    let file = try SafeTensors(contentsOf: path)
    let model = try VQVAE(checkpoint: file, path: path)
    guard model.configuration.spatialRank == 1 else { throw DataError(path, "an image model, not a speech model (use vqvae reconstruct)") }
    return (model, try AudioModelInfo(metadata: file.metadata, path: path))
}

/// The mono samples of a WAV at the model's rate.
func readClip(_ path: String, sampleRate: Int) throws -> [Float] {
    let file = try WAVFile(contentsOf: path)
    return file.sampleRate == sampleRate ? file.mono : Resampler.resample(file.mono, from: file.sampleRate, to: sampleRate)
}

/// DIR/<input name without extension><suffix>.wav
func outputPath(folder: String, input: String, suffix: String = "") -> String {
    let name = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
    return folder + "/" + name + suffix + ".wav"
}

struct AudioReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct", abstract: "Encode and decode WAV files with a speech model: DIR/<input name>.wav each.",
        discussion: "Inputs are mixed to mono and resampled to the model's rate; outputs are 16-bit PCM at that rate, as long as the inputs. A model conditioned on speakers needs --speaker, or FSDD names (DIGIT_SPEAKER_TAKE.wav) naming a speaker it knows.")

    @Option(help: "A speech model (RUN/model.safetensors).") var model: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "The speaker to decode with (default: the speaker in an FSDD file name).") var speaker: String?
    @Argument(help: "WAV files.") var inputs: [String]

    func validate() throws { if inputs.isEmpty { throw ValidationError("give at least one WAV file") } }

    func run() throws {
        try failingWithOneLine {
            let (vqvae, info) = try loadSpeechModel(model)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for input in inputs {
                let clip = try readClip(input, sampleRate: info.sampleRate)
                let condition = try decoderLabel(vqvae, info: info, input: input, speaker: speaker)
                let path = outputPath(folder: out, input: input)
                try WAVFile(sampleRate: info.sampleRate, samples: vqvae.reconstruct(clip: clip[...], condition: condition)).write(to: path)
                writeError("wrote \(path)\n")
            }
        }
    }
}

/// The decoder label for `input`: `speaker` when given, else the speaker of an FSDD name; nil for an
/// unconditioned model. One line naming the problem otherwise.
func decoderLabel(_ model: VQVAE, info: AudioModelInfo, input: String, speaker: String?) throws -> Int32? {
    guard model.configuration.conditionClasses > 0 else {
        if let speaker { throw DataError(input, "--speaker \(speaker): the model is not conditioned on speakers") }
        return nil
    }
    if let speaker { return try info.speaker(named: speaker, path: input) }
    let parts = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent.split(separator: "_")
    if parts.count >= 3, let index = info.speakers.firstIndex(of: String(parts[1])) { return Int32(index) }
    throw DataError(input, "the model decodes with a speaker (\(info.speakers.joined(separator: ", "))); name one with --speaker")
}

struct AudioConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert WAV files to another speaker's voice: DIR/<input name>.wav each.",
        discussion: "Encodes each input to units and decodes them with the decoder conditioned on --speaker.")

    @Option(help: "A speech model conditioned on speakers (RUN/model.safetensors).") var model: String
    @Option(help: "The target speaker (one the model was trained on).") var speaker: String
    @Option(help: "Output folder.") var out: String
    @Argument(help: "WAV files.") var inputs: [String]

    func validate() throws { if inputs.isEmpty { throw ValidationError("give at least one WAV file") } }

    func run() throws {
        try failingWithOneLine {
            let (vqvae, info) = try loadSpeechModel(model)
            // An unconditioned model has no voices to convert to: decoderLabel refuses --speaker for it.
            guard let target = try decoderLabel(vqvae, info: info, input: model, speaker: speaker) else { return }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for input in inputs {
                let clip = try readClip(input, sampleRate: info.sampleRate)
                let path = outputPath(folder: out, input: input)
                try WAVFile(sampleRate: info.sampleRate, samples: vqvae.convert(clip: clip[...], to: target)).write(to: path)
                writeError("wrote \(path) as \(speaker)\n")
            }
        }
    }
}

struct AudioEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Encode a split of a folder of WAVs to speech units in a .vqc file.",
        discussion: "One sequence of units per clip (⌈T/F⌉ positions, F the model's downsampling), ragged: each clip keeps its own length (FORMATS.md), with the clips' labels (the digits for FSDD) and speakers (the model's speaker numbers when it is conditioned on speakers, else the folder's, in sorted name order).")

    @Option(help: "A speech model (RUN/model.safetensors).") var model: String
    @Option(help: "A folder of WAV files.") var data: String
    @Option(help: "Which split to encode: train or test.") var split: DatasetSplit = .test
    @Option(help: "Keep the first k stages of a residual quantizer (default: all).") var depth: Int?
    @Option(help: "The .vqc file to write.") var out: String

    func run() throws {
        try failingWithOneLine {
            let (vqvae, info) = try loadSpeechModel(model)
            if let depth, !(1...vqvae.configuration.depth).contains(depth) {
                throw DataError(model, "--depth \(depth) is not in 1...\(vqvae.configuration.depth)")
            }
            let source = try AudioSource.detect(data)
            let dataset = try source.load(split, sampleRate: info.sampleRate)
            var speakers = dataset.speakers
            if vqvae.configuration.conditionClasses > 0 && !speakers.isEmpty {
                let map = try info.speakerMap(for: dataset, source: source.name)
                speakers = speakers.map { map[Int($0)] }
            }
            let stages = vqvae.quantizer.resolvedDepth(depth)
            var indices: [Int32] = [], lengths: [Int] = []
            for clip in 0..<dataset.count {
                let units = vqvae.encode(clip: dataset.clip(clip), depth: stages)
                indices += units
                lengths.append(units.count / stages)
            }
            let file = CodesFile(count: dataset.count, lengths: lengths, depth: stages, numEmbeddings: vqvae.configuration.numEmbeddings,
                                 indices: indices, labels: dataset.labels, speakers: speakers)
            try file.write(to: out)
            writeError("wrote \(out): the units of \(dataset.count) clips (\(lengths.reduce(0, +)) positions, \(stages) stage\(stages == 1 ? "" : "s"), K \(vqvae.configuration.numEmbeddings)) from \(source.name) \(split.rawValue)\(dataset.labels.isEmpty ? "" : ", with labels")\(speakers.isEmpty ? "" : " and speakers")\n")
        }
    }
}

struct AudioEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a speech model on the test split of a folder of WAVs.",
        discussion: "snr_db, log_spectral_distance_db, mel_distance, bits_per_second, perplexity, codebook_usage, dead_codes, and with labels unit_label_accuracy (a linear classifier of labels from bags of units, trained on the training split's units) and unit_label_mutual_information (bits), and with speakers unit_speaker_accuracy (the same classifier of speakers: the lower, the less the units say about who spoke).")

    @Option(help: "A speech model (RUN/model.safetensors).") var model: String
    @Option(help: "A folder of WAV files (the model's data, or others by the same speakers).") var data: String
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        try failingWithOneLine {
            let (vqvae, info) = try loadSpeechModel(model)
            let source = try AudioSource.detect(data)
            let (train, test) = try source.load(sampleRate: info.sampleRate)
            let speakerMap = vqvae.configuration.conditionClasses > 0 ? try info.speakerMap(for: test, source: source.name) : nil
            let report = vqvae.evaluateAudio(on: test, training: train, speakerMap: speakerMap)
            print(json ? jsonLine(report, extra: [:]) : describe(report))
        }
    }
}

func describe(_ report: AudioEvaluationReport) -> String {
    var text = "\(report.clips) clips (\(format(report.seconds, 1)) s): SNR \(format(report.snrDecibels, 2)) dB, log-spectral distance \(format(report.logSpectralDistanceDecibels, 2)) dB, mel distance \(format(report.melDistance, 3)), \(format(report.bitsPerSecond, 0)) bit/s, perplexity \(format(report.perplexity, 1)), codes used \(format(report.codebookUsage * 100, 1))%"
    if let accuracy = report.unitLabelAccuracy { text += ", labels from units \(format(accuracy * 100, 1))%" }
    if let information = report.unitLabelMutualInformation { text += ", I(unit; label) \(format(information, 3)) bits" }
    if let accuracy = report.unitSpeakerAccuracy { text += ", speakers from units \(format(accuracy * 100, 1))%" }
    return text
}

/// The audio evaluation keys of the JSON contract, plus `extra`.
func jsonLine(_ report: AudioEvaluationReport, extra: [String: String]) -> String {
    var fields = extra
    fields["clips"] = "\(report.clips)"
    fields["seconds"] = "\(report.seconds)"
    fields["snr_db"] = "\(report.snrDecibels)"
    fields["log_spectral_distance_db"] = "\(report.logSpectralDistanceDecibels)"
    fields["mel_distance"] = "\(report.melDistance)"
    fields["bits_per_second"] = "\(report.bitsPerSecond)"
    fields["pitch_bits_per_second"] = "\(report.pitchBitsPerSecond)"
    fields["perplexity"] = "\(report.perplexity)"
    fields["codebook_usage"] = "\(report.codebookUsage)"
    fields["dead_codes"] = "\(report.deadCodes)"
    if let accuracy = report.unitLabelAccuracy { fields["unit_label_accuracy"] = "\(accuracy)" }
    if let information = report.unitLabelMutualInformation { fields["unit_label_mutual_information"] = "\(information)" }
    if let accuracy = report.unitSpeakerAccuracy { fields["unit_speaker_accuracy"] = "\(accuracy)" }
    return jsonObject(fields)
}
