/// The reference twin of the im2col + GEMM convolutions (`Convolution`): direct loops over every
/// image, filter, output pixel, channel and kernel tap, accumulating in `Double`. Slow and obvious; the
/// tests compare the fast path against it on odd shapes.
///
/// All take and return raw tensors (nothing is recorded) with sizes from a `ConvolutionGeometry`.
public enum ConvolutionNaive {
    /// input (N, C, H, W), weight (F, C/groups, kh, kw), bias (F) → output (N, F, Ho, Wo).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        let x = input.scalars, w = weight.scalars, b = bias?.scalars
        var output = [Float](repeating: 0, count: g.outputShape.reduce(1, *))
        for n in 0..<g.batch {
            for f in 0..<g.outputChannels {
                for y in 0..<g.outputHeight {
                    for xo in 0..<g.outputWidth {
                        var sum = Double(b?[f] ?? 0)
                        forEachTap(of: f, y: y, x: xo, g) { inputOffset, weightIndex in
                            sum += Double(x[n * g.inputChannels * g.inputArea + inputOffset]) * Double(w[weightIndex])
                        }
                        output[((n * g.outputChannels + f) * g.outputHeight + y) * g.outputWidth + xo] = Float(sum)
                    }
                }
            }
        }
        return Tensor(shape: g.outputShape, scalars: output)
    }

    /// outputGradient (N, F, Ho, Wo), weight (F, C/groups, kh, kw) → input gradient (N, C, H, W):
    /// each output gradient spread back over the pixels it was computed from.
    public static func inputGradient(outputGradient: Tensor, weight: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        let dy = outputGradient.scalars, w = weight.scalars
        var inputGradient = [Double](repeating: 0, count: g.inputShape.reduce(1, *))
        for n in 0..<g.batch {
            for f in 0..<g.outputChannels {
                for y in 0..<g.outputHeight {
                    for xo in 0..<g.outputWidth {
                        let gradient = Double(dy[((n * g.outputChannels + f) * g.outputHeight + y) * g.outputWidth + xo])
                        forEachTap(of: f, y: y, x: xo, g) { inputOffset, weightIndex in
                            inputGradient[n * g.inputChannels * g.inputArea + inputOffset] += gradient * Double(w[weightIndex])
                        }
                    }
                }
            }
        }
        return Tensor(shape: g.inputShape, scalars: inputGradient.map { Float($0) })
    }

    /// input (N, C, H, W), outputGradient (N, F, Ho, Wo) → weight gradient (F, C/groups, kh, kw).
    public static func weightGradient(input: Tensor, outputGradient: Tensor, geometry g: ConvolutionGeometry) -> Tensor {
        let x = input.scalars, dy = outputGradient.scalars
        var weightGradient = [Double](repeating: 0, count: g.weightShape.reduce(1, *))
        for n in 0..<g.batch {
            for f in 0..<g.outputChannels {
                for y in 0..<g.outputHeight {
                    for xo in 0..<g.outputWidth {
                        let gradient = Double(dy[((n * g.outputChannels + f) * g.outputHeight + y) * g.outputWidth + xo])
                        forEachTap(of: f, y: y, x: xo, g) { inputOffset, weightIndex in
                            weightGradient[weightIndex] += gradient * Double(x[n * g.inputChannels * g.inputArea + inputOffset])
                        }
                    }
                }
            }
        }
        return Tensor(shape: g.weightShape, scalars: weightGradient.map { Float($0) })
    }

    /// The transposed convolution: input (N, F, Ho, Wo), weight (F, C/groups, kh, kw), bias (C) →
    /// output (N, C, H, W), in the geometry's terms (see `ConvolutionGeometry`). It is the convolution's
    /// input gradient with the transposed convolution's input as the output gradient, plus the bias.
    public static func transposedForward(input: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry) -> Tensor {
        var output = inputGradient(outputGradient: input, weight: weight, geometry: g)
        guard let bias else { return output }
        output.withUnsafeMutableBufferPointer { y in
            for index in y.indices { y[index] += bias[flat: index / g.inputArea % g.inputChannels] }
        }
        return output
    }

    /// Calls `body(inputOffset, weightIndex)` for every kernel tap of filter f at output pixel (y, x)
    /// that falls inside the image: the 3 innermost of the 7 loops. `inputOffset` is the pixel's flat
    /// index within one image (C, H, W).
    @inline(__always)
    static func forEachTap(of f: Int, y: Int, x: Int, _ g: ConvolutionGeometry, _ body: (Int, Int) -> Void) {
        let group = f / g.outputChannelsPerGroup
        for c in 0..<g.inputChannelsPerGroup {
            let channel = group * g.inputChannelsPerGroup + c
            for i in 0..<g.kernelHeight {
                let row = y * g.stride.height - g.padding.height + i * g.dilation.height
                guard row >= 0, row < g.inputHeight else { continue }
                for j in 0..<g.kernelWidth {
                    let column = x * g.stride.width - g.padding.width + j * g.dilation.width
                    guard column >= 0, column < g.inputWidth else { continue }
                    body((channel * g.inputHeight + row) * g.inputWidth + column,
                         ((f * g.inputChannelsPerGroup + c) * g.kernelHeight + i) * g.kernelWidth + j)
                }
            }
        }
    }
}
