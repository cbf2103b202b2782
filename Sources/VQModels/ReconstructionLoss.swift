import VQEngine
import VQNN

/// How a VQ-VAE's output is compared with its input in training.
public enum ReconstructionLoss: Codable, Equatable, Sendable {
    /// Mean squared error over every element: the paper's image loss (and `torch_ref.py`'s).
    case meanSquaredError
    /// Audio: `waveformWeight`·mean |x̂ − x| plus the multi-resolution STFT loss (spectral convergence
    /// and log magnitude, `MultiResolutionSTFTLoss`) at `resolutions`, plus its log-mel part when `mel`
    /// is given. Waveform errors alone reward muffled speech; the spectral terms keep what is heard.
    /// (`mel` is optional so that models saved before it existed read as they were trained.)
    case waveform(waveformWeight: Float, resolutions: [MultiResolutionSTFTLoss.Resolution],
                  mel: MultiResolutionSTFTLoss.MelTerm? = nil)

    /// The audio loss for `sampleRate`: waveform L1 with weight 1, the STFT loss at the three default
    /// resolutions scaled to the rate (32, 64 and 16 ms windows) and its log-mel part with weight
    /// `melWeight` (0: none).
    public static func audio(sampleRate: Int, melWeight: Float = 1) -> ReconstructionLoss {
        .waveform(waveformWeight: 1, resolutions: MultiResolutionSTFTLoss.resolutions(forSampleRate: sampleRate),
                  mel: melWeight > 0 ? .init(sampleRate: sampleRate, weight: melWeight) : nil)
    }
}

/// The reconstruction loss of one batch and its parts, for reports.
struct ReconstructionTerms {
    var total: Tensor
    var parts: [(name: String, value: Float)]
}

extension ReconstructionLoss {
    /// The loss of `prediction` against `target` (same shape); `spectral` is the STFT loss built for
    /// `.waveform` (nil otherwise). With processes sharing the batch (`share`), each part is such that
    /// its weighted sum over processes is the whole batch's (`MultiResolutionSTFTLoss`'s shared form).
    func terms(_ prediction: Tensor, _ target: Tensor, spectral: MultiResolutionSTFTLoss?, share: BatchShare? = nil) throws -> ReconstructionTerms {
        switch self {
        case .meanSquaredError:
            let mse = Tensor.mseLoss(prediction, target)
            return ReconstructionTerms(total: mse, parts: [("reconstruction", mse.item)])
        case .waveform(let weight, _, _):
            let waveform = (prediction - target.detached()).abs().mean()
            let spectrum = try share.map { try spectral!(predicted: prediction, target: target, share: $0) }
                ?? spectral!(predicted: prediction, target: target)
            let total = weight * waveform + spectrum.total
            return ReconstructionTerms(total: total, parts: [
                ("reconstruction", total.item), ("waveform", waveform.item),
                ("spectral_convergence", spectrum.spectralConvergence.item), ("log_magnitude", spectrum.logMagnitude.item)]
                + (spectrum.logMel.map { [("log_mel", $0.item)] } ?? []))
        }
    }

    /// The STFT loss this reconstruction loss needs (its DFT bases built once), or nil.
    func makeSpectralLoss() -> MultiResolutionSTFTLoss? {
        guard case .waveform(_, let resolutions, let mel) = self else { return nil }
        return MultiResolutionSTFTLoss(resolutions: resolutions, mel: mel)
    }
}
