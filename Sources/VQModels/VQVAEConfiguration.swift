/// Every size of a VQ-VAE, stored in checkpoints (`__metadata__`) so a model can be rebuilt.
public struct VQVAEConfiguration: Codable, Equatable, Sendable {
    /// Image channels: 1 (gray) or 3 (RGB).
    public var inputChannels: Int
    /// Channels of the encoder's and decoder's main path (the first convolution uses half).
    public var hiddenChannels: Int
    /// Channels inside each residual block.
    public var residualChannels: Int
    /// Residual blocks in each stack.
    public var residualBlocks: Int
    /// K, the number of codes.
    public var numEmbeddings: Int
    /// D, the length of each code.
    public var embeddingDim: Int
    /// β, the commitment cost.
    public var commitmentCost: Float
    /// Learn the codebook by exponential moving averages instead of by loss.
    public var movingAverageCodebook: Bool
    /// EMA decay γ.
    public var decay: Float

    public init(inputChannels: Int = 1, hiddenChannels: Int = 128, residualChannels: Int = 32, residualBlocks: Int = 2,
                numEmbeddings: Int = 512, embeddingDim: Int = 64, commitmentCost: Float = 0.25,
                movingAverageCodebook: Bool = false, decay: Float = 0.99) {
        self.inputChannels = inputChannels
        self.hiddenChannels = hiddenChannels
        self.residualChannels = residualChannels
        self.residualBlocks = residualBlocks
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.commitmentCost = commitmentCost
        self.movingAverageCodebook = movingAverageCodebook
        self.decay = decay
    }

    /// Named configurations.
    public enum Preset: String, CaseIterable, Sendable {
        /// The widely used Sonnet example (and `torch_ref.py`): hidden 128, residual 32, 2 blocks, D 64, K 512.
        case sonnet
        /// The paper's image model: hidden 256, K 512 (residual 32, 2 blocks, D 64).
        case paper
        /// A very small model for smoke tests and quick trials: hidden 16, residual 8, 1 block, D 8, K 32.
        case tiny
    }

    public init(preset: Preset, inputChannels: Int) {
        switch preset {
        case .sonnet: self.init(inputChannels: inputChannels)
        case .paper: self.init(inputChannels: inputChannels, hiddenChannels: 256)
        case .tiny:
            self.init(inputChannels: inputChannels, hiddenChannels: 16, residualChannels: 8, residualBlocks: 1,
                      numEmbeddings: 32, embeddingDim: 8)
        }
    }
}
