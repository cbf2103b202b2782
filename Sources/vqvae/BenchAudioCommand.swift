import ArgumentParser
import VQModels

struct BenchAudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Training and reconstruction throughput of the speech VQ-VAE, measured like Scripts/bench/audio_ref.py speed.")

    @Option(help: "Windows per training batch.") var batch = 32
    @Option(help: "Samples per training window.") var window = 2048
    @Option(help: "Samples per reconstructed clip.") var clip = 8000
    @Option(help: "Speakers the decoder is conditioned on (0: unconditional).") var speakers = 6
    @Option(help: "Timed steps (after 3 warm-up steps), and clips reconstructed.") var steps = 20
    @Option(help: "Residual blocks per intermediate stage (default: the recipe's).") var stageBlocks: Int?
    @Option(help: "Centre the encoder's output over time: true or false (default: the recipe's).") var centerLatents: Bool?
    @Option(help: "Weight of the speaker-adversarial term; 0: none (default: the recipe's).") var speakerAdversary: Float?
    @Option(help: "Harmonics of the pitch source; 0: none (default: the recipe's).") var harmonics: Int?
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard batch >= 1, steps >= 1, speakers >= 0, window >= 64, window % 64 == 0, clip >= 1 else {
            throw ValidationError("need batch, steps and clip ≥ 1, speakers ≥ 0, and the window a positive multiple of 64")
        }
        if let stageBlocks, stageBlocks < 0 { throw ValidationError("--stage-blocks must be 0 or more") }
        if let harmonics, !(0...64).contains(harmonics) { throw ValidationError("--harmonics must be between 0 (none) and 64") }
    }

    func run() throws {
        writeBenchmarkMachine()
        var configuration = VQVAEConfiguration.speech(sampleRate: 8000, speakers: speakers)
        if let stageBlocks { configuration.stageResidualBlocks = stageBlocks }
        if let centerLatents { configuration.centersLatents = centerLatents }
        if let speakerAdversary { configuration.speakerAdversaryWeight = speakerAdversary }
        if let harmonics { configuration.pitchSource = harmonics > 0 ? PitchSourceConfiguration(harmonics: harmonics, sampleRate: 8000) : nil }
        if let problems = configuration.problems { throw ValidationError(problems) }
        let result = ModelBenchmark.runAudio(configuration: configuration, batchSize: batch, windowLength: window, clipLength: clip, steps: steps)
        if json {
            print(#"{"train_windows_per_s":\#(rounded(result.trainImagesPerSecond)),"reconstruct_clips_per_s":\#(rounded(result.reconstructImagesPerSecond)),"batch":\#(batch),"window":\#(window),"clip":\#(clip),"speakers":\#(speakers),"steps":\#(steps),"stage_blocks":\#(configuration.stageResidualBlocks),"center_latents":\#(configuration.centersLatents),"speaker_adversary":\#(configuration.speakerAdversaryWeight),"harmonics":\#(configuration.pitchSource?.harmonics ?? 0)}"#)
        } else {
            print("speech recipe, batch \(batch) x \(window) samples: train \(rounded(result.trainImagesPerSecond)) windows/s, reconstruct \(rounded(result.reconstructImagesPerSecond)) clips/s of \(clip) samples")
        }
    }
}
