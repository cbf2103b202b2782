import ArgumentParser
import Foundation
import VQEngine

/// `vqvae bench conv`: forward and backward time of every convolution of the Sonnet VQ-VAE
/// (hidden 128, residual hidden 32, D 64), at the benchmark batch size, for 3×32×32 and 1×28×28 inputs.
/// Scripts/bench/conv_torch.py measures the same shapes with PyTorch the same way.
struct BenchConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Convolution throughput on the Sonnet VQ-VAE's shapes: forward, and backward (input and weight gradients).")

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    @Option(help: "Images per batch.")
    var batch = 32

    @Option(help: "Untimed runs before the timed ones.")
    var warmup = 2

    @Option(help: "Timed runs; the median is reported.")
    var repeats = 10

    @Option(help: "Inputs whose layers to measure: rgb32 (3x32x32), gray28 (1x28x28) or all.")
    var inputs: InputChoice = .all

    @Option(help: "How convolutions share the cores: batch, gemm, or both (each shape under each, alternating).")
    var strategy: StrategyChoice = StrategyChoice(Convolution.strategy)

    @Option(help: "Fewest columns (images x Ho x Wo) per chunk's GEMM (default: the library's).")
    var chunkColumns: Int?

    @Option(help: "Fewest tile columns per chunk's products in Winograd's convolutions (default: the library's).")
    var winogradColumns: Int?

    @Option(help: "Output tile side of Winograd's convolutions, 2 or 4 (default: the library's).")
    var winogradTile: Int?

    @Option(help: "auto (Winograd for the 3x3 layers it applies to, im2col for the rest), im2col (everywhere), or both (alternating, for the layers where they differ).")
    var algorithm: AlgorithmChoice = .auto

    @Option(help: "Only layers whose name contains this text.")
    var layer: String?

    func validate() throws {
        guard batch >= 1, repeats >= 1, warmup >= 0 else { throw ValidationError("batch and repeats must be positive, warmup not negative") }
        if let winogradTile, winogradTile != 2, winogradTile != 4 { throw ValidationError("--winograd-tile must be 2 or 4, not \(winogradTile)") }
        if let winogradColumns, winogradColumns < 1 { throw ValidationError("--winograd-columns must be positive") }
    }

    func run() throws {
        writeBenchmarkMachine()
        let layers = inputs.imageShapes.flatMap { SonnetConvolution.layers(channels: $0.channels, size: $0.size) }
            .filter { layer.map($0.name.contains) ?? true }
        if !json { print(BenchConvCommand.tableHeader) }
        for convolution in layers {
            let winogradSettings = convolution.usesWinograd(batch: batch) ? algorithm.winogradSettings : [false]
            for split in strategy.strategies {
                for winograd in winogradSettings {
                    let result = Winograd.$isEnabled.withValue(winograd) {
                      Winograd.$chunkColumns.withValue(winogradColumns ?? Winograd.chunkColumns) {
                        Winograd.$outputTile.withValue(winogradTile ?? Winograd.outputTile) {
                        Convolution.$strategy.withValue(split) {
                            Convolution.$chunkColumns.withValue(chunkColumns ?? Convolution.chunkColumns) {
                                convolution.measure(batch: batch, warmup: warmup, repeats: repeats)
                            }
                        }
                      }
                    }
                    }
                    print(json ? result.jsonLine(strategy: split, repeats: repeats) : result.tableRow(strategy: split))
                }
            }
        }
    }

    static let tableHeader =
        "input    layer                op               weight             strategy algorithm  forward ms  GFLOP/s  backward ms  GFLOP/s"
}

/// Which algorithm the 3×3 layers Winograd applies to use.
enum AlgorithmChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, im2col, both

    /// The values of `Winograd.isEnabled` to measure under.
    var winogradSettings: [Bool] {
        switch self {
        case .auto: [true]
        case .im2col: [false]
        case .both: [true, false]
        }
    }
}

/// Which inputs' layers to measure.
enum InputChoice: String, ExpressibleByArgument, CaseIterable {
    case rgb32, gray28, all

    var imageShapes: [(channels: Int, size: Int)] {
        switch self {
        case .rgb32: [(3, 32)]
        case .gray28: [(1, 28)]
        case .all: [(3, 32), (1, 28)]
        }
    }
}

