import VQNN

/// The speech VQ-VAE this project ships (`vqvae audio train` without options), after the paper's
/// section 4.3 scaled to two CPU cores: raw waveform in, 64× downsampling, K = 512 codes (at 8 kHz:
/// 125 codes per second, 1125 bit/s), a decoder conditioned on the speaker.
extension VQVAEConfiguration {
    /// Mono sequences, hidden 128 (the strided layers 64), residual 32, 3 residual blocks dilated
    /// 1, 3, 9, and 2 more (64 channels, residual 32, dilated 1, 3) after every strided and transposed
    /// layer but the last, downsampling 64, D 64, the default quantizer (vq, K 512, dead-code
    /// restarts), decoder conditioned on `speakers` (0: unconditional) with a speaker adversary of
    /// weight 0.1 when there are two or more, every clip scaled to peak 0.5 (`clipPeak`), waveform
    /// L1 + multi-resolution STFT loss with its log-mel term (weight 1) at `sampleRate`. Measured in
    /// BENCHMARKS.md, "Speech": the log-mel term doubled the digit accuracy of the reconstructions;
    /// the stage blocks and the adversary each made conversion better; the clip peak lifted the
    /// digits of reconstructions and conversions past their bars (FSDD's quiet speakers had weighed
    /// little in the loss); an adversary of 0.2 on top cost content and gained no conversion;
    /// centring the latents (`centersLatents`) cost content and did not help conversion, and is off.
    /// A pitch source (`pitchSource`, `--harmonics 16`, with the adversary at 0.03: at 0.1 it
    /// collapsed the codebook) rendered the low harmonics at the speaker's pitch but lost content and
    /// conversion at 8000 steps, and is off.
    public static func speech(sampleRate: Int, speakers: Int, downsampling: Int = 64,
                              quantizer: QuantizerConfiguration = .default) -> VQVAEConfiguration {
        var configuration = VQVAEConfiguration(
            spatialRank: 1, inputChannels: 1, hiddenChannels: 128, residualChannels: 32, residualBlocks: 3, stageResidualBlocks: 2,
            dilationGrowth: 3, downsampling: downsampling, embeddingDim: 64, conditionClasses: speakers,
            quantizer: quantizer, reconstructionLoss: .audio(sampleRate: sampleRate))
        configuration.speakerAdversaryWeight = speakers >= 2 ? 0.1 : 0
        configuration.clipPeak = 0.5
        return configuration
    }

    /// The speech recipe shrunk for trying the workflow in seconds: hidden 16, residual 8, 2 blocks, no
    /// stage blocks, D 8, K 32, downsampling 16.
    public static func tinySpeech(sampleRate: Int, speakers: Int) -> VQVAEConfiguration {
        var configuration = speech(sampleRate: sampleRate, speakers: speakers, downsampling: 16)
        (configuration.hiddenChannels, configuration.residualChannels, configuration.residualBlocks) = (16, 8, 2)
        configuration.stageResidualBlocks = 0
        configuration.embeddingDim = 8
        configuration.quantizer.codebookSize = 32
        return configuration
    }
}

extension TrainingOptions {
    /// The speech recipe's training: Adam 3e-4, batch 32 windows of 2048 samples (256 ms at 8 kHz),
    /// `steps` steps (10 000: 44 minutes on FSDD on two cores; BENCHMARKS.md, "Speech", measured the
    /// 2000 steps after 8000 to bring conversions heard as the target from 0.59 to 0.63), clips at
    /// `sampleRate`.
    public static func speech(sampleRate: Int, steps: Int = 10_000, seed: UInt64 = 0) -> TrainingOptions {
        TrainingOptions(steps: steps, batchSize: 32, seed: seed, learningRate: 3e-4, windowLength: 2048, sampleRate: sampleRate)
    }
}
