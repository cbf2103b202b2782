import Foundation
import Testing
import VQEngine
import _VQTestSupport

@Suite struct SoftmaxTests {
    let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 4])

    /// Expected values from PyTorch 2.13 (CPU):
    /// `torch.softmax(torch.tensor([[1.,2.,3.],[-1.,0.,4.]]), dim=1).flatten().tolist()`
    @Test func softmaxMatchesPyTorch() {
        expectClose(logits.softmax(alongAxis: 1).scalars,
                    [0.09003057330846786, 0.2447284758090973, 0.6652409434318542,
                     0.006573262624442577, 0.017867980524897575, 0.9755586981773376], absolute: 1e-7)
        expectClose(logits.softmax(alongAxis: -1).scalars, logits.softmax(alongAxis: 1).scalars, absolute: 0)
    }

    /// Expected values from PyTorch 2.13 (CPU):
    /// `torch.log_softmax(torch.tensor([[1.,2.,3.],[-1.,0.,4.]]), dim=0).flatten().tolist()`
    @Test func logSoftmaxAlongFirstAxisMatchesPyTorch() {
        expectClose(logits.logSoftmax(alongAxis: 0).scalars,
                    [-0.12692804634571075, -0.12692804634571075, -1.31326162815094,
                     -2.1269280910491943, -2.1269280910491943, -0.31326165795326233], absolute: 1e-6)
    }

    /// Softmax over the channels of an NCHW tensor (a strided axis) and every other axis against a
    /// `Double` computation per line; every line sums to 1, and log-softmax is the log of softmax.
    @Test(arguments: [0, 1, 2, 3])
    func softmaxAlongEveryAxisOfNCHW(axis: Int) {
        var generator = RandomGenerator(seed: 31)
        expectSoftmaxMatchesDouble(Tensor(uniform: [2, 5, 3, 4], low: -4, high: 4, generator: &generator), axis: axis)
    }

    /// Long lines (vector loops and their tails) and tensors large enough to be split across cores.
    @Test(arguments: [([3, 37], 1), ([2, 1000], -1), ([70, 1001], 1), ([3, 50, 700], 1), ([700, 101], 0)])
    func longAndLargeSoftmaxMatchesDouble(shape: [Int], axis: Int) {
        var generator = RandomGenerator(seed: 33)
        expectSoftmaxMatchesDouble(Tensor(uniform: shape, low: -8, high: 8, generator: &generator), axis: axis)
    }

    private func expectSoftmaxMatchesDouble(_ x: Tensor, axis: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let shape = x.shape, positive = axis < 0 ? axis + shape.count : axis
        let result = x.softmax(alongAxis: axis).scalars, logResult = x.logSoftmax(alongAxis: axis).scalars
        let inner = shape[(positive + 1)...].reduce(1, *), size = shape[positive], outer = shape[..<positive].reduce(1, *)
        let values = x.scalars
        var worst = 0.0, worstLog = 0.0, worstTotal = 0.0
        for o in 0..<outer {
            for i in 0..<inner {
                let offsets = (0..<size).map { (o * size + $0) * inner + i }
                let exponentials = offsets.map { exp(Double(values[$0])) }
                let total = exponentials.reduce(0, +)
                for (offset, exponential) in zip(offsets, exponentials) {
                    worst = max(worst, abs(Double(result[offset]) - exponential / total))
                    worstLog = max(worstLog, abs(Double(logResult[offset]) - log(exponential / total)))
                }
                worstTotal = max(worstTotal, abs(offsets.map { Double(result[$0]) }.reduce(0, +) - 1))
            }
        }
        #expect(worst < 1e-6, "softmax of \(shape) along \(axis)", sourceLocation: sourceLocation)
        #expect(worstLog < 2e-5, "logSoftmax of \(shape) along \(axis)", sourceLocation: sourceLocation)
        #expect(worstTotal < 1e-5, "line sums of \(shape) along \(axis)", sourceLocation: sourceLocation)
    }

    /// Logits of 1000 (e^1000 overflows Float) still give exact, finite results.
    @Test func softmaxIsStableForLargeLogits() {
        let large = Tensor(shape: [3, 3], scalars: [1000, 1000, 1000, 1000, 0, -1000, -1000, -1000, 999])
        let result = large.softmax(alongAxis: 1).scalars
        expectClose(result, [1 / 3, 1 / 3, 1 / 3, 1, 0, 0, 0, 0, 1], absolute: 1e-6)
        let logResult = large.logSoftmax(alongAxis: 1).scalars
        expectClose(logResult, [-1.0986123, -1.0986123, -1.0986123, 0, -1000, -2000, -1999, -1999, 0], absolute: 1e-4)
        // A line long enough for the vector loops, its maximum inside them: 1000 once, 990 elsewhere.
        let long = Tensor(shape: [1, 20], scalars: (0..<20).map { $0 == 5 ? 1000 : 990 }).softmax(alongAxis: 1).scalars
        let peak = 1 / (1 + 19 * exp(-10.0))
        expectClose(long, (0..<20).map { Float($0 == 5 ? peak : peak * exp(-10.0)) }, absolute: 1e-7)
    }

    @Test(arguments: [0, 1, -1])
    func gradientsMatchFiniteDifferences(axis: Int) {
        var generator = RandomGenerator(seed: 32)
        let x = Tensor(uniform: [2, 3, 4], low: -2, high: 2, generator: &generator)
        expectGradientsMatchFiniteDifferences([x], "softmax \(axis)") { $0[0].softmax(alongAxis: axis) }
        expectGradientsMatchFiniteDifferences([x], "logSoftmax \(axis)") { $0[0].logSoftmax(alongAxis: axis) }
    }

    @Test func invalidAxisNamesOperationAndShape() {
        #expect(throws: ShapeError("softmax", [[2, 3]], "axis 2 is out of range for rank 2")) {
            _ = try Tensor.reductionShapes("softmax", [2, 3], alongAxes: [2])
        }
    }
}

