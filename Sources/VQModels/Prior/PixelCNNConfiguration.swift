/// Every size of a gated PixelCNN prior, stored in its checkpoint (`__metadata__`) so it can be rebuilt.
///
/// The default (64 channels, 8 layers of 3×3, head 128) sees the whole causal past of a 7×7 or 8×8
/// code grid: after l layers of 3×3 the vertical stack reaches l + 1 rows up (the link adds one) and
/// l columns to each side.
public struct PixelCNNConfiguration: Codable, Equatable, Sendable {
    /// K, the number of codes (the VQ-VAE's codebook size): the input vocabulary and the softmax width.
    public var numEmbeddings: Int
    /// Channels of both stacks (the gates have twice as many before the tanh × sigmoid).
    public var channels: Int
    /// Gated layers; the first uses mask 'A' in the horizontal stack, the others mask 'B'.
    public var layers: Int
    /// Kernel size k (odd) of the vertical (k × k, rows above and the centre row) and horizontal (1 × k)
    /// masked convolutions.
    public var kernelSize: Int
    /// Channels of the 1×1 convolution between the summed skip connections and the K logits.
    public var outputChannels: Int
    /// Class labels for conditioning (a learnt per-class bias in every gate); 0: unconditional.
    public var numClasses: Int
    /// Channels D of a context map given with every grid, (N, D, H, W), known at every position before
    /// the walk starts (the codec's earlier quantizer stages): a 3×3 convolution makes it C features,
    /// which a 1×1 convolution per gate adds to every gate. 0: no context.
    public var contextChannels: Int

    public init(numEmbeddings: Int, channels: Int = 64, layers: Int = 8, kernelSize: Int = 3, outputChannels: Int = 128,
                numClasses: Int = 0, contextChannels: Int = 0) {
        precondition(numEmbeddings >= 1 && channels >= 1 && layers >= 1 && outputChannels >= 1 && numClasses >= 0
                     && contextChannels >= 0, "PixelCNNConfiguration: sizes must be positive")
        precondition(kernelSize >= 1 && kernelSize % 2 == 1, "PixelCNNConfiguration: the kernel size \(kernelSize) must be odd")
        self.numEmbeddings = numEmbeddings
        self.channels = channels
        self.layers = layers
        self.kernelSize = kernelSize
        self.outputChannels = outputChannels
        self.numClasses = numClasses
        self.contextChannels = contextChannels
    }

    enum CodingKeys: String, CodingKey {
        case numEmbeddings, channels, layers, kernelSize, outputChannels, numClasses, contextChannels
    }

    /// Checkpoints from before context maps have no `contextChannels`: 0. Sizes out of range are a
    /// decoding error, not a crash.
    public init(from decoder: any Swift.Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let sizes = try [CodingKeys.numEmbeddings, .channels, .layers, .kernelSize, .outputChannels].map {
            try values.decode(Int.self, forKey: $0)
        }
        let numClasses = try values.decode(Int.self, forKey: .numClasses)
        let contextChannels = try values.decodeIfPresent(Int.self, forKey: .contextChannels) ?? 0
        guard sizes.allSatisfy({ $0 >= 1 }), sizes[3] % 2 == 1, numClasses >= 0, contextChannels >= 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "PixelCNN sizes out of range"))
        }
        self.init(numEmbeddings: sizes[0], channels: sizes[1], layers: sizes[2], kernelSize: sizes[3],
                  outputChannels: sizes[4], numClasses: numClasses, contextChannels: contextChannels)
    }

    /// Whether the prior takes a class label.
    public var isClassConditional: Bool { numClasses > 0 }
}
