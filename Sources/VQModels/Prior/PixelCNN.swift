import VQEngine
import VQNN

/// A gated PixelCNN over grids of code indices (van den Oord et al. 2016): the learnt prior p(z) of a
/// VQ-VAE, predicting each code from the codes before it in raster order (and optionally a class).
///
/// codes (N, H, W) → embedding (N, C, H, W) → `layers` gated layers (vertical and horizontal stacks,
/// `GatedPixelCNNLayer`) → ReLU(Σ skips) → 1×1 conv to `outputChannels` → ReLU → 1×1 conv → logits
/// (N, K, H, W). The logits at (i, j) depend only on the codes at positions before (i, j) in raster
/// order, on the label, and on the context map when the prior has one (the whole map: it is known
/// before the walk, like the codec's earlier quantizer stages); with enough layers, on all of them (no
/// blind spot).
public struct PixelCNN: Layer {
    public let configuration: PixelCNNConfiguration
    /// The code embedding, (K, C).
    public var embedding: Tensor
    public var layers: [GatedPixelCNNLayer]
    public var output1: Conv2d
    public var output2: Conv2d
    /// The 3 × 3 convolution (D → C, padding 1) that makes the context map's features; nil without one.
    public var contextInput: Conv2d?

    /// A freshly initialised prior; the same seed gives the same weights on every platform.
    public init(_ configuration: PixelCNNConfiguration, generator: inout RandomGenerator) {
        self.configuration = configuration
        let c = configuration.channels
        embedding = Tensor(normal: [configuration.numEmbeddings, c], generator: &generator)
        layers = (0..<configuration.layers).map { index in
            GatedPixelCNNLayer(channels: c, kernelSize: configuration.kernelSize, isFirst: index == 0,
                               numClasses: configuration.numClasses, hasContext: configuration.contextChannels > 0,
                               generator: &generator)
        }
        output1 = Conv2d(inputChannels: c, outputChannels: configuration.outputChannels, kernelSize: 1, generator: &generator)
        output2 = Conv2d(inputChannels: configuration.outputChannels, outputChannels: configuration.numEmbeddings,
                         kernelSize: 1, generator: &generator)
        if configuration.contextChannels > 0 {
            contextInput = Conv2d(inputChannels: configuration.contextChannels, outputChannels: c, kernelSize: 3,
                                  padding: 1, generator: &generator)
        }
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        body("embedding.weight", &embedding)
        for index in layers.indices { visit(&layers[index], named: "layers.\(index)", body) }
        visit(&output1, named: "output1", body)
        visit(&output2, named: "output2", body)
        if contextInput != nil { visit(&contextInput!, named: "context_input", body) }
    }

    /// The logits of every position: `codes` holds N·H·W indices in 0..<K in row-major (N, H, W) order,
    /// `labels` N class labels (required exactly when the prior is class-conditional), `context` the
    /// context map (N, D, H, W) (required exactly when the prior has one) → (N, K, H, W).
    public func callAsFunction(_ codes: [Int32], batch: Int, height: Int, width: Int, labels: [Int32]? = nil,
                               context: Tensor? = nil) -> Tensor {
        let embedded = embed(codes, batch: batch, height: height, width: width)
        let features = contextFeatures(context)
        return horizontalLogits(embedded, links: verticalLinks(embedded, labels: labels, features: features), labels: labels,
                                features: features)
    }

    /// Mean cross-entropy (nats per code) of the codes under the prior: the training loss. Rank-0 tensor.
    public func loss(_ codes: [Int32], batch: Int, height: Int, width: Int, labels: [Int32]? = nil,
                     context: Tensor? = nil) -> Tensor {
        Tensor.crossEntropy(logits: self(codes, batch: batch, height: height, width: width, labels: labels, context: context),
                            targets: codes)
    }

    /// The features every gate sees of a context map: ReLU(3 × 3 conv) (N, D, H, W) → (N, C, H, W); nil
    /// for a prior without context. A context map is required exactly when the prior has one.
    func contextFeatures(_ context: Tensor?) -> Tensor? {
        guard let contextInput else {
            precondition(context == nil, "PixelCNN: a context map for a prior without one")
            return nil
        }
        guard let context else { preconditionFailure("PixelCNN: this prior needs a context map of \(configuration.contextChannels) channels") }
        precondition(context.rank == 4 && context.shape[1] == configuration.contextChannels,
                     "PixelCNN: a context map of shape \(context.shape), expected (N, \(configuration.contextChannels), H, W)")
        return contextInput(context).relu()
    }

    /// The embedded codes: N·H·W indices → (N, C, H, W).
    func embed(_ codes: [Int32], batch: Int, height: Int, width: Int) -> Tensor {
        embedding.gathered(rows: codes, indexShape: [batch, height, width]).permuted([0, 3, 1, 2])
    }

    /// Runs the vertical stack on `embedded` (N, C, H, W) and returns each layer's link into the
    /// horizontal stack, (N, 2C, H, W) each; row r of every link depends only on rows < r.
    func verticalLinks(_ embedded: Tensor, labels: [Int32]?, features: Tensor? = nil) -> [Tensor] {
        var vertical = embedded
        return layers.map { layer in
            let step = layer.verticalStep(vertical, labels: labels, features: features)
            vertical = step.output
            return step.link
        }
    }

    /// Runs the horizontal stack and the output head on `embedded` (N, C, H, W) given the vertical
    /// links (N, 2C, H, W) of the same rows → logits (N, K, H, W). Rows are independent here.
    func horizontalLogits(_ embedded: Tensor, links: [Tensor], labels: [Int32]?, features: Tensor? = nil) -> Tensor {
        outputHead(horizontalSkips(embedded, links: links, labels: labels, features: features))
    }

    /// The horizontal stack alone: the sum of every layer's skip output, (N, C, H, W).
    func horizontalSkips(_ embedded: Tensor, links: [Tensor], labels: [Int32]?, features: Tensor? = nil) -> Tensor {
        var horizontal = embedded
        var skips: Tensor?
        for (layer, link) in zip(layers, links) {
            let step = layer.horizontalStep(horizontal, link: link, labels: labels, features: features)
            horizontal = step.output
            skips = skips.map { $0 + step.skip } ?? step.skip
        }
        return skips!
    }

    /// ReLU → 1×1 conv → ReLU → 1×1 conv: summed skips (N, C, H, W) → logits (N, K, H, W), per position.
    func outputHead(_ skips: Tensor) -> Tensor {
        output2(output1(skips.relu()).relu())
    }
}
