import VQEngine
import VQNN

/// The encoder of the paper, for images or sequences: log₂ F strided convolutions of kernel 4, stride
/// 2 (ReLU after each; all but the last to half the hidden channels), a kernel-3 convolution, a
/// residual stack, then a 1×1 convolution to D channels (the FSQ levels' count for FSQ).
/// (N, C, H, W) → (N, D, H/F, W/F), or (N, C, T) → (N, D, T/F) with spatial rank 1.
///
/// Parameter names: `conv1` … `conv<n>` the strided layers, `conv<n+1>` the kernel-3 one (so F = 4
/// gives the names of the paper's encoder and of `torch_ref.py`: conv1, conv2, conv3), `residual`,
/// `pre_quantization`.
public struct Encoder: Layer {
    public var downsampling: [ConvNd]
    /// Residual stacks after each strided layer but the last (`stageResidualBlocks`); empty without.
    public var stages: [ResidualStack]
    public var convolution: ConvNd
    public var residualStack: ResidualStack
    public var preQuantization: ConvNd
    /// `VQVAEConfiguration.centersLatents`: subtract each item's per-channel mean over the grid.
    public let centersLatents: Bool

    public init(_ c: VQVAEConfiguration, generator: inout RandomGenerator) {
        let (h, rank, n) = (c.hiddenChannels, c.spatialRank, c.downsamplingLayers)
        centersLatents = c.centersLatents
        downsampling = (0..<n).map { index in
            ConvNd(spatialRank: rank, inputChannels: index == 0 ? c.inputChannels : h / 2,
                        outputChannels: index == n - 1 ? h : h / 2, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        }
        stages = c.stageResidualBlocks > 0 ? (1..<max(n, 1)).map { _ in
            ResidualStack(hiddenChannels: h / 2, residualChannels: max(h / 4, 1), count: c.stageResidualBlocks, spatialRank: rank,
                          dilationGrowth: c.dilationGrowth, generator: &generator)
        } : []
        convolution = ConvNd(spatialRank: rank, inputChannels: h, outputChannels: h, kernelSize: 3, padding: 1, generator: &generator)
        residualStack = ResidualStack(hiddenChannels: h, residualChannels: c.residualChannels, count: c.residualBlocks,
                                      spatialRank: rank, dilationGrowth: c.dilationGrowth, generator: &generator)
        preQuantization = ConvNd(spatialRank: rank, inputChannels: h, outputChannels: c.latentChannels, kernelSize: 1,
                                      generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        var reduced = input
        for (index, layer) in downsampling.enumerated() {
            reduced = layer(reduced).relu()
            if index < stages.count { reduced = stages[index](reduced) }
        }
        let latents = preQuantization(residualStack(convolution(reduced)))
        guard centersLatents else { return latents }
        return latents - latents.mean(alongAxes: Array(2..<latents.shape.count), keepingDimensions: true)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        for index in downsampling.indices { visit(&downsampling[index], named: "conv\(index + 1)", body) }
        for index in stages.indices { visit(&stages[index], named: "stage\(index + 1)", body) }
        visit(&convolution, named: "conv\(downsampling.count + 1)", body)
        visit(&residualStack, named: "residual", body)
        visit(&preQuantization, named: "pre_quantization", body)
    }
}

/// The decoder, mirroring the encoder: a kernel-3 convolution from D channels, a residual stack, then
/// log₂ F transposed convolutions of kernel 4, stride 2 (ReLU between; all but the last to half the
/// hidden channels, the last to the input's channels).
/// (N, D, h, w) → (N, C, F·h, F·w), or (N, D, t) → (N, C, F·t).
///
/// Conditioned (`conditionClasses` > 0), every block's input gets its label's learnt vector added:
/// each residual block's, and each transposed convolution's (`ConditionEmbedding`).
///
/// With a pitch source the last transposed convolution has one more channel per carrier: the
/// carriers' amplitudes, mixed into the waveform (`Tensor.mixed(withCarriers:)`).
///
/// Parameter names: `conv`, `residual` (with `residual.<i>.condition.table`), `conv_transpose1` …
/// `conv_transpose<n>`, `condition<i>.table` before conv_transpose<i>.
public struct Decoder: Layer {
    public var convolution: ConvNd
    public var residualStack: ResidualStack
    public var upsampling: [ConvTransposeNd]
    /// Residual stacks after each transposed layer but the last (`stageResidualBlocks`), conditioned
    /// like the main stack; empty without.
    public var stages: [ResidualStack]
    /// One table per transposed convolution, (classes, its input channels); empty when unconditional.
    public var upsamplingConditions: [ConditionEmbedding]

    public init(_ c: VQVAEConfiguration, generator: inout RandomGenerator) {
        let (h, rank, n) = (c.hiddenChannels, c.spatialRank, c.downsamplingLayers)
        convolution = ConvNd(spatialRank: rank, inputChannels: c.latentChannels, outputChannels: h, kernelSize: 3, padding: 1,
                                  generator: &generator)
        residualStack = ResidualStack(hiddenChannels: h, residualChannels: c.residualChannels, count: c.residualBlocks,
                                      spatialRank: rank, dilationGrowth: c.dilationGrowth, conditionClasses: c.conditionClasses,
                                      generator: &generator)
        upsampling = (0..<n).map { index in
            ConvTransposeNd(spatialRank: rank, inputChannels: index == 0 ? h : h / 2,
                                  outputChannels: index == n - 1 ? c.outputChannels : h / 2, kernelSize: 4, stride: 2, padding: 1,
                                  generator: &generator)
        }
        stages = c.stageResidualBlocks > 0 ? (1..<max(n, 1)).map { _ in
            ResidualStack(hiddenChannels: h / 2, residualChannels: max(h / 4, 1), count: c.stageResidualBlocks, spatialRank: rank,
                          dilationGrowth: c.dilationGrowth, conditionClasses: c.conditionClasses, generator: &generator)
        } : []
        upsamplingConditions = c.conditionClasses > 0
            ? (0..<n).map { ConditionEmbedding(classes: c.conditionClasses, channels: $0 == 0 ? h : h / 2) } : []
    }

    /// Decodes latents (N, D, grid…); `condition` holds one label per item when the decoder is conditioned;
    /// `carriers` (N, carriers, F·t), a pitch source's, are mixed by the last layer's extra channels.
    public func callAsFunction(_ input: Tensor, condition labels: [Int32]? = nil, carriers: Tensor? = nil) -> Tensor {
        var hidden = residualStack(convolution(input), condition: labels)
        for (index, layer) in upsampling.enumerated() {
            if !upsamplingConditions.isEmpty { hidden = upsamplingConditions[index](hidden, labels: labels) }
            hidden = layer(hidden)
            if index < upsampling.count - 1 { hidden = hidden.relu() }
            if index < stages.count { hidden = stages[index](hidden, condition: labels) }
        }
        return carriers.map { hidden.mixed(withCarriers: $0) } ?? hidden
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&convolution, named: "conv", body)
        visit(&residualStack, named: "residual", body)
        for index in upsampling.indices { visit(&upsampling[index], named: "conv_transpose\(index + 1)", body) }
        for index in upsamplingConditions.indices { visit(&upsamplingConditions[index], named: "condition\(index + 1)", body) }
        for index in stages.indices { visit(&stages[index], named: "stage\(index + 1)", body) }
    }
}

/// A VQ-VAE: encoder, quantizer (any `Quantizer`), decoder, over images (N, C, H, W) or sequences
/// (N, C, T).
///
/// The encoder's output (N, D, grid…) is flattened to one row per grid position, (N·positions, D),
/// channel last, for the quantizer; the quantized rows are folded back for the decoder. Indices run
/// in (item, grid position row-major, stage) order.
public struct VQVAE: Layer {
    public let configuration: VQVAEConfiguration
    public var encoder: Encoder
    public var quantizer: any Quantizer
    public var decoder: Decoder
    /// The speaker classifier trained against the encoder (`speakerAdversaryWeight` > 0), else nil.
    /// Training only; its parameters are saved with the model so a run resumes exactly.
    public var speakerAdversary: SpeakerAdversary?
    /// The STFT loss of an audio model's reconstruction loss, its DFT bases built once (nil for MSE).
    let spectralLoss: MultiResolutionSTFTLoss?
    /// The pitch tracker and carriers of a speech model with a pitch source, else nil.
    public let pitchSource: PitchSource?
    /// With a pitch source and a conditioned decoder, each speaker's mean ln F0 over its training clips'
    /// voiced frames (0: not known), (conditionClasses): where `convert(clip:to:)` moves a clip's F0.
    /// Set by `measureSpeakerPitch(on:)` before training; a buffer, saved with the model.
    public var speakerPitch: Tensor?

