import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// `ModelTrainer` on a model small enough to train by hand: y = x·w, w (2, 1), loss MSE.
///
/// Batch x = [[1, 2], [0, 1], [2, 0]], y = [1, 2, 3]; w = (0.5, −1); Adam β₁ 0.9, β₂ 0.999, ε 1e-8;
/// schedule cosine(peak 0.1, warm-up 2 of 10 steps): rates 0.05 (step index 0) and 0.1 (index 1).
/// Step 1: prediction (−1.5, −1, 1), error (−2.5, −3, −2), loss (6.25 + 9 + 4)/3 = 6.4166667,
///   g = (2/3)·xᵀ·error = (2/3)·(−6.5, −8) = (−4.3333333, −5.3333333);
///   m = 0.1·g, v = 0.001·g², so m̂ = g, v̂ = g² and the step is −lr·g/(|g| + ε) = +0.05 per weight:
///   w = (0.55, −0.95).
/// Step 2: prediction (−1.35, −0.95, 1.1), error (−2.35, −2.95, −1.9), loss 17.835/3 = 5.945,
///   g = (2/3)·(−6.15, −7.65) = (−4.1, −5.1); m = 0.9·m + 0.1·g = (−0.8, −0.99),
///   v = 0.999·v + 0.001·g² = (0.035569, 0.054426); m̂ = m/0.19, v̂ = v/0.001999,
///   m̂/√v̂ = (−0.9981758, −0.9985844), so w = (0.55 + 0.0998176, −0.95 + 0.0998584) = (0.6498176, −0.8501416).
/// (numpy gives the same to 7 digits.) The moments hold β₁, β₂ as Float (0.89999998, 0.99900001), so
/// 1 − β₂ = 0.00099998713 and v is (0.0355685, 0.0544253), 1.3e-5 below the figures above; the bias
/// correction uses the same β₂, so the weights do not see it.
@Suite struct ModelTrainerTests {
    struct Linear: TrainableModel {
        struct Batch {
            var x: Tensor
            var y: Tensor
            /// A reported part of the loss that is not in the total (to test the check of every part).
            var monitor: Float = 0
        }

        var w = Tensor(shape: [2, 1], scalars: [0.5, -1])
        /// w as `update(after:)` saw it, once per call.
        var updates: [[Float]] = []

        mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) { body("w", &w) }

        func trainingLoss(on batch: Batch, share: BatchShare, generator: inout RandomGenerator) -> TrainingLoss<Float> {
            let loss = Tensor.mseLoss(batch.x.matmul(w), batch.y)
            return TrainingLoss(total: loss, parts: [("mse", loss.item), ("monitor", batch.monitor)], output: loss.item)
        }

        mutating func update(after output: Float, share: BatchShare, generator: inout RandomGenerator) -> [String: Double] {
            updates.append(w.scalars)
            return ["loss_seen": Double(output)]
        }

        static func itemCount(of batch: Batch) -> Int { batch.x.shape[0] }

