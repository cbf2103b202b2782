import Testing
import VQEngine
import _VQTestSupport

@Suite struct ShiftTests {
    private func counting(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (1...shape.reduce(1, *)).map(Float.init))
    }

    /// (1, 1, 3, 2) holding 1…6 shifted down one row: [0, 0, 1, 2, 3, 4]; up one row: [3, 4, 5, 6, 0, 0];
    /// right along the last axis: [0, 1, 0, 3, 0, 5].
    @Test func shiftsByHand() {
        let x = counting([1, 1, 3, 2])
        #expect(x.shifted(alongAxis: 2, by: 1).scalars == [0, 0, 1, 2, 3, 4])
        #expect(x.shifted(alongAxis: 2, by: -1).scalars == [3, 4, 5, 6, 0, 0])
        #expect(x.shifted(alongAxis: -1, by: 1).scalars == [0, 1, 0, 3, 0, 5])
        #expect(x.shifted(alongAxis: 2, by: 0).scalars == x.scalars)
        #expect(x.shifted(alongAxis: 2, by: 3).scalars == [0, 0, 0, 0, 0, 0])
        #expect(x.shifted(alongAxis: 2, by: 1).shape == [1, 1, 3, 2])
    }

    /// Two batch items and two channels: each (item, channel) plane moves on its own.
    @Test func shiftsEachPlaneSeparately() {
        let x = counting([2, 2, 2, 1])  // planes [1, 2], [3, 4], [5, 6], [7, 8]
        #expect(x.shifted(alongAxis: 2, by: 1).scalars == [0, 1, 0, 3, 0, 5, 0, 7])
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 31)
        let x = Tensor(uniform: [2, 3, 4, 5], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "shift down") { $0[0].shifted(alongAxis: 2, by: 1) * $0[0] }
        expectGradientsMatchFiniteDifferences([x], "shift left by 2") { $0[0].shifted(alongAxis: 3, by: -2).tanh() }
    }

    @Test func rejectsAnAxisOutOfRange() {
        #expect(throws: ShapeError.self) { try Tensor.shiftShapes([2, 3], alongAxis: 2) }
        #expect((try? Tensor.shiftShapes([2, 3], alongAxis: -1)) == 1)
    }
}
