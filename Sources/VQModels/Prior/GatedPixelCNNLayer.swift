import VQEngine
import VQNN

/// One gated layer of a PixelCNN: a vertical stack (rows above) and a horizontal stack (the left part of
/// the current row), each ending in a gated unit tanh(a) ⊙ σ(b), with a residual connection and a skip
/// output in the horizontal stack. C = channels, k = kernel size; all tensors (N, ·, H, W).
///
///   vertical:   v' = v ∗ W_v (k × k, rows ≤ centre) + c_v[label]          (N, 2C, H, W)
///               v_out = tanh(v'[:C]) ⊙ σ(v'[C:])                           (N, C, H, W)
///   link:       l = W_vh · shiftDown(v')  (1 × 1)                           (N, 2C, H, W)
///   horizontal: h' = h ∗ W_h (1 × k, mask 'A' or 'B') + l + c_h[label]    (N, 2C, H, W)
///               g = tanh(h'[:C]) ⊙ σ(h'[C:])                               (N, C, H, W)
///               h_out = W_o · g (1 × 1) + h (no residual in the first layer), skip = W_s · g (1 × 1)
///
/// With a context map, its features f (N, C, H, W; `PixelCNN.contextFeatures`) enter both gates as
/// U_v · f and U_h · f (1 × 1 each) beside the class biases: f is known everywhere, so it may be seen
/// at and after the position predicted.
///
/// Because every horizontal convolution is 1 × k, rows of the horizontal stack never mix: given the
/// link `l` of a row, that row can be computed alone (the sampler's shortcut).
public struct GatedPixelCNNLayer: Layer {
    public var vertical: MaskedConv2d
    public var horizontal: MaskedConv2d
    public var verticalToHorizontal: Conv2d
    public var horizontalOutput: Conv2d
    public var skip: Conv2d
    /// Per-class biases of the vertical and horizontal gates, (numClasses, 2C); nil when unconditional.
    public var verticalCondition: Tensor?
    public var horizontalCondition: Tensor?
    /// The 1 × 1 convolutions of the context features into the vertical and horizontal gates, (2C, C, 1, 1);
    /// nil without a context map.
    public var verticalContext: Conv2d?
    public var horizontalContext: Conv2d?
    /// The first layer: mask 'A' and no residual connection.
    public let isFirst: Bool

    public init(channels c: Int, kernelSize k: Int, isFirst: Bool, numClasses: Int, hasContext: Bool = false,
                generator: inout RandomGenerator) {
        self.isFirst = isFirst
        vertical = MaskedConv2d(inputChannels: c, outputChannels: 2 * c,
                                mask: PixelCNNMasks.vertical(outputChannels: 2 * c, inputChannels: c, kernelSize: k),
                                padding: HeightWidth(k / 2), generator: &generator)
        horizontal = MaskedConv2d(inputChannels: c, outputChannels: 2 * c,
                                  mask: PixelCNNMasks.horizontal(outputChannels: 2 * c, inputChannels: c, kernelSize: k,
                                                                 excludingCentre: isFirst),
                                  padding: HeightWidth(0, k / 2), generator: &generator)
        verticalToHorizontal = Conv2d(inputChannels: 2 * c, outputChannels: 2 * c, kernelSize: 1, generator: &generator)
        horizontalOutput = Conv2d(inputChannels: c, outputChannels: c, kernelSize: 1, generator: &generator)
        skip = Conv2d(inputChannels: c, outputChannels: c, kernelSize: 1, generator: &generator)
        verticalCondition = numClasses > 0 ? Tensor(zeros: [numClasses, 2 * c]) : nil
        horizontalCondition = numClasses > 0 ? Tensor(zeros: [numClasses, 2 * c]) : nil
        if hasContext {
            verticalContext = Conv2d(inputChannels: c, outputChannels: 2 * c, kernelSize: 1, generator: &generator)
            horizontalContext = Conv2d(inputChannels: c, outputChannels: 2 * c, kernelSize: 1, generator: &generator)
        }
    }

    /// The vertical stack: input (N, C, H, W) and context features (N, C, H, W) → its output
    /// (N, C, H, W) and the link into the horizontal stack (N, 2C, H, W), which at row r depends only on
    /// rows < r of the input.
    public func verticalStep(_ input: Tensor, labels: [Int32]?, features: Tensor? = nil) -> (output: Tensor, link: Tensor) {
        let preActivation = GatedPixelCNNLayer.withContext(GatedPixelCNNLayer.conditioned(vertical(input), verticalCondition, labels),
                                                           verticalContext, features)
        return (GatedPixelCNNLayer.gate(preActivation), verticalToHorizontal(preActivation.shifted(alongAxis: 2, by: 1)))
    }

    /// The horizontal stack: input (N, C, H, W), the link from `verticalStep` (N, 2C, H, W) and context
    /// features (N, C, H, W) → its output (N, C, H, W) and the skip contribution (N, C, H, W).
    public func horizontalStep(_ input: Tensor, link: Tensor, labels: [Int32]?, features: Tensor? = nil) -> (output: Tensor, skip: Tensor) {
        let preActivation = GatedPixelCNNLayer.withContext(
            GatedPixelCNNLayer.conditioned(horizontal(input) + link, horizontalCondition, labels), horizontalContext, features)
        let gated = GatedPixelCNNLayer.gate(preActivation)
        let output = horizontalOutput(gated)
        return (isFirst ? output : output + input, skip(gated))
    }

    /// tanh of the first half of the channels times the sigmoid of the second: (N, 2C, H, W) → (N, C, H, W)
    /// (`Tensor.gatedActivation`, one op with the bits of the sliced composition).
    static func gate(_ x: Tensor) -> Tensor { x.gatedActivation() }

    /// `x` (N, 2C, H, W) plus the row of `table` (classes, 2C) for each item's label, broadcast over H, W.
    static func conditioned(_ x: Tensor, _ table: Tensor?, _ labels: [Int32]?) -> Tensor {
        guard let table else { return x }
        guard let labels else { preconditionFailure("GatedPixelCNNLayer: a class-conditional prior needs labels") }
        precondition(labels.count == x.shape[0], "GatedPixelCNNLayer: \(labels.count) labels for a batch of \(x.shape[0])")
        return x + table.gathered(rows: labels).reshaped(to: [labels.count, table.shape[1], 1, 1])
    }

    /// `x` (N, 2C, H, W) plus `gate`(`features`) when the layer has a context gate; `features` are
    /// required exactly then.
    static func withContext(_ x: Tensor, _ gate: Conv2d?, _ features: Tensor?) -> Tensor {
        guard let gate else { return x }
        guard let features else { preconditionFailure("GatedPixelCNNLayer: a prior with a context map needs its features") }
        return x + gate(features)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&vertical, named: "vertical", body)
        visit(&horizontal, named: "horizontal", body)
        visit(&verticalToHorizontal, named: "vertical_to_horizontal", body)
        visit(&horizontalOutput, named: "horizontal_output", body)
        visit(&skip, named: "skip", body)
        if verticalCondition != nil { body("vertical_condition", &verticalCondition!) }
        if horizontalCondition != nil { body("horizontal_condition", &horizontalCondition!) }
        if verticalContext != nil { visit(&verticalContext!, named: "vertical_context", body) }
        if horizontalContext != nil { visit(&horizontalContext!, named: "horizontal_context", body) }
    }
}