@Suite struct LossTests {
    /// Expected values from PyTorch 2.13 (CPU):
    /// `x = torch.tensor([[1.,2.,3.],[1.,-1.,0.5]], requires_grad=True)`
    /// `l = F.cross_entropy(x, torch.tensor([2, 0])); l.backward(); l.item(), x.grad`
    @Test func crossEntropyMatchesPyTorch() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1, -1, 0.5])
        let expectedGradient: [Float] = [0.04501529, 0.12236425, -0.16737950, -0.21295151, 0.03884779, 0.17410371]
        for loss in [{ Tensor.crossEntropy(logits: $0, targets: [2, 0] as [Int]) },
                     { Tensor.crossEntropy(logits: $0, targets: [2, 0] as [Int32]) }] as [(Tensor) -> Tensor] {
            #expect(loss(x).shape == [])
            expectClose([loss(x).item], [0.48128145933151245], absolute: 1e-6)
            let tape = Tape()
            let watched = tape.watch(x)
            expectClose(tape.gradients(of: loss(watched), withRespectTo: [watched])[0].scalars, expectedGradient, absolute: 1e-6)
        }
    }

    /// Logits (N, C, d1, d2) = (2, 3, 2, 2) with the class dimension 1. Expected values from
    /// PyTorch 2.13 (CPU):
    /// `y = (torch.arange(24.).reshape(2,3,2,2).sin()*3).requires_grad_()`
    /// `t = torch.tensor([[[0,1],[2,0]],[[1,1],[2,0]]])`
    /// `l = F.cross_entropy(y, t); l.backward(); y.flatten().tolist(), l.item(), y.grad.flatten().tolist()`
    @Test func spatialCrossEntropyMatchesPyTorch() {
        let y = Tensor(shape: [2, 3, 2, 2], scalars: [
            0.0, 2.5244128704071045, 2.7278921604156494, 0.4233599901199341, -2.2704074382781982, -2.876772880554199,
            -0.8382464647293091, 1.9709597826004028, 2.9680747985839844, 1.2363555431365967, -1.632063388824463,
            -2.9999706745147705, -1.6097187995910645, 1.2605011463165283, 2.9718222618103027, 1.9508635997772217,
            -0.8637099266052246, -2.88419246673584, -2.2529616355895996, 0.44963163137435913, 2.7388358116149902,
            2.5099668502807617, -0.0265539288520813, -2.538661003112793,
        ])
        let targets: [Int32] = [0, 1, 2, 0, 1, 1, 2, 0]
        let expectedGradient: [Float] = [
            -0.11891955137252808, 0.09763205051422119, 0.12007179856300354, -0.10319556295871735,
            0.0006279280059970915, -0.12455955892801285, 0.0033938030246645212, 0.10248465836048126,
            0.11829162389039993, 0.026927510276436806, -0.12346560508012772, 0.0007109041907824576,
            0.0015532751567661762, 0.027751093730330467, 0.11845540255308151, -0.023710086941719055,
            -0.12172481417655945, -0.12456019222736359, 0.0006374704535119236, 0.022573009133338928,
            0.12017153948545456, 0.09680909663438797, -0.11909286677837372, 0.001137078506872058,
        ]
        let tape = Tape()
        let watched = tape.watch(y)
        let loss = Tensor.crossEntropy(logits: watched, targets: targets)
        expectClose([loss.item], [3.4215075969696045], absolute: 1e-5)
        expectClose(tape.gradients(of: loss, withRespectTo: [watched])[0].scalars, expectedGradient, absolute: 1e-6)
    }

    /// Logits of ±1000 stay finite. Expected from PyTorch 2.13 (CPU):
    /// `F.cross_entropy(torch.tensor([[1000.,0.,-1000.],[0.,1000.,0.]]), torch.tensor([1,1])).item()` = 500.0
    @Test func crossEntropyIsStableForLargeLogits() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 0, -1000, 0, 1000, 0])
        #expect(Tensor.crossEntropy(logits: x, targets: [1, 1] as [Int]).item == 500)
    }

    /// A large spatial case (split across cores) against a `Double` computation of the definition.
    @Test func largeCrossEntropyMatchesDouble() {
        var generator = RandomGenerator(seed: 43)
        let (batch, classes, positions) = (4, 37, 500)
        let logits = Tensor(uniform: [batch, classes, positions], low: -6, high: 6, generator: &generator)
        let targets = (0..<(batch * positions)).map { ($0 * 13) % classes }
        let values = logits.scalars
        var total = 0.0
        for n in 0..<batch {
            for p in 0..<positions {
                let line = (0..<classes).map { Double(values[(n * classes + $0) * positions + p]) }
                total += log(line.map(exp).reduce(0, +)) - line[targets[n * positions + p]]
            }
        }
        let expected = Float(total / Double(batch * positions))
        expectClose([Tensor.crossEntropy(logits: logits, targets: targets).item], [expected], absolute: 1e-5)
    }

    @Test func crossEntropyGradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 41)
        let flat = Tensor(uniform: [4, 5], low: -2, high: 2, generator: &generator)
        expectGradientsMatchFiniteDifferences([flat], "(N, C)") { Tensor.crossEntropy(logits: $0[0], targets: [4, 0, 2, 2] as [Int]) }
        let spatial = Tensor(uniform: [2, 3, 2, 3], low: -2, high: 2, generator: &generator)
        let targets = (0..<12).map { ($0 * 7) % 3 }
        expectGradientsMatchFiniteDifferences([spatial], "(N, C, H, W)") { Tensor.crossEntropy(logits: $0[0], targets: targets) }
    }

    @Test func crossEntropyValidatesShapesAndTargets() {
        #expect(throws: ShapeError("crossEntropy", [[5], [1]], "logits need shape (N, C) or (N, C, d1, …)")) {
            try Tensor.crossEntropyShapes(logits: [5], targets: [0])
        }
        #expect(throws: ShapeError("crossEntropy", [[2, 3, 4], [6]], "expected 8 targets, one per position of [2, 4]")) {
            try Tensor.crossEntropyShapes(logits: [2, 3, 4], targets: [Int](repeating: 0, count: 6))
        }
        let outOfRange = ShapeError("crossEntropy", [[2, 3], [2]], "target 3 at position 1 is not a class index in 0..<3")
        #expect(throws: outOfRange) { try Tensor.crossEntropyShapes(logits: [2, 3], targets: [0, 3]) }
        #expect(throws: ShapeError("crossEntropy", [[2, 3], [2]], "target -1 at position 0 is not a class index in 0..<3")) {
            try Tensor.crossEntropyShapes(logits: [2, 3], targets: [-1, 0])
        }
        #expect(outOfRange.description == "crossEntropy: target 3 at position 1 is not a class index in 0..<3 (shapes [2, 3] and [2])")
    }

    /// Worked by hand: differences 0.5, 0, −2, 3; squares 0.25, 0, 4, 9; mean 13.25 / 4 = 3.3125.
    /// (PyTorch agrees: `F.mse_loss(torch.tensor([[1.,2.],[3.,4.]]), torch.tensor([[0.5,2.],[5.,1.]]))`.)
    @Test func mseLossByHand() {
        let input = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), target = Tensor(shape: [2, 2], scalars: [0.5, 2, 5, 1])
        let loss = Tensor.mseLoss(input, target)
        #expect(loss.shape == [])
        #expect(loss.item == 3.3125)
    }

    @Test func mseLossGradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 42)
        let input = Tensor(uniform: [3, 4], low: -1, high: 1, generator: &generator)
        let target = Tensor(uniform: [3, 4], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([input, target]) { Tensor.mseLoss($0[0], $0[1]) }
    }

    @Test func mseLossRejectsDifferentShapes() {
        let expected = ShapeError("mseLoss", [[2, 3], [3]], "input and target shapes differ")
        #expect(throws: expected) { try Tensor.mseLossShapes([2, 3], [3]) }
        #expect(expected.description == "mseLoss: input and target shapes differ (shapes [2, 3] and [3])")
    }
}