/// `ConvolutionStrategy` on the command line, or both of them.
enum StrategyChoice: String, ExpressibleByArgument, CaseIterable {
    case batch, gemm, both

    init(_ strategy: ConvolutionStrategy) { self = strategy == .parallelOverBatch ? .batch : .gemm }

    var strategies: [ConvolutionStrategy] {
        switch self {
        case .batch: [.parallelOverBatch]
        case .gemm: [.parallelInsideGemm]
        case .both: [.parallelOverBatch, .parallelInsideGemm]
        }
    }
}

/// One convolution of the Sonnet VQ-VAE.
struct SonnetConvolution {
    let name: String
    let transposed: Bool
    let inputChannels: Int, outputChannels: Int
    let kernel: Int, stride: Int, padding: Int
    let bias: Bool
    /// The image the model reads, "3x32x32", and the size of this layer's input.
    let image: String
    let size: Int

    /// Encoder: c→64 4×4/2, 64→128 4×4/2, 128→128 3×3; residual 128→32 3×3, 32→128 1×1 (no bias);
    /// pre-quantizer 128→64 1×1; decoder 64→128 3×3, transposed 128→64 4×4/2 and 64→c 4×4/2.
    static func layers(channels c: Int, size s: Int) -> [SonnetConvolution] {
        let image = "\(c)x\(s)x\(s)"
        func layer(_ name: String, transposed: Bool = false, _ inputChannels: Int, _ outputChannels: Int, kernel: Int,
                   stride: Int = 1, padding: Int = 0, bias: Bool = true, size: Int) -> SonnetConvolution {
            SonnetConvolution(name: name, transposed: transposed, inputChannels: inputChannels, outputChannels: outputChannels,
                              kernel: kernel, stride: stride, padding: padding, bias: bias, image: image, size: size)
        }
        return [
            layer("encoder.conv1", c, 64, kernel: 4, stride: 2, padding: 1, size: s),
            layer("encoder.conv2", 64, 128, kernel: 4, stride: 2, padding: 1, size: s / 2),
            layer("encoder.conv3", 128, 128, kernel: 3, padding: 1, size: s / 4),
            layer("residual.conv3x3", 128, 32, kernel: 3, padding: 1, bias: false, size: s / 4),
            layer("residual.conv1x1", 32, 128, kernel: 1, bias: false, size: s / 4),
            layer("prequantizer.conv1x1", 128, 64, kernel: 1, size: s / 4),
            layer("decoder.conv1", 64, 128, kernel: 3, padding: 1, size: s / 4),
            layer("decoder.transposed1", transposed: true, 128, 64, kernel: 4, stride: 2, padding: 1, size: s / 4),
            layer("decoder.transposed2", transposed: true, 64, c, kernel: 4, stride: 2, padding: 1, size: s / 2),
        ]
    }

    var weightShape: [Int] {
        transposed ? [inputChannels, outputChannels, kernel, kernel] : [outputChannels, inputChannels, kernel, kernel]
    }

    func apply(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
        transposed ? input.convTranspose2d(weight: weight, bias: bias, stride: HeightWidth(stride), padding: HeightWidth(padding))
            : input.conv2d(weight: weight, bias: bias, stride: HeightWidth(stride), padding: HeightWidth(padding))
    }

    /// Whether this layer goes through `Winograd` when it is enabled (a transposed convolution does when
    /// the convolution it transposes does).
    func usesWinograd(batch: Int) -> Bool {
        Winograd.applies(to: geometry(batch: batch))
    }

