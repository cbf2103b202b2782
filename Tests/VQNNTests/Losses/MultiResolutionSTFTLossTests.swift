import Foundation
import Testing
import VQData
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct MultiResolutionSTFTLossTests {
    /// The fixture of STFTMagnitudeTests (VQEngineTests/Fixtures/stft.safetensors, written by
    /// make_stft_fixture.py): for each case the loss over (64, 16, 64), (128, 32, 96), (75, 20, 50) with
    /// ε = 1e-7 and δ = 1e-5, its two parts, and d(total)/d(predicted) by torch autograd in float64
    /// (stored as float32). Case b has a silent stretch in one predicted signal.
    static var fixture: SafeTensors {
        let path = String(#filePath).replacingOccurrences(
            of: "VQNNTests/Losses/MultiResolutionSTFTLossTests.swift", with: "VQEngineTests/Fixtures/stft.safetensors")
        return try! SafeTensors(contentsOf: path)
    }

    static var fixtureLoss: MultiResolutionSTFTLoss {
        MultiResolutionSTFTLoss(resolutions: [
            .init(fftSize: 64, hopSize: 16, windowLength: 64), .init(fftSize: 128, hopSize: 32, windowLength: 96),
            .init(fftSize: 75, hopSize: 20, windowLength: 50),
        ])
    }

    /// The loss and the gradient with respect to the prediction.
    static func lossAndGradient(_ loss: MultiResolutionSTFTLoss, predicted: Tensor, target: Tensor)
        -> (terms: MultiResolutionSTFTLoss.Terms, predicted: Tensor, target: Tensor) {
        let tape = Tape()
        let watchedPredicted = tape.watch(predicted), watchedTarget = tape.watch(target)
        let terms = loss(predicted: watchedPredicted, target: watchedTarget)
        let gradients = tape.gradients(of: terms.total, withRespectTo: [watchedPredicted, watchedTarget])
        return (terms, gradients[0], gradients[1])
    }

    /// Values to 1e-5 relative; gradient elements to 1e-4 of the largest gradient element plus 1e-3
    /// relative: the float32 magnitudes carry errors of about 1e-6 of their tensor's largest (STFTMagnitudeTests),
    /// and the log term's slope 1/(|Ŝ| + δ) magnifies those of the smallest bins (largest errors printed with
    /// VQ_FIXTURE_REPORT=1).
    @Test func matchesPyTorch() {
        let fixture = Self.fixture
        var report: [String] = []
        for name in ["a", "b"] {
            let (terms, gradient, targetGradient) = Self.lossAndGradient(
                Self.fixtureLoss, predicted: fixture.tensors["\(name).predicted"]!, target: fixture.tensors["\(name).target"]!)
            for (part, value) in [("total", terms.total), ("convergence", terms.spectralConvergence),
                                  ("log_magnitude", terms.logMagnitude)] {
                let expected = fixture.tensors["\(name).loss.\(part)"]!.item
                expectClose([value.item], [expected], absolute: 0, relative: 1e-5, "\(name).loss.\(part)")
                report.append("\(name).loss.\(part) \(abs(value.item - expected) / expected)")
            }
            let expected = fixture.tensors["\(name).gradient"]!
            let largest = expected.scalars.reduce(0) { max($0, abs($1)) }
            expectClose(gradient, expected, absolute: 1e-4 * largest, relative: 1e-3, "\(name).gradient")
            let worst = zip(gradient.scalars, expected.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
            report.append("\(name).gradient \(worst / largest) of the largest element")
            #expect(targetGradient.scalars.allSatisfy { $0 == 0 }, "the target is detached")
        }
        if ProcessInfo.processInfo.environment["VQ_FIXTURE_REPORT"] != nil {
            print("MultiResolutionSTFTLoss against torch: " + report.joined(separator: ", "))
        }
    }

    /// The log-mel term against the same fixture: `<case>.mel_loss.total` and `.log_mel` with
    /// `MelTerm(sampleRate: 8000, weight: 0.5)`, `<case>.mel_gradient` by torch autograd, and the
    /// filters `mel.<fft>` built independently in numpy. Same tolerances as `matchesPyTorch`.
    @Test func melTermMatchesPyTorch() {
        let fixture = Self.fixture
        for fft in [64, 128, 75] {
            let filters = MelFilterbank.weights(bands: MelFilterbank.lossBands(fftSize: fft), fftSize: fft, sampleRate: 8000)
            expectClose(filters.flatMap { $0 }, fixture.tensors["mel.\(fft)"]!.scalars, absolute: 1e-6, relative: 0, "mel.\(fft)")
        }
        let base = Self.fixtureLoss
        let loss = MultiResolutionSTFTLoss(resolutions: base.resolutions, mel: .init(sampleRate: 8000, weight: 0.5))
        for name in ["a", "b"] {
            let (terms, gradient, _) = Self.lossAndGradient(
                loss, predicted: fixture.tensors["\(name).predicted"]!, target: fixture.tensors["\(name).target"]!)
            expectClose([terms.total.item], [fixture.tensors["\(name).mel_loss.total"]!.item], absolute: 0, relative: 1e-5,
                        "\(name).mel_loss.total")
            expectClose([terms.logMel!.item], [fixture.tensors["\(name).mel_loss.log_mel"]!.item], absolute: 0, relative: 1e-5,
                        "\(name).mel_loss.log_mel")
            let expected = fixture.tensors["\(name).mel_gradient"]!
            let largest = expected.scalars.reduce(0) { max($0, abs($1)) }
            expectClose(gradient, expected, absolute: 1e-4 * largest, relative: 1e-3, "\(name).mel_gradient")
        }
    }

    @Test func isZeroForIdenticalSignalsAndPositiveOtherwise() {
        var generator = RandomGenerator(seed: 81)
        let signal = Tensor(uniform: [2, 1, 3000], low: -1, high: 1, generator: &generator)
        let loss = MultiResolutionSTFTLoss()
        let same = Self.lossAndGradient(loss, predicted: signal, target: signal)
        #expect(same.terms.total.item == 0 && same.terms.spectralConvergence.item == 0 && same.terms.logMagnitude.item == 0)
        #expect(same.predicted.scalars.allSatisfy { $0 == 0 }, "identical signals: gradient 0, not NaN")
        let other = signal + 0.01 * Tensor(uniform: [2, 1, 3000], low: -1, high: 1, generator: &generator)
        let different = Self.lossAndGradient(loss, predicted: other, target: signal)
        #expect(different.terms.spectralConvergence.item > 0 && different.terms.logMagnitude.item > 0)
        #expect(different.terms.total.item == different.terms.spectralConvergence.item + different.terms.logMagnitude.item)
        #expect(different.predicted.scalars.allSatisfy { $0.isFinite } && different.predicted.scalars.contains { $0 != 0 })
        // Silence against sound, and sound against silence, stay finite.
        let silence = Tensor(zeros: [2, 1, 3000])
        #expect(loss(predicted: silence, target: signal).total.item.isFinite)
        #expect(loss(predicted: signal, target: silence).total.item.isFinite)
        let withMel = MultiResolutionSTFTLoss(mel: .init(sampleRate: 16_000))
        let melSame = Self.lossAndGradient(withMel, predicted: signal, target: signal)
        #expect(melSame.terms.total.item == 0 && melSame.terms.logMel!.item == 0)
        #expect(melSame.predicted.scalars.allSatisfy { $0 == 0 })
        let melDifferent = withMel(predicted: other, target: signal)
        #expect(melDifferent.logMel!.item > 0)
        #expect(abs(melDifferent.total.item - (different.terms.total.item + melDifferent.logMel!.item)) <= 1e-6 * melDifferent.total.item)
        #expect(loss(predicted: other, target: signal).logMel == nil, "no mel term unless asked for")
    }

    @Test func gradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 82)
        let predicted = Tensor(uniform: [2, 30], low: -1, high: 1, generator: &generator)
        let target = Tensor(uniform: [2, 30], low: -1, high: 1, generator: &generator)
        let loss = MultiResolutionSTFTLoss(resolutions: [.init(fftSize: 16, hopSize: 4, windowLength: 16),
                                                         .init(fftSize: 8, hopSize: 3, windowLength: 6)])
        expectGradientsMatchFiniteDifferences([predicted], epsilon: 1e-3, "multi-resolution STFT loss") {
            loss(predicted: $0[0], target: target).total
        }
        let withMel = MultiResolutionSTFTLoss(resolutions: loss.resolutions, mel: .init(sampleRate: 8000, weight: 2))
        expectGradientsMatchFiniteDifferences([predicted], epsilon: 1e-3, "multi-resolution STFT loss with its log-mel term") {
            withMel(predicted: $0[0], target: target).total
        }
    }

    @Test func resolutionsScaleWithTheSampleRate() {
        let resolution = { (fft: Int, hop: Int, window: Int) in
            MultiResolutionSTFTLoss.Resolution(fftSize: fft, hopSize: hop, windowLength: window)
        }
        #expect(MultiResolutionSTFTLoss.resolutions(forSampleRate: 16_000) == MultiResolutionSTFTLoss.defaultResolutions)
        #expect(MultiResolutionSTFTLoss.resolutions(forSampleRate: 8_000)
                == [resolution(256, 64, 256), resolution(512, 128, 512), resolution(128, 32, 128)])
        #expect(MultiResolutionSTFTLoss.resolutions(forSampleRate: 22_050)
                == [resolution(706, 176, 706), resolution(1411, 353, 1411), resolution(353, 88, 353)])
        #expect(resolution(64, 16, 48).scaled(by: 0.01) == resolution(1, 1, 1))
    }

    @Test func shapeErrorsNameTheLossAndTheShapes() {
        let loss = MultiResolutionSTFTLoss()
        #expect(throws: ShapeError("MultiResolutionSTFTLoss", [[2, 100], [2, 101]], "the predicted and target signals differ in shape")) {
            try loss.validateShapes(predicted: [2, 100], target: [2, 101])
        }
        #expect(throws: ShapeError("stftMagnitude", [[2, 2, 100]],
                                   "the signals must be (N, T) or (N, 1, T) (fftSize 512, hopSize 128, windowLength 512)")) {
            try loss.validateShapes(predicted: [2, 2, 100], target: [2, 2, 100])
        }
        #expect(throws: Never.self) { try loss.validateShapes(predicted: [2, 1, 100], target: [2, 1, 100]) }
    }

    /// The default loss, forward and backward, on 16 signals of 8000 samples: run with VQ_TIMING=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VQ_TIMING"] != nil))
    func timing() {
        var generator = RandomGenerator(seed: 83)
        let target = Tensor(uniform: [16, 1, 8000], low: -1, high: 1, generator: &generator)
        let predicted = target + 0.1 * Tensor(uniform: [16, 1, 8000], low: -1, high: 1, generator: &generator)
        let loss = MultiResolutionSTFTLoss()
        let measurement = Benchmark.measure(warmUpRuns: 2, runs: 10, prepare: { () -> (Tape, Tensor) in
            let tape = Tape()
            return (tape, tape.watch(predicted))
        }) { prepared in
            let (tape, watched) = prepared
            _ = tape.gradients(of: loss(predicted: watched, target: target).total, withRespectTo: [watched])
        }
        print(String(format: "MultiResolutionSTFTLoss (default resolutions) 16 × 8000, forward + backward: %.1f ms median, %.1f ms minimum",
                     measurement.median * 1e3, measurement.minimum * 1e3))
    }
}
