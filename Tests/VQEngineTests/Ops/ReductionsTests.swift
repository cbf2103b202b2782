import Testing
import VQEngine
import _VQTestSupport

@Suite struct ReductionsTests {
    /// [[1, 2, 3], [4, 5, 6]], reduced by hand.
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])

    @Test func sumsAndMeansByHand() {
        #expect(a.sum().shape == [])
        #expect(a.sum().item == 21)
        #expect(a.mean().item == 3.5)
        #expect(a.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(a.sum(alongAxes: [1]).scalars == [6, 15])
        #expect(a.sum(alongAxes: [-1]).scalars == [6, 15])
        #expect(a.sum(alongAxes: [-1], keepingDimensions: true).shape == [2, 1])
        #expect(a.sum(alongAxes: [0, 1]).shape == [])
        #expect(a.sum(alongAxes: [1, 0], keepingDimensions: true).shape == [1, 1])
        #expect(a.sum(alongAxes: []).scalars == a.scalars)
        #expect(a.mean(alongAxes: [0]).scalars == [2.5, 3.5, 4.5])
        #expect(a.mean(alongAxes: [-1], keepingDimensions: true).scalars == [2, 5])
        #expect(a.mean(alongAxes: [-1], keepingDimensions: true).shape == [2, 1])
    }

    /// (2, 3, 2) of 0…11 summed over axes 0 and 2: entry j collects 2j, 2j+1, 6+2j, 7+2j = 8j + 14.
    @Test func sumOverOuterAndInnerAxesByHand() {
        let x = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        #expect(x.sum(alongAxes: [0, -1]).scalars == [14, 22, 30])
        #expect(x.mean(alongAxes: [0, 2]).scalars == [3.5, 5.5, 7.5])
    }

    /// ‖[[1, 2, 3], [4, 5, 6]]‖ = √91; its gradient x/‖x‖, and 0 (not NaN) at the zero tensor, as
    /// PyTorch's `torch.zeros(2, 3, requires_grad=True).norm().backward()` gives zeros.
    @Test func normByHand() {
        #expect(a.norm().shape == [])
        #expect(a.norm().item == Float(91.0.squareRoot()))
        let tape = Tape()
        let zero = tape.watch(Tensor(zeros: [2, 3]))
        let norm = zero.norm()
        #expect(norm.item == 0)
        #expect(tape.gradients(of: norm, withRespectTo: [zero])[0].scalars == [0, 0, 0, 0, 0, 0])
        let x = tape.watch(a)
        expectClose(tape.gradients(of: x.norm(), withRespectTo: [x])[0].scalars, a.scalars.map { $0 / Float(91.0.squareRoot()) },
                    absolute: 1e-7, relative: 1e-6)
    }

    /// The whole-tensor sum of a million values stays within 1e-6 (relative) of a `Double` sum.
    @Test func largeSumIsAccurate() {
        var generator = RandomGenerator(seed: 21)
        let x = Tensor(uniform: [1000, 1000], low: 0, high: 1, generator: &generator)
        let exact = x.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(x.sum().item) - exact) <= 1e-6 * exact)
        #expect(abs(Double(x.mean().item) - exact / 1e6) <= 1e-6 * exact / 1e6)
        let rows = x.sum(alongAxes: [0]).scalars
        for column in stride(from: 0, to: 1000, by: 37) {
            let exactColumn = (0..<1000).reduce(0.0) { $0 + Double(x[flat: $1 * 1000 + column]) }
            #expect(abs(Double(rows[column]) - exactColumn) <= 1e-6 * exactColumn)
        }
    }

    @Test func maximumAndArgmaxByHand() {
        let x = Tensor(shape: [2, 3], scalars: [1, 7, 3, 9, 5, 9])
        #expect(x.amax(alongAxis: 1).scalars == [7, 9])
        #expect(x.amax(alongAxis: 0).scalars == [9, 7, 9])
        #expect(x.amax(alongAxis: -1, keepingDimensions: true).shape == [2, 1])
        #expect(x.argmax(alongAxis: 1) == [1, 0])  // the first of tied maxima
        #expect(x.argmax(alongAxis: 0) == [1, 0, 1])
    }

    /// Tied maxima share the gradient evenly, as PyTorch's `amax` does:
    /// `x = torch.tensor([[1., 3., 3.], [5., 2., 4.]], requires_grad=True); x.amax(1).sum().backward()`
    /// gives `x.grad` = [[0, 0.5, 0.5], [1, 0, 0]].
    @Test func amaxSharesGradientBetweenTies() {
        let tape = Tape()
        let x = tape.watch(Tensor(shape: [2, 3], scalars: [1, 3, 3, 5, 2, 4]))
        #expect(tape.gradients(of: x.amax(alongAxis: 1).sum(), withRespectTo: [x])[0].scalars == [0, 0.5, 0.5, 1, 0, 0])
    }

    @Test(arguments: [[Int](), [0], [1], [-1], [0, 2], [0, 1, 2]])
    func gradientsMatchFiniteDifferences(axes: [Int]) {
        var generator = RandomGenerator(seed: 22)
        let x = Tensor(uniform: [2, 3, 4], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "sum \(axes)") { $0[0].sum(alongAxes: axes) }
        expectGradientsMatchFiniteDifferences([x], "sum kept \(axes)") { $0[0].sum(alongAxes: axes, keepingDimensions: true) }
        expectGradientsMatchFiniteDifferences([x], "mean \(axes)") { $0[0].mean(alongAxes: axes) }
        expectGradientsMatchFiniteDifferences([x], "mean kept \(axes)") { $0[0].mean(alongAxes: axes, keepingDimensions: true) }
    }

    @Test func wholeTensorGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 23)
        let x = Tensor(uniform: [3, 5], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "sum") { $0[0].sum() }
        expectGradientsMatchFiniteDifferences([x], "mean") { $0[0].mean() }
        expectGradientsMatchFiniteDifferences([x], "norm") { $0[0].norm() }
        // Distinct values at least 0.1 apart, so ε never changes which element is largest.
        let spread = Tensor(shape: [3, 4], scalars: [0.3, -0.5, 1.2, 0.1, 2.0, -1.1, 0.7, 0.4, -0.2, 0.9, -0.8, 1.5])
        expectGradientsMatchFiniteDifferences([spread], "amax 1") { $0[0].amax(alongAxis: 1) }
        expectGradientsMatchFiniteDifferences([spread], "amax 0 kept") { $0[0].amax(alongAxis: 0, keepingDimensions: true) }
    }

    @Test func invalidAxesNameOperationAndShape() throws {
        #expect(throws: ShapeError("sum", [[2, 3]], "axis 2 is out of range for rank 2")) {
            _ = try Tensor.reductionShapes("sum", [2, 3], alongAxes: [2])
        }
        #expect(throws: ShapeError("mean", [[2, 3]], "axis -3 is out of range for rank 2")) {
            _ = try Tensor.reductionShapes("mean", [2, 3], alongAxes: [-3])
        }
        #expect(throws: ShapeError("sum", [[2, 3]], "axis -1 is repeated in [1, -1]")) {
            _ = try Tensor.reductionShapes("sum", [2, 3], alongAxes: [1, -1])
        }
        #expect(ShapeError("sum", [[2, 3]], "axis 2 is out of range for rank 2").description
                == "sum: axis 2 is out of range for rank 2 (shapes [2, 3])")
        #expect(try Tensor.reductionShapes("sum", [2, 3, 4], alongAxes: [-1, 0]) == [0, 2])
    }
}
