import Testing
import VQEngine
import _VQTestSupport

@Suite struct GradientReversalTests {
    /// Forward: the input's bits. Backward: the seed times −scale (−0.5 · [1, −2, 4, 0.25] by hand).
    @Test func identityForwardNegatedScaledBackward() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [2, 2], scalars: [3, -1, 0.125, 7]))
        let y = x.reversingGradient(scale: 0.5)
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern))
        let seed = Tensor(shape: [2, 2], scalars: [1, -2, 4, 0.25])
        #expect(tape.gradients(of: y, seed: seed, withRespectTo: [x])[0].scalars == [-0.5, 1, -2, -0.125])
    }

    /// In a chain w → x·w → reversed → squared sum, the gradient reaching w is −scale times the one
    /// without the reversal (d/dw Σ(x·w)² = 2Σx²·w = 2·(1 + 4)·3 = 30 by hand, so −30·scale).
    @Test func flipsTheGradientOfWhatComesBefore() {
        let x = Tensor(shape: [2], scalars: [1, 2])
        func gradient(scale: Float?) -> Float {
            let tape = Tape()
            let w = tape.watch(Tensor(3))
            var product = x * w
            if let scale { product = product.reversingGradient(scale: scale) }
            return tape.gradients(of: product.squared().sum(), withRespectTo: [w])[0].item
        }
        #expect(gradient(scale: nil) == 30)
        #expect(gradient(scale: 0.25) == -7.5)
        #expect(gradient(scale: 0) == 0)
    }

    /// Nothing is recorded when nothing is watched: inference pays only for sharing the storage.
    @Test func untrackedInputStaysUntracked() {
        let y = Tensor(shape: [3], scalars: [1, 2, 3]).reversingGradient(scale: 1)
        #expect(!y.isTracked)
        #expect(y.scalars == [1, 2, 3])
    }
}