    /// A freshly initialised model; the same seed gives the same weights on every platform.
    public init(_ configuration: VQVAEConfiguration, generator: inout RandomGenerator) {
        precondition(configuration.problems == nil, "VQVAE: \(configuration.problems!)")
        self.configuration = configuration
        encoder = Encoder(configuration, generator: &generator)
        quantizer = configuration.quantizer.makeQuantizer(embeddingDim: configuration.latentChannels, generator: &generator)
        decoder = Decoder(configuration, generator: &generator)
        speakerAdversary = configuration.speakerAdversaryWeight > 0
            ? SpeakerAdversary(latentChannels: configuration.latentChannels, speakers: configuration.conditionClasses,
                               generator: &generator) : nil
        spectralLoss = configuration.reconstructionLoss.makeSpectralLoss()
        pitchSource = configuration.pitchSource.map { PitchSource($0, hop: configuration.downsampling) }
        speakerPitch = pitchSource != nil && configuration.conditionClasses > 0 ? Tensor(zeros: [configuration.conditionClasses]) : nil
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&encoder, named: "encoder", body)
        visit(&quantizer, named: "quantizer", body)
        visit(&decoder, named: "decoder", body)
        if speakerAdversary != nil { visit(&speakerAdversary!, named: "speaker_adversary", body) }
    }

