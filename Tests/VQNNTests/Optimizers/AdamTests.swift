import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// Expected values from PyTorch 2.13:
/// ```python
/// p = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
/// opt = torch.optim.Adam([p], lr=0.1, weight_decay=0.1)   # or torch.optim.AdamW(...)
/// for t in range(3):
///     opt.zero_grad(); ((p ** 2 * torch.tensor([1.0, 2.0, 3.0])).sum() + p[0]).backward(); opt.step()
/// ```
@Suite struct AdamTests {
    struct Single: Layer {
        var value: Tensor
        mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) { body("value", &value) }
    }

    /// The gradient of Σ cᵢpᵢ² + p₀ with c = (1, 2, 3), written out.
    func gradient(_ p: Tensor) -> Tensor {
        let v = p.scalars
        return Tensor(shape: [3], scalars: [2 * v[0] + 1, 4 * v[1], 6 * v[2]])
    }

    func run(_ optimizer: inout Adam) -> [Float] {
        var model = Single(value: Tensor(shape: [3], scalars: [1, -2, 0.5]))
        for _ in 0..<3 { optimizer.update(&model, gradients: [gradient(model.value)]) }
        #expect(optimizer.step == 3)
        return model.value.scalars
    }

    @Test func adamWithL2PenaltyMatchesPyTorch() {
        var adam = Adam(learningRate: 0.1, weightDecay: 0.1)
        expectClose(run(&adam), [0.7009222507476807, -1.7006233930587769, 0.204871267080307], absolute: 1e-6, relative: 1e-5)
    }

    @Test func adamWMatchesPyTorch() {
        var adamW = Adam.adamW(learningRate: 0.1, weightDecay: 0.1)
        expectClose(run(&adamW), [0.6743071675300598, -1.6443686485290527, 0.19341561198234558], absolute: 1e-6, relative: 1e-5)
    }

    @Test func layerNamesAndWatching() {
        var model = Single(value: Tensor(shape: [2], scalars: [1, 2]))
        #expect(model.parameterNames == ["value"] && model.parameterCount == 2)
        let tape = Tape()
        model.watchParameters(on: tape)
        #expect(model.value.isTracked && tape.count == 1)
    }
}
