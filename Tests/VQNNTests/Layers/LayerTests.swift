import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct LayerTests {
    /// PyTorch's default: U(−1/√fanIn, 1/√fanIn) for weight and bias; Conv2d fanIn = in/groups·kh·kw,
    /// ConvTranspose2d fanIn = out/groups·kh·kw (PyTorch reads it from the weight's second dimension).
    @Test func defaultInitialisationBounds() {
        var generator = RandomGenerator(seed: 11)
        let cases: [(weight: Tensor, bias: Tensor, shape: [Int], bound: Float)] = [
            { let c = Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, generator: &generator)
              return (c.weight, c.bias!, [16, 3, 3, 3], 1 / Float(27).squareRoot()) }(),
            { let c = Conv2d(inputChannels: 4, outputChannels: 32, kernelSize: 2, groups: 2, generator: &generator)
              return (c.weight, c.bias!, [32, 2, 2, 2], 1 / Float(8).squareRoot()) }(),
            { let c = ConvTranspose2d(inputChannels: 3, outputChannels: 8, kernelSize: 4, stride: 2, generator: &generator)
              return (c.weight, c.bias!, [3, 8, 4, 4], 1 / Float(128).squareRoot()) }(),
        ]
        for (weight, bias, shape, bound) in cases {
            #expect(weight.shape == shape)
            let values = weight.scalars + bias.scalars
            #expect(values.allSatisfy { abs($0) <= bound }, "bound \(bound)")
            // The draws fill the range: the largest magnitude is near the bound, not far inside it.
            #expect(values.map(abs).max()! > 0.9 * bound, "bound \(bound)")
        }
        let noBias = Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 1, bias: false, generator: &generator)
        #expect(noBias.parameterNames == ["weight"])
    }

    @Test func loadParametersReplacesEveryParameter() throws {
        var generator = RandomGenerator(seed: 1)
        var block = ResidualBlock(hiddenChannels: 2, residualChannels: 1, generator: &generator)
        #expect(block.parameterNames == ["conv3x3.weight", "conv1x1.weight"])
        let loaded = ["conv3x3.weight": Tensor(repeating: 0.5, shape: [1, 2, 3, 3]),
                      "conv1x1.weight": Tensor(repeating: -1, shape: [2, 1, 1, 1]),
                      "unrelated": Tensor(0)]
        try block.loadParameters(from: loaded)
        #expect(block.convolution3x3.weight.scalars == [Float](repeating: 0.5, count: 18))
        #expect(block.convolution1x1.weight.scalars == [-1, -1])
    }

    @Test func loadParametersNamesAMissingTensorOrAWrongShapeAndChangesNothing() {
        var generator = RandomGenerator(seed: 1)
        var block = ResidualBlock(hiddenChannels: 2, residualChannels: 1, generator: &generator)
        let original = block.parameters.map(\.scalars)
        #expect(throws: ParameterLoadingError(
            "loadParameters: conv3x3.weight has shape [1, 2, 1, 1], the layer expects [1, 2, 3, 3]; conv1x1.weight is missing")) {
            try block.loadParameters(from: ["conv3x3.weight": Tensor(zeros: [1, 2, 1, 1])])
        }
        #expect(block.parameters.map(\.scalars) == original)
    }

    // MARK: Buffers

    /// A layer with one parameter and two buffers, and one that holds it under `inner`.
    struct Normalizer: Layer {
        var weight = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var runningMean = Tensor(shape: [2], scalars: [0.5, -0.5])
        var steps = Tensor(shape: [1], scalars: [7])

        mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) { body("weight", &weight) }
        mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) {
            body("running_mean", &runningMean)
            body("steps", &steps)
        }
    }

    struct Outer: Layer {
        var inner = Normalizer()
        var bias = Tensor(shape: [1], scalars: [9])

        mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) {
            visit(&inner, named: "inner", body)
            body("bias", &bias)
        }
        mutating func forEachBuffer(_ body: (String, inout Tensor) -> Void) { visitBuffers(&inner, named: "inner", body) }
    }

    static func snapshot(_ layer: Outer) -> [String: [Float]] { layer.namedTensors.mapValues(\.scalars) }

    /// `namedTensors` holds every parameter and every buffer under its dotted name; buffers are not
    /// parameters (an optimizer never sees them).
    @Test func namedTensorsHoldParametersAndBuffers() {
        let layer = Outer()
        #expect(layer.parameterNames == ["inner.weight", "bias"])
        #expect(layer.bufferNames == ["inner.running_mean", "inner.steps"])
        #expect(Self.snapshot(layer) == ["inner.weight": [1, 2, 3, 4], "bias": [9],
                                         "inner.running_mean": [0.5, -0.5], "inner.steps": [7]])
        #expect(layer.namedTensors["inner.weight"]?.shape == [2, 2])
        #expect(layer.parameterCount == 5)
    }

    @Test func loadNamedTensorsRestoresParametersAndBuffers() throws {
        var layer = Outer()
        try layer.loadNamedTensors(["inner.weight": Tensor(repeating: -1, shape: [2, 2]), "bias": Tensor(shape: [1], scalars: [3]),
                                    "inner.running_mean": Tensor(shape: [2], scalars: [4, 5]),
                                    "inner.steps": Tensor(shape: [1], scalars: [100]), "unrelated": Tensor(0)])
        #expect(Self.snapshot(layer) == ["inner.weight": [-1, -1, -1, -1], "bias": [3],
                                         "inner.running_mean": [4, 5], "inner.steps": [100]])
        // A layer's tensors round-trip through another's.
        var other = Outer()
        try other.loadNamedTensors(layer.namedTensors)
        #expect(Self.snapshot(other) == Self.snapshot(layer))
    }

    /// Every problem is named, parameters first then buffers, in visiting order; nothing changes.
    @Test func loadNamedTensorsNamesEveryProblemAndChangesNothing() {
        var layer = Outer()
        let original = Self.snapshot(layer)
        #expect(throws: ParameterLoadingError(
            "inner.weight is missing; bias has shape [2], the model expects [1]; "
            + "inner.running_mean has shape [3], the model expects [2]; inner.steps is missing")) {
            try layer.loadNamedTensors(["bias": Tensor(zeros: [2]), "inner.running_mean": Tensor(zeros: [3])])
        }
        #expect(Self.snapshot(layer) == original)
        // One missing buffer among correct tensors is enough to change nothing.
        #expect(throws: ParameterLoadingError("inner.steps is missing")) {
            try layer.loadNamedTensors(["inner.weight": Tensor(zeros: [2, 2]), "bias": Tensor(zeros: [1]),
                                        "inner.running_mean": Tensor(zeros: [2])])
        }
        #expect(Self.snapshot(layer) == original)
    }

    /// An optional buffer may be absent (it keeps its value), but not misshapen; a parameter is never
    /// optional, even when named in the set.
    @Test func optionalBuffersMayBeAbsent() throws {
        var layer = Outer()
        let everything: [String: Tensor] = ["inner.weight": Tensor(zeros: [2, 2]), "bias": Tensor(zeros: [1]),
                                            "inner.running_mean": Tensor(zeros: [2])]
        try layer.loadNamedTensors(everything, optionalBuffers: ["inner.steps"])
        #expect(Self.snapshot(layer) == ["inner.weight": [0, 0, 0, 0], "bias": [0], "inner.running_mean": [0, 0], "inner.steps": [7]])

        var fresh = Outer()
        #expect(throws: ParameterLoadingError("inner.steps has shape [2], the model expects [1]")) {
            try fresh.loadNamedTensors(everything.merging(["inner.steps": Tensor(zeros: [2])]) { $1 }, optionalBuffers: ["inner.steps"])
        }
        #expect(throws: ParameterLoadingError("bias is missing")) {
            try fresh.loadNamedTensors(everything.filter { $0.key != "bias" }, optionalBuffers: ["bias", "inner.steps"])
        }
        #expect(Self.snapshot(fresh) == Self.snapshot(Outer()))
    }
}
