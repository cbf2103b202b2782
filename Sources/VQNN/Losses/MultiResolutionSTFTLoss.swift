import VQEngine

/// The multi-resolution STFT loss of Parallel WaveGAN (Yamamoto, Song, Kim 2020): the spectra of the
/// predicted and target signals compared at several time-frequency resolutions, so that no single
/// frame length decides what "sounds the same" means.
///
/// For each resolution, with |S| the target's and |Ŝ| the prediction's `stftMagnitude` (N, bins, frames):
///   spectral convergence  ‖|S| − |Ŝ|‖_F / ‖|S|‖_F                     (one ratio over the whole batch)
///   log magnitude         mean |log(|S| + δ) − log(|Ŝ| + δ)|          (over the batch, bins and frames)
/// each part is the mean over the resolutions, and the total is their sum. With a `MelTerm`, a third part:
///   log mel               mean |log(M + δ) − log(M̂ + δ)|,  M = |S| summed by `MelFilterbank` bands
/// (`MelFilterbank.lossBands` bands per resolution), also averaged over the resolutions and added with
/// the term's weight: the log-mel loss of HiFi-GAN and the multi-scale mel loss of DAC. Linear bins and
/// spectral convergence weigh the strongest harmonics and the many quiet bins; mel bands weigh the
/// envelope (formants) as hearing and speech features do. The magnitude is
/// √(re² + im² + ε) (ε = `magnitudeEpsilon`, 1e-7: a finite gradient at silence, and ‖|S|‖_F > 0 even
/// for a silent target); δ = `logOffset` (1e-5) keeps the logarithm's slope 1/(|Ŝ| + δ) bounded should ε
/// be set to 0. The target is detached: gradients reach the prediction only. At identical signals the
/// loss and its gradient are exactly 0 (`norm` and `abs` have gradient 0 at 0, as in PyTorch).
public struct MultiResolutionSTFTLoss {
    /// One STFT setting, in samples.
    public struct Resolution: Hashable, Codable, Sendable, CustomStringConvertible {
        public var fftSize: Int
        public var hopSize: Int
        public var windowLength: Int

        public init(fftSize: Int, hopSize: Int, windowLength: Int) {
            self.fftSize = fftSize
            self.hopSize = hopSize
            self.windowLength = windowLength
        }

        /// The same durations in seconds at a sample rate `factor` times the one this resolution was made
        /// for: every size multiplied by `factor` and rounded (at least 1; the window at most the FFT size).
        /// fftSize need not be a power of two, since the DFT is a convolution here.
        public func scaled(by factor: Double) -> Resolution {
            precondition(factor > 0, "Resolution.scaled: factor \(factor) must be positive")
            let scale = { (size: Int) in Swift.max(1, Int((Double(size) * factor).rounded())) }
            let fft = scale(fftSize)
            return Resolution(fftSize: fft, hopSize: scale(hopSize), windowLength: Swift.min(fft, scale(windowLength)))
        }

        public var description: String { "(fft \(fftSize), hop \(hopSize), window \(windowLength))" }
    }

    /// The three default resolutions, (fftSize, hopSize, windowLength) = (512, 128, 512), (1024, 256, 1024),
    /// (256, 64, 256): Hann windows of 32, 64 and 16 ms at 16 kHz, each hopping a quarter of its length.
    public static let defaultResolutions = [
        Resolution(fftSize: 512, hopSize: 128, windowLength: 512),
        Resolution(fftSize: 1024, hopSize: 256, windowLength: 1024),
        Resolution(fftSize: 256, hopSize: 64, windowLength: 256),
    ]

    /// The sample rate `defaultResolutions` are meant for.
    public static let defaultSampleRate = 16_000

    /// `defaultResolutions` scaled to `sampleRate`, keeping their durations in milliseconds: at 8 kHz
    /// (256, 64, 256), (512, 128, 512), (128, 32, 128); at 22.05 kHz (706, 176, 706), (1411, 353, 1411),
    /// (353, 88, 353).
    public static func resolutions(forSampleRate sampleRate: Int) -> [Resolution] {
        precondition(sampleRate > 0, "MultiResolutionSTFTLoss: sample rate \(sampleRate) must be positive")
        return defaultResolutions.map { $0.scaled(by: Double(sampleRate) / Double(defaultSampleRate)) }
    }

    /// The optional log-mel part: the sample rate the mel bands are placed at, and its weight in the total.
    public struct MelTerm: Hashable, Codable, Sendable {
        public var sampleRate: Int
        public var weight: Float

