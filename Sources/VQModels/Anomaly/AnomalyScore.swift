/// The per-input anomaly scores: each is larger for an input that fits the model worse.
///
/// - `reconstructionError`: mean squared error per input value between the input and the decoding of
///   its codes (pixels scaled to [−0.5, 0.5], as the model sees them), over C·H·W (or C·T).
/// - `quantizationDistance`: the mean over the code grid's positions of ‖z_e − e‖², the squared
///   distance between the encoder's vector and the vector its code(s) stand for
///   (`Quantizer.quantizationDistances`): how badly the input maps onto the codebook.
/// - `priorSurprise`: −log₂ p(z) of the code grid under the prior, divided by the grid's positions
///   (bits per code; first quantizer stage, the one the prior models): how surprising the codes are.
/// - `combined`: the largest of the other scores' z-scores, each standardised with the mean and
///   standard deviation of its logarithm over normal training inputs (`ScoreStandardization`).
public enum AnomalyScore: String, CaseIterable, Codable, Sendable, Comparable {
    case reconstructionError = "reconstruction_error"
    case quantizationDistance = "quantization_distance"
    case priorSurprise = "prior_surprise"
    case combined

    /// The scores measured on each input (not derived from others).
    public static let measured: [AnomalyScore] = [.reconstructionError, .quantizationDistance, .priorSurprise]

    /// A short description with its unit, for tables.
    public var summary: String {
        switch self {
        case .reconstructionError: return "reconstruction error (MSE per value)"
        case .quantizationDistance: return "quantisation distance (mean ||z_e - e||^2)"
        case .priorSurprise: return "prior surprise (-log2 p(z), bits per code)"
        case .combined: return "combined (largest z-score of the logarithms)"
        }
    }

    public static func < (a: AnomalyScore, b: AnomalyScore) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
