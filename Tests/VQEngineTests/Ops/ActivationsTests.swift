import Testing
import VQEngine
import _VQTestSupport

@Suite struct ActivationsTests {
    /// Values worked by hand, or from the definitions (σ(1) = 1/(1+e^−1) = 0.7310586,
    /// tanh(0.5) = 0.4621172, e = 2.7182817).
    @Test func valuesByHand() {
        let x = Tensor(shape: [4], scalars: [-2, 0, 0.5, 1])
        #expect(x.relu().scalars == [0, 0, 0.5, 1])
        expectClose(x.sigmoid().scalars, [0.11920292, 0.5, 0.62245933, 0.7310586])
        expectClose(x.tanh().scalars, [-0.9640276, 0, 0.4621172, 0.7615942])
        expectClose(x.exp().scalars, [0.13533528, 1, 1.6487213, 2.7182817])
        #expect(x.squared().scalars == [4, 0, 0.25, 1])
        #expect(x.abs().scalars == [2, 0, 0.5, 1])
        #expect(x.clamped(min: -1, max: 0.75).scalars == [-1, 0, 0.5, 0.75])
        #expect(x.clamped(min: 0).scalars == [0, 0, 0.5, 1])
        #expect(x.clamped(max: 0).scalars == [-2, 0, 0, 0])
        let positive = Tensor(shape: [4], scalars: [0.25, 1, 4, 2.7182817])
        expectClose(positive.log().scalars, [-1.3862944, 0, 1.3862944, 1])
        #expect(positive.sqrt().scalars.prefix(3) == [0.5, 1, 2])
        expectClose(positive.pow(3).scalars, [0.015625, 1, 64, 20.085535])
        expectClose(positive.pow(-0.5).scalars, [2, 1, 0.5, 0.60653067])
        #expect(positive.pow(0).scalars == [1, 1, 1, 1])
    }

    /// σ(x) for |x| up to 1000 is finite and saturates cleanly: no e^1000 overflow into NaN.
    @Test func sigmoidIsStableForLargeInputs() {
        let result = Tensor(shape: [4], scalars: [-1000, -100, 100, 1000]).sigmoid().scalars
        #expect(result[0] == 0)
        #expect(result[1] > 0 && result[1] < 1e-37)  // e^−100 ≈ 3.7e−44, a subnormal Float
        #expect(result[2] == 1 && result[3] == 1)
        #expect(Tensor(-1000).exp().item == 0)
        #expect(Tensor(0).log().item == -.infinity)
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 12)
        let any = Tensor(uniform: [3, 5], low: -3, high: 3, generator: &generator)
        let positive = Tensor(uniform: [3, 5], low: 0.5, high: 2, generator: &generator)
        // Away from relu's kink at 0 and the clamp bounds ±1: |x| in [0.1, 2], |x ∓ 1| > 0.05.
        let awayFromKinks = Tensor(shape: [2, 4], scalars: [-1.7, -0.8, -0.3, -0.1, 0.1, 0.4, 0.9, 1.6])
        expectGradientsMatchFiniteDifferences([awayFromKinks], "relu") { $0[0].relu() }
        expectGradientsMatchFiniteDifferences([awayFromKinks], "abs") { $0[0].abs() }
        expectGradientsMatchFiniteDifferences([awayFromKinks], "clamped") { $0[0].clamped(min: -1, max: 1) }
        expectGradientsMatchFiniteDifferences([awayFromKinks], "clamped below") { $0[0].clamped(min: -0.5) }
        expectGradientsMatchFiniteDifferences([any], "sigmoid") { $0[0].sigmoid() }
        expectGradientsMatchFiniteDifferences([any], "tanh") { $0[0].tanh() }
        expectGradientsMatchFiniteDifferences([any], "exp") { $0[0].exp() }
        expectGradientsMatchFiniteDifferences([any], "squared") { $0[0].squared() }
        expectGradientsMatchFiniteDifferences([any], "pow 0") { $0[0].pow(0) }
        expectGradientsMatchFiniteDifferences([positive], "log") { $0[0].log() }
        expectGradientsMatchFiniteDifferences([positive], "sqrt") { $0[0].sqrt() }
        expectGradientsMatchFiniteDifferences([positive], "pow 3") { $0[0].pow(3) }
        expectGradientsMatchFiniteDifferences([positive], "pow -0.5") { $0[0].pow(-0.5) }
    }

    /// abs has gradient sign(x), 0 at 0, as PyTorch's (`torch.tensor([-2., 0., 3.], requires_grad=True).abs()`
    /// with gradient [5, 6, 7] gives x.grad [-5, 0, 7]).
    @Test func absoluteValueGradientIsTheSign() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [3], scalars: [-2, 0, 3]))
        let gradient = tape.gradients(of: x.abs(), seed: Tensor(shape: [3], scalars: [5, 6, 7]), withRespectTo: [x])[0]
        #expect(gradient.scalars == [-5, 0, 7])
    }

    /// A chain of activations differentiates through every step (the tape composes the VJPs).
    @Test func chainedActivationsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 13)
        let x = Tensor(uniform: [4, 3], low: -2, high: 2, generator: &generator)
        expectGradientsMatchFiniteDifferences([x]) { ($0[0].tanh() * $0[0].sigmoid()).exp().squared() }
    }

    /// Large tensors take the parallel map; each element must equal the one-element result.
    @Test func largeTensorsMatchElementByElement() {
        var generator = RandomGenerator(seed: 14)
        let x = Tensor(uniform: [70_001], low: -5, high: 5, generator: &generator)
        let result = x.sigmoid()
        for index in stride(from: 0, to: x.count, by: 101) {
            #expect(result[flat: index] == Tensor(x[flat: index]).sigmoid().item)
        }
    }
}