        public init(sampleRate: Int, weight: Float = 1) {
            self.sampleRate = sampleRate
            self.weight = weight
        }
    }

    /// The loss and its parts, each rank 0 and recorded on the prediction's tape.
    public struct Terms {
        /// spectralConvergence + logMagnitude (+ weight · logMel): the number minimised.
        public var total: Tensor
        /// The mean over resolutions of the spectral convergence.
        public var spectralConvergence: Tensor
        /// The mean over resolutions of the log-magnitude distance.
        public var logMagnitude: Tensor
        /// The mean over resolutions of the log-mel distance (nil without a `MelTerm`), before its weight.
        public var logMel: Tensor?
    }

    public let resolutions: [Resolution]
    /// ε inside the magnitude's square root.
    public let magnitudeEpsilon: Float
    /// δ added to the magnitudes before the logarithm.
    public let logOffset: Float
    /// The log-mel part, or nil.
    public let mel: MelTerm?
    /// One DFT basis per resolution, built once.
    private let bases: [STFTBasis]
    /// With `mel`: per resolution the filters as a kernel-1 convolution weight (bands, bins, 1).
    private let melFilters: [Tensor]

    /// Stops if there is no resolution, a size is not positive, a window is longer than its FFT, or ε or δ
    /// is negative, or the mel term's sample rate is not positive or its weight negative.
    public init(resolutions: [Resolution] = defaultResolutions, magnitudeEpsilon: Float = 1e-7, logOffset: Float = 1e-5,
                mel: MelTerm? = nil) {
        precondition(!resolutions.isEmpty, "MultiResolutionSTFTLoss: no resolutions")
        for resolution in resolutions {
            precondition(resolution.fftSize >= 1 && resolution.hopSize >= 1 && resolution.windowLength >= 1
                         && resolution.windowLength <= resolution.fftSize,
                         "MultiResolutionSTFTLoss: resolution \(resolution) needs positive sizes and a window no longer than the FFT")
        }
        precondition(magnitudeEpsilon >= 0 && logOffset >= 0,
                     "MultiResolutionSTFTLoss: magnitudeEpsilon \(magnitudeEpsilon) and logOffset \(logOffset) must not be negative")
        self.resolutions = resolutions
        self.magnitudeEpsilon = magnitudeEpsilon
        self.logOffset = logOffset
        self.mel = mel
        bases = resolutions.map { STFTBasis(fftSize: $0.fftSize, windowLength: $0.windowLength) }
        if let mel {
            precondition(mel.sampleRate > 0 && mel.weight >= 0,
                         "MultiResolutionSTFTLoss: mel sample rate \(mel.sampleRate) must be positive and weight \(mel.weight) not negative")
        }
        melFilters = mel.map { mel in
            resolutions.map { MelFilterbank.convolutionWeight(bands: MelFilterbank.lossBands(fftSize: $0.fftSize),
                                                              fftSize: $0.fftSize, sampleRate: mel.sampleRate) }
        } ?? []
    }

    /// The loss of `predicted` against `target`, both (N, T) or (N, 1, T) of the same shape.
    public func callAsFunction(predicted: Tensor, target: Tensor) -> Terms {
        do { try validateShapes(predicted: predicted.shape, target: target.shape) } catch { preconditionFailure("\(error)") }
        let target = target.detached()
        var convergences: [Tensor] = [], logDistances: [Tensor] = [], melDistances: [Tensor] = []
        for (index, (resolution, basis)) in zip(resolutions, bases).enumerated() {
            let predictedMagnitude = predicted.stftMagnitude(basis: basis, hopSize: resolution.hopSize, epsilon: magnitudeEpsilon)
            let targetMagnitude = target.stftMagnitude(basis: basis, hopSize: resolution.hopSize, epsilon: magnitudeEpsilon)
            convergences.append((targetMagnitude - predictedMagnitude).norm() / targetMagnitude.norm().item)
            logDistances.append(logDistance(targetMagnitude, predictedMagnitude))
            if !melFilters.isEmpty {
                let filters = melFilters[index]
                melDistances.append(logDistance(targetMagnitude.conv1d(weight: filters), predictedMagnitude.conv1d(weight: filters)))
            }
        }
        return terms(convergences: convergences, logDistances: logDistances, melDistances: melDistances)
    }

    /// mean |log(target + δ) − log(predicted + δ)|, a rank-0 tensor.
    private func logDistance(_ target: Tensor, _ predicted: Tensor) -> Tensor {
        ((target + logOffset).log() - (predicted + logOffset).log()).abs().mean()
    }

