import Testing
import VQEngine

@Suite struct InitializerTests {
    @Test func sameSeedSameTensor() {
        var first = RandomGenerator(seed: 4), second = RandomGenerator(seed: 4)
        #expect(Tensor(normal: [3, 5], generator: &first).scalars == Tensor(normal: [3, 5], generator: &second).scalars)
    }

    /// Bounds from the definitions: kaiming uniform b = gain·√(3/fanIn); PyTorch's conv default uses
    /// gain √(1/3), so b = 1/√fanIn (torch.nn.init.kaiming_uniform_ with a=√5).
    @Test func kaimingUniformBounds() {
        var generator = RandomGenerator(seed: 1)
        let pytorchDefault = Tensor(kaimingUniform: [64, 3, 4, 4], fanIn: 48, gain: (Float(1) / 3).squareRoot(), generator: &generator)
        let bound = 1 / Float(48).squareRoot()
        #expect(pytorchDefault.scalars.allSatisfy { abs($0) <= bound })
        #expect(pytorchDefault.scalars.max()! > 0.95 * bound)
        let he = Tensor(kaimingUniform: [10_000], fanIn: 50, generator: &generator)
        #expect(he.scalars.allSatisfy { abs($0) <= (6 / Float(50)).squareRoot() })
    }

    /// Sample standard deviations within 3% of the definitions (n = 40 000: standard error ≈ 0.35%).
    @Test func normalInitialisersHaveTheirDeviation() {
        var generator = RandomGenerator(seed: 2)
        func deviation(_ t: Tensor) -> Float {
            let mean = t.scalars.reduce(0, +) / Float(t.count)
            return (t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)).squareRoot()
        }
        let kaiming = Tensor(kaimingNormal: [200, 200], fanIn: 100, generator: &generator)
        #expect(abs(deviation(kaiming) / (Float(2) / 100).squareRoot() - 1) < 0.03)
        let glorot = Tensor(glorotNormal: [200, 200], fanIn: 30, fanOut: 70, generator: &generator)
        #expect(abs(deviation(glorot) / (Float(2) / 100).squareRoot() - 1) < 0.03)
        let glorotUniform = Tensor(glorotUniform: [200, 200], fanIn: 30, fanOut: 70, generator: &generator)
        #expect(abs(deviation(glorotUniform) / ((Float(6) / 100).squareRoot() / Float(3).squareRoot()) - 1) < 0.03)
    }
}