    public mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) {
        visitBuffers(&quantizer, named: "quantizer", body)
        if speakerPitch != nil { body("speaker_pitch", &speakerPitch!) }
    }

    /// The result of one forward pass.
    public struct Output {
        /// The reconstruction, the input's shape.
        public var reconstruction: Tensor
        /// The quantizer's result: codes per stage, codebook and commitment losses, its inputs.
        public var quantization: QuantizerOutput
        /// The code grid's shape: [H/F, W/F] or [T/F].
        public var gridShape: [Int]
    }

    /// Encodes, quantizes (straight-through, the first `depth` stages, all when nil) and decodes
    /// `input` (N, C, H, W) or (N, C, T), every side divisible by F; `condition` holds one label per
    /// item for a conditioned decoder (the label decoded with, not necessarily the input's). With a pitch
    /// source, `pitch` is the F0 to decode with (N · T/F values, `PitchSource.contour`), by default the
    /// input's own.
    public func callAsFunction(_ input: Tensor, depth: Int? = nil, condition: [Int32]? = nil, pitch: [Float]? = nil) -> Output {
        let latents = encoder(checkedInput(input))
        let quantization = quantizer(VQVAE.rows(of: latents), depth: depth)
        let gridShape = Array(latents.shape.dropFirst(2))
        let carriers = pitchSource.map { source in
            source.carriers(contour: pitch ?? source.contour(ofBatch: input), items: input.shape[0], length: input.shape[2])
        }
        let reconstruction = decoder(VQVAE.latents(from: quantization.quantized, batch: input.shape[0], gridShape: gridShape),
                                     condition: checkedCondition(condition, batch: input.shape[0]), carriers: carriers)
        return Output(reconstruction: reconstruction, quantization: quantization, gridShape: gridShape)
    }

    /// The training loss: MSE(reconstruction, input) + codebook loss + β·commitment loss, with β
    /// possibly scaled by a warm-up factor in [0, 1].
    public func loss(_ output: Output, input: Tensor, commitmentScale: Float = 1) -> Tensor {
        let reconstructionLoss = Tensor.mseLoss(output.reconstruction, input)
        let beta = quantizer.commitmentCost * commitmentScale
        return reconstructionLoss + output.quantization.codebookLoss + beta * output.quantization.commitmentLoss
    }

    /// The codes of each input: N·positions·depth indices in (item, position, stage) order, with the
    /// first `depth` stages (all when nil); nothing is recorded.
    public func encode(_ input: Tensor, depth: Int? = nil) -> [Int32] {
        quantizer.encode(VQVAE.rows(of: encoder(checkedInput(input.detached()))), depth: depth)
    }

    /// Decodes `batch` code grids of `gridShape` with `depth` indices per position (from `encode`),
    /// with one label per grid for a conditioned decoder, and with a pitch source the F0 of every code
    /// (`pitch`, batch · positions values; required).
    public func decode(_ indices: [Int32], batch: Int, gridShape: [Int], depth: Int = 1, condition: [Int32]? = nil,
                       pitch: [Float]? = nil) -> Tensor {
        precondition(gridShape.count == configuration.spatialRank && indices.count == batch * gridShape.reduce(1, *) * depth,
                     "VQVAE.decode: \(indices.count) indices for \(batch) grids of \(gridShape) at depth \(depth)")
        precondition((pitchSource == nil) == (pitch == nil), "VQVAE.decode: F0 is needed exactly when the model has a pitch source")
        let carriers = pitchSource.map { source in
            source.carriers(contour: pitch!, items: batch, length: gridShape[0] * configuration.downsampling)
        }
        return decoder(VQVAE.latents(from: quantizer.decode(indices, depth: depth), batch: batch, gridShape: gridShape),
                       condition: checkedCondition(condition, batch: batch), carriers: carriers)
    }

    /// The labels for the decoder: required (one per item, each below `conditionClasses`) exactly
    /// when it is conditioned.
    func checkedCondition(_ labels: [Int32]?, batch: Int) -> [Int32]? {
        let classes = configuration.conditionClasses
        guard classes > 0 else {
            precondition(labels == nil, "VQVAE: labels given to an unconditioned decoder")
            return nil
        }
        precondition(labels?.count == batch && labels!.allSatisfy { $0 >= 0 && Int($0) < classes },
                     "VQVAE: a conditioned decoder needs \(batch) labels in 0..<\(classes)")
        return labels
    }

    /// Images from `batch` code grids of `height` × `width` single indices (an image model at depth 1).
    public func decode(_ indices: [Int32], batch: Int, height: Int, width: Int) -> Tensor {
        decode(indices, batch: batch, gridShape: [height, width])
    }

    /// The input, after checking its rank, channels and sides.
    func checkedInput(_ input: Tensor) -> Tensor {
        let c = configuration
        precondition(input.rank == c.spatialRank + 2 && input.shape[1] == c.inputChannels
                     && c.gridShape(forInput: Array(input.shape.dropFirst(2))) != nil,
                     "VQVAE: input shape \(input.shape) is not (N, \(c.inputChannels), \(c.spatialRank == 2 ? "H, W" : "T")) with sides divisible by \(c.downsampling)")
        return input
    }

    /// Latents (N, D, grid…) as rows (N·positions, D), channel last.
    static func rows(of latents: Tensor) -> Tensor {
        let d = latents.shape[1]
        let channelLast = Array(0..<latents.rank).filter { $0 != 1 } + [1]
        return latents.permuted(channelLast).reshaped(to: [-1, d])
    }

    /// Rows (N·positions, D) back to latents (N, D, grid…).
    static func latents(from rows: Tensor, batch: Int, gridShape: [Int]) -> Tensor {
        let d = rows.shape[1], rank = gridShape.count
        let channelFirst = [0, rank + 1] + Array(1...rank)
        return rows.reshaped(to: [batch] + gridShape + [d]).permuted(channelFirst)
    }
}