    /// The mean of rank-0 tensors (at least one), on their tape.
    private static func mean(_ values: [Tensor]) -> Tensor {
        values.dropFirst().reduce(values[0]) { $0 + $1 } / Float(values.count)
    }

    /// The loss of this process's share of a batch that processes share (`share`; the whole batch
    /// alone: `callAsFunction(predicted:target:)`), such that the w-weighted sum over processes of
    /// each part, and of its gradient, is the whole batch's.
    ///
    /// The log magnitude and the log mel are means over the batch, so the share's own means are right. The spectral
    /// convergence √A/√B (A = ‖|S| − |Ŝ|‖²_F, B = ‖|S|‖²_F over the whole batch, A = Σ_r a_r) is not:
    /// the processes sum their a_r and b_r (one call for every resolution), and each takes as its term
    ///   c·a_r − sg[c·a_r] + √A/√B,   c = 1/(2·w_r·√(A·B))
    /// whose value is the global ratio and whose w_r-weighted gradient is ∂a_r/(2√(A·B)), the global
    /// ratio's gradient through this share's prediction (0 where A = 0, as `norm` at 0).
    public func callAsFunction(predicted: Tensor, target: Tensor, share: BatchShare) throws -> Terms {
        if share.isWhole { return self(predicted: predicted, target: target) }
        do { try validateShapes(predicted: predicted.shape, target: target.shape) } catch { preconditionFailure("\(error)") }
        let target = target.detached()
        var squaredDistances: [Tensor] = [], logDistances: [Tensor] = [], melDistances: [Tensor] = []
        var sums: [Double] = []
        for (index, (resolution, basis)) in zip(resolutions, bases).enumerated() {
            let predictedMagnitude = predicted.stftMagnitude(basis: basis, hopSize: resolution.hopSize, epsilon: magnitudeEpsilon)
            let targetMagnitude = target.stftMagnitude(basis: basis, hopSize: resolution.hopSize, epsilon: magnitudeEpsilon)
            let squaredDistance = (targetMagnitude - predictedMagnitude).squared().sum()
            squaredDistances.append(squaredDistance)
            sums += [Double(squaredDistance.item),
                     targetMagnitude.withUnsafeBufferPointer { Reduction.sumOfSquares($0.baseAddress!, count: $0.count) }]
            logDistances.append(logDistance(targetMagnitude, predictedMagnitude))
            if !melFilters.isEmpty {
                let filters = melFilters[index]
                melDistances.append(logDistance(targetMagnitude.conv1d(weight: filters), predictedMagnitude.conv1d(weight: filters)))
            }
        }
        try share.sum(&sums)
        let convergences = squaredDistances.enumerated().map { index, squaredDistance in
            let (distance, reference) = (sums[2 * index], sums[2 * index + 1])
            let ratio = Float(distance.squareRoot() / reference.squareRoot())
            let slope = distance > 0 ? Float(1 / (2 * Double(share.weight) * (distance * reference).squareRoot())) : 0
            let scaled = slope * squaredDistance
            return scaled - scaled.detached() + Tensor(ratio)
        }
        return terms(convergences: convergences, logDistances: logDistances, melDistances: melDistances)
    }

    /// The parts' means over the resolutions and their total (with the mel term's weight when there is one).
    private func terms(convergences: [Tensor], logDistances: [Tensor], melDistances: [Tensor]) -> Terms {
        let convergence = Self.mean(convergences), logMagnitude = Self.mean(logDistances)
        var terms = Terms(total: convergence + logMagnitude, spectralConvergence: convergence, logMagnitude: logMagnitude)
        if let mel, !melDistances.isEmpty {
            let logMel = Self.mean(melDistances)
            terms.logMel = logMel
            terms.total = terms.total + mel.weight * logMel
        }
        return terms
    }

    /// Validates the signals: equal shapes, (N, T) or (N, 1, T), long enough for every resolution. Throws
    /// a `ShapeError` naming `MultiResolutionSTFTLoss` and both shapes, or `stftMagnitude`'s own.
    public func validateShapes(predicted: [Int], target: [Int]) throws(ShapeError) {
        guard predicted == target else {
            throw ShapeError("MultiResolutionSTFTLoss", [predicted, target], "the predicted and target signals differ in shape")
        }
        for resolution in resolutions {
            _ = try Tensor.stftMagnitudeShapes(input: predicted, fftSize: resolution.fftSize, hopSize: resolution.hopSize,
                                               windowLength: resolution.windowLength)
        }
    }
}
