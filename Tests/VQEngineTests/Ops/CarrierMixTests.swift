import Testing
import VQEngine
import _VQTestSupport

@Suite struct CarrierMixTests {
    /// y = x₀ + Σ_c x_{1+c}·e_c, by hand: item 0, t 0: 1 + 2·0.5 + 3·(−1) = −1; t 1: −1 + 0·4 + 0.5·2 = 0;
    /// item 1, t 0: 2 + 1·1 + 1·1 = 4; t 1: 0 + (−2)·0.25 + 4·0 = −0.5.
    @Test func valuesByHand() {
        let amplitudes = Tensor(shape: [2, 3, 2], scalars: [1, -1, 2, 0, 3, 0.5,
                                                           2, 0, 1, -2, 1, 4])
        let carriers = Tensor(shape: [2, 2, 2], scalars: [0.5, 4, -1, 2,
                                                         1, 0.25, 1, 0])
        let y = amplitudes.mixed(withCarriers: carriers)
        #expect(y.shape == [2, 1, 2])
        #expect(y.scalars == [-1, 0, 4, -0.5])
    }

    /// The gradient against central differences on odd sizes (3 items, 5 carriers, 7 samples).
    @Test func gradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 11)
        let amplitudes = Tensor(uniform: [3, 6, 7], low: -1, high: 1, generator: &generator)
        let carriers = Tensor(uniform: [3, 5, 7], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([amplitudes], "mixed(withCarriers:)") { $0[0].mixed(withCarriers: carriers) }
    }
}