        static func items(_ items: Range<Int>, of batch: Batch) -> Batch {
            Batch(x: batch.x.sliced(alongAxis: 0, items), y: batch.y.sliced(alongAxis: 0, items), monitor: batch.monitor)
        }
    }

    static var batch: Linear.Batch { Linear.Batch(x: Tensor(shape: [3, 2], scalars: [1, 2, 0, 1, 2, 0]), y: Tensor(shape: [3, 1], scalars: [1, 2, 3])) }

    static func trainer() -> ModelTrainer<Linear> {
        ModelTrainer(model: Linear(), optimizer: Adam(), schedule: .cosine(peak: 0.1, warmupSteps: 2, totalSteps: 10),
                     generator: RandomGenerator(seed: 1))
    }

    @Test func twoStepsByHand() throws {
        var trainer = Self.trainer()
        let (first, firstOutput) = try trainer.step(on: Self.batch)
        #expect(first.step == 1 && trainer.step == 1)
        #expect(first.learningRate == 0.05)
        expectClose([first.losses["mse"]!, firstOutput], [6.4166667, 6.4166667], absolute: 1e-6, relative: 1e-6, "step 1 loss")
        #expect(first.losses["monitor"] == 0)
        expectClose(trainer.model.w.scalars, [0.55, -0.95], absolute: 1e-6, relative: 1e-6, "w after step 1")
        expectClose(trainer.optimizer.firstMoments[0].scalars, [-0.4333333, -0.5333333], absolute: 1e-6, relative: 1e-6, "m")

        let (second, _) = try trainer.step(on: Self.batch)
        #expect(second.step == 2 && second.learningRate == 0.1)
        expectClose([second.losses["mse"]!], [5.945], absolute: 1e-6, relative: 1e-6, "step 2 loss")
        expectClose(trainer.model.w.scalars, [0.6498176, -0.8501416], absolute: 1e-6, relative: 1e-6, "w after step 2")
        expectClose(trainer.optimizer.secondMoments[0].scalars, [0.0355685, 0.0544253], absolute: 1e-7, relative: 1e-5, "v")

        // update(after:) ran once per step, after the optimizer (it saw the updated w), and its figures
        // are the report's.
        #expect(trainer.model.updates.count == 2)
        expectClose(trainer.model.updates[0], [0.55, -0.95], absolute: 1e-6, relative: 1e-6, "w seen by update 1")
        expectClose(trainer.model.updates[1], [0.6498176, -0.8501416], absolute: 1e-6, relative: 1e-6, "w seen by update 2")
        #expect(first.figures["loss_seen"].map { abs($0 - 6.4166667) < 1e-5 } == true)
        #expect(second.figures["loss_seen"].map { abs($0 - 5.945) < 1e-5 } == true)
    }

    /// The first half of a step gives the loss and the gradient (−4.3333333, −5.3333333) and changes
    /// nothing: not the weights, not the optimizer, not the step count, and calls no update.
    @Test func lossAndGradientsChangesNothing() throws {
        var trainer = Self.trainer()
        let (loss, gradients) = try trainer.lossAndGradients(on: Self.batch)
        expectClose([loss.total.item], [6.4166667], absolute: 1e-6, relative: 1e-6, "loss")
        #expect(gradients.count == 1 && gradients[0].shape == [2, 1])
        expectClose(gradients[0].scalars, [-4.3333333, -5.3333333], absolute: 1e-6, relative: 1e-6, "gradient")
        #expect(trainer.model.w.scalars == [0.5, -1] && trainer.model.updates.isEmpty)
        #expect(trainer.step == 0 && trainer.optimizer.firstMoments.isEmpty)
        // The same call again gives the same numbers (nothing accumulated).
        let (_, again) = try trainer.lossAndGradients(on: Self.batch)
        #expect(again[0].scalars == gradients[0].scalars)
    }

    /// A target of 1e30 makes the squared error overflow to +∞; a NaN in a reported part alone (the
    /// total finite) also stops the step. Either way the step throws NonFiniteLossError naming step 1
    /// and the parts, and the model, the optimizer and the update count are untouched.
    @Test func nonFiniteLossThrowsAndChangesNothing() throws {
        var overflowing = Self.batch
        overflowing.y = Tensor(shape: [3, 1], scalars: [1e30, 2, 3])
        var monitored = Self.batch
        monitored.monitor = .nan
        for batch in [overflowing, monitored] {
            var trainer = Self.trainer()
            do {
                _ = try trainer.step(on: batch)
                Issue.record("a non-finite loss was taken as finite")
            } catch let error as NonFiniteLossError {
                #expect(error.step == 1)
                #expect(Set(error.losses.keys) == ["mse", "monitor"])
                #expect(!error.losses["mse"]!.isFinite || error.losses["monitor"]!.isNaN)
            }
            #expect(trainer.model.w.scalars == [0.5, -1] && trainer.model.updates.isEmpty)
            #expect(trainer.step == 0 && trainer.optimizer.firstMoments.isEmpty)
            // A good batch afterwards takes the first step as if nothing had happened.
            try trainer.step(on: Self.batch)
            expectClose(trainer.model.w.scalars, [0.55, -0.95], absolute: 1e-6, relative: 1e-6, "w after the good step")
        }
        var trainer = Self.trainer()
        do {
            _ = try trainer.step(on: overflowing)
            Issue.record("a loss of 1e60 was taken as finite")
        } catch let error as NonFiniteLossError {
            #expect(error.losses["mse"] == .infinity && error.losses["monitor"] == 0)
            #expect(error.description == "training stopped at step 1: the loss is not finite (monitor 0.0, mse inf); the model was not updated")
        }
    }
}
