import Foundation
import Testing
import VQEngine
@testable import vqvae

/// `vqvae bench conv --json` lines are read by Scripts/bench/conv_compare.py: each must be valid JSON
/// with the keys the script uses.
@Suite struct BenchConvCommandTests {
    @Test func jsonLinesParseWithTheShapesAsNumbers() throws {
        let layer = SonnetConvolution.layers(channels: 1, size: 28).first { $0.name == "encoder.conv3" }!
        let measurement = layer.measure(batch: 2, warmup: 0, repeats: 1)
        let line = measurement.jsonLine(strategy: .parallelOverBatch, repeats: 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        // encoder.conv3 on a 1×28×28 input: 128 → 128 channels on 7×7 maps, 3×3 taps.
        #expect(object["input_shape"] as? [Int] == [2, 128, 7, 7])
        #expect(object["weight_shape"] as? [Int] == [128, 128, 3, 3])
        for key in ["image", "layer", "op", "forward_ms", "backward_ms"] { #expect(object[key] != nil, "\(key)") }
        // A 3×3 stride-1 layer with 128 channels each side: Winograd's, unless turned off.
        #expect(object["algorithm"] as? String == "winograd")
        let im2col = Winograd.$isEnabled.withValue(false) { layer.measure(batch: 2, warmup: 0, repeats: 1) }
        #expect(im2col.algorithm == "im2col")
        // The 4×4 stride-2 layers go through it too (their four phases); the 1×1 and 1-channel ones do not.
        let layers = SonnetConvolution.layers(channels: 1, size: 28)
        let winograd = layers.filter { $0.usesWinograd(batch: 2) }.map(\.name)
        #expect(winograd == ["encoder.conv2", "encoder.conv3", "residual.conv3x3", "decoder.conv1", "decoder.transposed1"])
    }
}
