import Testing
import VQEngine
import _VQTestSupport

@Suite struct GatedActivationTests {
    /// tanh(a)·σ(b) by hand: tanh(0.5)·σ(1) = 0.4621172 · 0.7310586 = 0.3378350; tanh(−2)·σ(0) =
    /// −0.9640276 · 0.5 = −0.4820138. Shape (1, 2, 2): channel 0 holds a, channel 1 holds b.
    @Test func valuesByHand() {
        let x = Tensor(shape: [1, 2, 2], scalars: [0.5, -2, 1, 0])
        let y = x.gatedActivation()
        #expect(y.shape == [1, 1, 2])
        expectClose(y.scalars, [0.3378350, -0.4820138])
    }

    /// The fused op gives the bits of the composition it replaces (slices, tanh, sigmoid, product),
    /// forward and backward, on an odd (N, 2C, H, W) shape and on a batch large enough to be split
    /// across the cores.
    @Test(arguments: [[3, 10, 5, 7], [32, 64, 7, 7]])
    func sameBitsAsTheComposition(shape: [Int]) {
        var generator = RandomGenerator(seed: 21)
        let input = Tensor(uniform: shape, low: -4, high: 4, generator: &generator)
        var halfShape = shape
        halfShape[1] /= 2
        let seed = Tensor(uniform: halfShape, low: -1, high: 1, generator: &generator)
        let c = shape[1] / 2
        func run(_ body: (Tensor) -> Tensor) -> (output: [Float], gradient: [Float]) {
            let tape = Tape()
            let x = tape.watch(input)
            let y = body(x)
            return (y.scalars, tape.gradients(of: y, seed: seed, withRespectTo: [x])[0].scalars)
        }
        let fused = run { $0.gatedActivation() }
        let composed = run { $0.sliced(alongAxis: 1, 0..<c).tanh() * $0.sliced(alongAxis: 1, c..<(2 * c)).sigmoid() }
        #expect(fused.output.map(\.bitPattern) == composed.output.map(\.bitPattern))
        #expect(fused.gradient.map(\.bitPattern) == composed.gradient.map(\.bitPattern))
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 22)
        let x = Tensor(uniform: [2, 6, 3], low: -2, high: 2, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "gatedActivation") { $0[0].gatedActivation() }
    }
}
