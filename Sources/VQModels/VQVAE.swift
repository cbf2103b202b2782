import VQEngine
import VQNN

/// The encoder of the paper: two 4×4 stride-2 convolutions (ReLU after each), a 3×3 convolution, a
/// residual stack, then a 1×1 convolution to D channels. (N, C, H, W) → (N, D, H/4, W/4).
public struct Encoder: Layer {
    public var convolution1: Conv2d
    public var convolution2: Conv2d
    public var convolution3: Conv2d
    public var residualStack: ResidualStack
    public var preQuantization: Conv2d

    public init(_ c: VQVAEConfiguration, generator: inout RandomGenerator) {
        let h = c.hiddenChannels
        convolution1 = Conv2d(inputChannels: c.inputChannels, outputChannels: h / 2, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        convolution2 = Conv2d(inputChannels: h / 2, outputChannels: h, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        convolution3 = Conv2d(inputChannels: h, outputChannels: h, kernelSize: 3, padding: 1, generator: &generator)
        residualStack = ResidualStack(hiddenChannels: h, residualChannels: c.residualChannels, count: c.residualBlocks, generator: &generator)
        preQuantization = Conv2d(inputChannels: h, outputChannels: c.embeddingDim, kernelSize: 1, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let hidden = convolution3(convolution2(convolution1(input).relu()).relu())
        return preQuantization(residualStack(hidden))
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&convolution1, named: "conv1", body)
        visit(&convolution2, named: "conv2", body)
        visit(&convolution3, named: "conv3", body)
        visit(&residualStack, named: "residual", body)
        visit(&preQuantization, named: "pre_quantization", body)
    }
}

/// The decoder, mirroring the encoder: a 3×3 convolution from D channels, a residual stack, then two
/// 4×4 stride-2 transposed convolutions (ReLU between). (N, D, h, w) → (N, C, 4h, 4w).
public struct Decoder: Layer {
    public var convolution: Conv2d
    public var residualStack: ResidualStack
    public var transposed1: ConvTranspose2d
    public var transposed2: ConvTranspose2d

    public init(_ c: VQVAEConfiguration, generator: inout RandomGenerator) {
        let h = c.hiddenChannels
        convolution = Conv2d(inputChannels: c.embeddingDim, outputChannels: h, kernelSize: 3, padding: 1, generator: &generator)
        residualStack = ResidualStack(hiddenChannels: h, residualChannels: c.residualChannels, count: c.residualBlocks, generator: &generator)
        transposed1 = ConvTranspose2d(inputChannels: h, outputChannels: h / 2, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        transposed2 = ConvTranspose2d(inputChannels: h / 2, outputChannels: c.inputChannels, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        transposed2(transposed1(residualStack(convolution(input))).relu())
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&convolution, named: "conv", body)
        visit(&residualStack, named: "residual", body)
        visit(&transposed1, named: "conv_transpose1", body)
        visit(&transposed2, named: "conv_transpose2", body)
    }
}

/// A VQ-VAE: encoder, vector quantizer, decoder.
public struct VQVAE: Layer {
    public let configuration: VQVAEConfiguration
    public var encoder: Encoder
    public var quantizer: VectorQuantizer
    public var decoder: Decoder

    /// A freshly initialised model; the same seed gives the same weights on every platform.
    public init(_ configuration: VQVAEConfiguration, generator: inout RandomGenerator) {
        self.configuration = configuration
        encoder = Encoder(configuration, generator: &generator)
        let (k, d, beta) = (configuration.numEmbeddings, configuration.embeddingDim, configuration.commitmentCost)
        quantizer = configuration.movingAverageCodebook
            ? VectorQuantizer(movingAverageCodes: k, embeddingDim: d, commitmentCost: beta, decay: configuration.decay, generator: &generator)
            : VectorQuantizer(numEmbeddings: k, embeddingDim: d, commitmentCost: beta, generator: &generator)
        decoder = Decoder(configuration, generator: &generator)
    }

    public mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
        visit(&encoder, named: "encoder", body)
        visit(&quantizer, named: "quantizer", body)
        visit(&decoder, named: "decoder", body)
    }

    /// The result of one forward pass.
    public struct Output {
        /// The reconstruction, (N, C, H, W).
        public var reconstruction: Tensor
        /// The quantizer's result: codes, codebook and commitment losses, encoder outputs.
        public var quantization: VectorQuantizer.Output
    }

    /// Encodes, quantizes (straight-through) and decodes `images` (N, C, H, W), H and W divisible by 4.
    public func callAsFunction(_ images: Tensor) -> Output {
        precondition(images.rank == 4 && images.shape[1] == configuration.inputChannels
                     && images.shape[2] % 4 == 0 && images.shape[3] % 4 == 0,
                     "VQVAE: input shape \(images.shape) is not (N, \(configuration.inputChannels), H, W) with H and W divisible by 4")
        let quantization = quantizer(encoder(images))
        return Output(reconstruction: decoder(quantization.quantized), quantization: quantization)
    }

    /// The training loss: MSE(reconstruction, images) + codebook loss + β·commitment loss, with β
    /// possibly scaled by a warm-up factor in [0, 1].
    public func loss(_ output: Output, images: Tensor, commitmentScale: Float = 1) -> Tensor {
        let reconstructionLoss = Tensor.mseLoss(output.reconstruction, images)
        let beta = quantizer.commitmentCost * commitmentScale
        return reconstructionLoss + output.quantization.codebookLoss + beta * output.quantization.commitmentLoss
    }

    /// The code grid of each image: (N, H/4, W/4) indices in row-major order; nothing is recorded.
    public func encode(_ images: Tensor) -> [Int32] { quantizer.encode(encoder(images.detached())) }

    /// Images from a code grid of `batch` × `height` × `width` indices.
    public func decode(_ indices: [Int32], batch: Int, height: Int, width: Int) -> Tensor {
        decoder(quantizer.decodeCodes(indices, batch: batch, height: height, width: width))
    }
}
