import VQData

/// Where in one input the model's fit is bad: the squared error of each pixel (mean over channels)
/// and the prior's surprise at each code, for pictures (`AnomalyPicture`).
public struct AnomalyMap: Equatable, Sendable {
    /// The input's size.
    public let height: Int
    public let width: Int
    /// height·width values, row-major: (reconstruction − input)² averaged over channels, pixels in
    /// [−0.5, 0.5]; their mean is the input's reconstruction error.
    public var pixelErrors: [Float]
    /// The code grid's size.
    public let gridHeight: Int
    public let gridWidth: Int
    /// gridHeight·gridWidth values, row-major: −log₂ p of each code under the prior, in bits; nil
    /// without a prior.
    public var codeSurprise: [Float]?

    public init(height: Int, width: Int, pixelErrors: [Float], gridHeight: Int, gridWidth: Int, codeSurprise: [Float]?) {
        precondition(pixelErrors.count == height * width, "AnomalyMap: \(pixelErrors.count) errors for \(height)x\(width)")
        precondition(codeSurprise.map { $0.count == gridHeight * gridWidth } ?? true, "AnomalyMap: surprise for another grid")
        (self.height, self.width, self.pixelErrors) = (height, width, pixelErrors)
        (self.gridHeight, self.gridWidth, self.codeSurprise) = (gridHeight, gridWidth, codeSurprise)
    }
}