    /// Median forward time (inference: nothing recorded) and median backward time (the tape's VJP for
    /// input, weight and bias, the forward recorded untimed before each run).
    func measure(batch: Int, warmup: Int, repeats: Int) -> ConvolutionMeasurement {
        var generator = RandomGenerator(seed: 1)
        let input = Tensor(uniform: [batch, inputChannels, size, size], low: -1, high: 1, generator: &generator)
        let weight = Tensor(uniform: weightShape, low: -0.1, high: 0.1, generator: &generator)
        let biasTensor = bias ? Tensor(uniform: [outputChannels], low: -0.1, high: 0.1, generator: &generator) : nil
        let output = apply(input, weight, biasTensor)
        let cotangent = Tensor(uniform: output.shape, low: -1, high: 1, generator: &generator)
        let forward = Benchmark.measure(warmUpRuns: warmup, runs: repeats, prepare: {}) { _ = apply(input, weight, biasTensor) }.median
        let backward = Benchmark.measure(warmUpRuns: warmup, runs: repeats, prepare: { () -> (Tape, Tensor, [Tensor]) in
            let tape = Tape()
            let watched = ([input, weight] + [biasTensor].compactMap { $0 }).map { tape.watch($0) }
            return (tape, apply(watched[0], watched[1], watched.count > 2 ? watched[2] : nil), watched)
        }) { recorded in
            _ = recorded.0.gradients(of: recorded.1, seed: cotangent, withRespectTo: recorded.2)
        }.median
        return ConvolutionMeasurement(layer: self, inputShape: input.shape, outputShape: output.shape,
                                      algorithm: Winograd.isEnabled && usesWinograd(batch: batch) ? "winograd" : "im2col",
                                      floatingPointOperations: floatingPointOperations(batch: batch),
                                      forwardSeconds: forward, backwardSeconds: backward)
    }

    /// 2·N·F·Ho·Wo·(C/groups)·kh·kw in the terms of the convolution (for a transposed one, the
    /// convolution it transposes).
    /// Winograd's convolutions do fewer multiply-adds; GFLOP/s are counted in im2col's, so they compare.
    func floatingPointOperations(batch: Int) -> Double {
        geometry(batch: batch).forwardFloatingPointOperations
    }

    func geometry(batch: Int) -> ConvolutionGeometry {
        transposed
            ? try! Tensor.convTranspose2dShapes(input: [batch, inputChannels, size, size], weight: weightShape,
                                                parameters: ConvTranspose2dParameters(stride: HeightWidth(stride), padding: HeightWidth(padding)))
            : try! Tensor.conv2dShapes(input: [batch, inputChannels, size, size], weight: weightShape,
                                       parameters: Conv2dParameters(stride: HeightWidth(stride), padding: HeightWidth(padding)))
    }
}

struct ConvolutionMeasurement {
    let layer: SonnetConvolution
    let inputShape: [Int], outputShape: [Int]
    /// "winograd" or "im2col".
    let algorithm: String
    let floatingPointOperations: Double
    let forwardSeconds: Double, backwardSeconds: Double

    var forwardGigaflops: Double { floatingPointOperations / forwardSeconds / 1e9 }
    var backwardGigaflops: Double { 2 * floatingPointOperations / backwardSeconds / 1e9 }
    var operation: String { layer.transposed ? "convTranspose2d" : "conv2d" }

    func jsonLine(strategy: ConvolutionStrategy, repeats: Int) -> String {
        func list(_ values: [Int]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
        func number(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        return "{\"bench\":\"conv\",\"engine\":\"vqengine\",\"image\":\"\(layer.image)\",\"layer\":\"\(layer.name)\","
            + "\"op\":\"\(operation)\",\"input_shape\":\(list(inputShape)),\"weight_shape\":\(list(layer.weightShape)),"
            + "\"output_shape\":\(list(outputShape)),\"stride\":\(layer.stride),\"padding\":\(layer.padding),"
            + "\"bias\":\(layer.bias),\"strategy\":\"\(strategy.rawValue)\",\"algorithm\":\"\(algorithm)\",\"gemm_kernel\":\"\(Gemm.kernelName)\","
            + "\"threads\":\(Parallel.workerCount),\"repeats\":\(repeats),"
            + "\"forward_ms\":\(number(forwardSeconds * 1e3, 3)),\"backward_ms\":\(number(backwardSeconds * 1e3, 3)),"
            + "\"forward_gflops\":\(number(forwardGigaflops, 2)),\"backward_gflops\":\(number(backwardGigaflops, 2))}"
    }

    func tableRow(strategy: ConvolutionStrategy) -> String {
        func padded(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func number(_ value: Double, _ digits: Int, _ width: Int) -> String {
            let text = String(format: "%.\(digits)f", value)
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
        return padded(layer.image, 9) + padded(layer.name, 21) + padded(operation, 17)
            + padded(layer.weightShape.map(String.init).joined(separator: "x"), 19) + padded(strategy.rawValue, 9)
            + padded(algorithm, 9)
            + number(forwardSeconds * 1e3, 2, 12) + number(forwardGigaflops, 1, 9)
            + number(backwardSeconds * 1e3, 2, 13) + number(backwardGigaflops, 1, 9)
    }
}
