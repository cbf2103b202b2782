import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct LearningRateScheduleTests {
    @Test func constant() { #expect(LearningRateSchedule.constant(3e-4).learningRate(at: 12345) == 3e-4) }

    /// Values from the definition: warm-up (s+1)/w·peak; then min + (peak−min)(1 + cos(π·p))/2.
    @Test func cosineWithWarmup() {
        let schedule = LearningRateSchedule.cosine(peak: 1, warmupSteps: 10, totalSteps: 110, minimum: 0.1)
        #expect(schedule.learningRate(at: 0) == 0.1)
        #expect(schedule.learningRate(at: 9) == 1)
        #expect(abs(schedule.learningRate(at: 10) - 1) < 1e-6)
        #expect(abs(schedule.learningRate(at: 60) - 0.55) < 1e-6)  // halfway: cos(π/2) = 0
        #expect(abs(schedule.learningRate(at: 110) - 0.1) < 1e-6)
        #expect(abs(schedule.learningRate(at: 500) - 0.1) < 1e-6)
    }
}

@Suite struct GradientClippingTests {
    /// Norm of (3, 4) and (12) is 13, worked by hand; torch.nn.utils.clip_grad_norm_ scales by
    /// max_norm / (norm + 1e-6).
    @Test func clipsByGlobalNorm() {
        var gradients = [Tensor(shape: [2], scalars: [3, 4]), Tensor(shape: [1], scalars: [12])]
        #expect(GradientClipping.clip(&gradients, maximumNorm: 6.5) == 13)
        expectClose(gradients[0].scalars + gradients[1].scalars, [1.5, 2, 6], absolute: 1e-5)
        #expect(GradientClipping.clip(&gradients, maximumNorm: 100) < 6.5 + 1e-4)  // below: untouched
        expectClose(gradients[1].scalars, [6], absolute: 1e-5)
    }
}
