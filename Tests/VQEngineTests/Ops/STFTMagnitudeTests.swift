import Foundation
import Testing
import VQData
import VQEngine
import _VQTestSupport

/// `stftMagnitude` against PyTorch's `torch.stft(...).abs()`, against a direct DFT in `Double`, against
/// finite differences, and its shape errors.
@Suite struct STFTMagnitudeTests {
    /// Written by Fixtures/make_stft_fixture.py (torch.stft in float64, stored as float32; the torch
    /// version is in the metadata): two cases of signals, (2, 1001) and (3, 1, 517), and their magnitudes
    /// at (fftSize, hopSize, windowLength) = (64, 16, 64), (128, 32, 96), (75, 20, 50).
    static var fixture: SafeTensors {
        let path = String(#filePath).replacingOccurrences(of: "Ops/STFTMagnitudeTests.swift", with: "Fixtures/stft.safetensors")
        return try! SafeTensors(contentsOf: path)
    }
    static let resolutions = [(fftSize: 64, hopSize: 16, windowLength: 64), (128, 32, 96), (75, 20, 50)]

    /// The largest |actual − expected| over the largest |expected|.
    static func errorRelativeToLargest(_ actual: Tensor, _ expected: Tensor) -> Float {
        let largest = expected.scalars.reduce(0) { max($0, abs($1)) }
        return zip(actual.scalars, expected.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) } / largest
    }

    /// ε = 0 gives torch's plain `abs()`. The float32 convolution sums up to 96 products of signal and basis
    /// (each rounded at about 6e-8 of its size), so every element is held to 2e-6 of the largest magnitude of its
    /// tensor (the achieved error is printed with VQ_FIXTURE_REPORT=1).
    @Test func matchesPyTorch() {
        let fixture = Self.fixture
        #expect(fixture.metadata["torch_version"]?.isEmpty == false)
        var report: [String] = []
        for name in ["a", "b"] {
            let signals = fixture.tensors["\(name).predicted"]!
            for (fftSize, hopSize, windowLength) in Self.resolutions {
                let key = "\(name).magnitude.\(fftSize)_\(hopSize)_\(windowLength)"
                let expected = fixture.tensors[key]!
                let actual = signals.stftMagnitude(fftSize: fftSize, hopSize: hopSize, windowLength: windowLength, epsilon: 0)
                let largest = expected.scalars.reduce(0) { max($0, abs($1)) }
                expectClose(actual, expected, absolute: 2e-6 * largest, relative: 0, key)
                report.append("\(key) \(Self.errorRelativeToLargest(actual, expected))")
            }
        }
        if ProcessInfo.processInfo.environment["VQ_FIXTURE_REPORT"] != nil {
            print("stftMagnitude against torch.stft, largest error over largest magnitude: " + report.joined(separator: ", "))
        }
    }

    /// |Σ_m x[t·hop + m − ⌊n/2⌋] w[m] e^(−2πikm/n)| in `Double`, with zeros outside the signal and the
    /// periodic Hann window centred in the n-sample frame: [item][bin][frame].
    static func directMagnitudes(_ signals: Tensor, fftSize n: Int, hopSize: Int, windowLength: Int) -> [[[Double]]] {
        let length = signals.shape.last!, items = signals.count / length
        let offset = (n - windowLength) / 2
        let window = (0..<n).map { m -> Double in
            let j = m - offset
            return j >= 0 && j < windowLength ? 0.5 - 0.5 * cos(2 * Double.pi * Double(j) / Double(windowLength)) : 0
        }
        let frames = (length + 2 * (n / 2) - n) / hopSize + 1
        return (0..<items).map { item in
            (0...(n / 2)).map { k in
                (0..<frames).map { t in
                    var real = 0.0, imaginary = 0.0
                    for m in 0..<n {
                        let index = t * hopSize + m - n / 2
                        guard index >= 0 && index < length else { continue }
                        let x = Double(signals[flat: item * length + index]) * window[m]
                        real += x * cos(2 * Double.pi * Double(k * m) / Double(n))
                        imaginary -= x * sin(2 * Double.pi * Double(k * m) / Double(n))
                    }
                    return (real * real + imaginary * imaginary).squareRoot()
                }
            }
        }
    }

    /// The convolution form against the definition, on both layouts, for a full window, a shorter one
    /// with an odd gap (whose convolution reaches one frame further), an odd fftSize and a hop longer than
    /// the window.
    @Test(arguments: [(16, 4, 16), (16, 5, 11), (9, 3, 9), (10, 7, 4)])
    func matchesDirectDFT(resolution: (fftSize: Int, hopSize: Int, windowLength: Int)) {
        var generator = RandomGenerator(seed: 71)
        let signals = Tensor(uniform: [2, 37], low: -1, high: 1, generator: &generator)
        let expected = Self.directMagnitudes(signals, fftSize: resolution.fftSize, hopSize: resolution.hopSize,
                                             windowLength: resolution.windowLength)
        let flat = expected.flatMap { $0.flatMap { $0.map(Float.init) } }
        let frames = (37 + 2 * (resolution.fftSize / 2) - resolution.fftSize) / resolution.hopSize + 1
        for input in [signals, signals.reshaped(to: [2, 1, 37])] {
            let actual = input.stftMagnitude(fftSize: resolution.fftSize, hopSize: resolution.hopSize,
                                             windowLength: resolution.windowLength, epsilon: 0)
            #expect(actual.shape == [2, resolution.fftSize / 2 + 1, frames])
            expectClose(actual.scalars, flat, absolute: 2e-6, relative: 1e-5, "\(resolution) \(input.shape)")
        }
        // ε enters under the square root.
        let softened = signals.stftMagnitude(fftSize: resolution.fftSize, hopSize: resolution.hopSize,
                                             windowLength: resolution.windowLength, epsilon: 0.01)
        expectClose(softened.scalars, flat.map { ($0 * $0 + 0.01).squareRoot() }, absolute: 2e-6, relative: 1e-5)
    }

    /// Steps of 1e-3: the smallest magnitude here is 0.0044, where a step of 1e-2 (the default) already
    /// bends the square root's curve by 13% in the central difference.
    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 72)
        let signals = Tensor(uniform: [2, 1, 19], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([signals], epsilon: 1e-3, "fft 8, hop 3, window 5") {
            $0[0].stftMagnitude(fftSize: 8, hopSize: 3, windowLength: 5)
        }
        let short = Tensor(uniform: [1, 15], low: -1, high: 1, generator: &generator)
        expectGradientsMatchFiniteDifferences([short], epsilon: 1e-3, "fft 7, hop 2") { $0[0].stftMagnitude(fftSize: 7, hopSize: 2) }
    }

    /// At silence re = im = 0: the magnitude is √ε and the gradient 0, not 0/0.
    @Test func silenceHasAFiniteGradient() {
        let tape = Tape()
        let silence = tape.watch(Tensor(zeros: [2, 40]))
        let magnitude = silence.stftMagnitude(fftSize: 16, hopSize: 4)
        #expect(magnitude.scalars.allSatisfy { $0 == Float(1e-7).squareRoot() })
        #expect(tape.gradients(of: magnitude.sum(), withRespectTo: [silence])[0].scalars.allSatisfy { $0 == 0 })
    }

    /// A basis is the same whether built by the op or beforehand.
    @Test func preparedBasisGivesTheSameResult() {
        var generator = RandomGenerator(seed: 73)
        let signals = Tensor(uniform: [3, 100], low: -1, high: 1, generator: &generator)
        let basis = STFTBasis(fftSize: 32, windowLength: 24)
        #expect(basis.weight.shape == [34, 1, 24])
        #expect(basis.bins == 17 && basis.offset == 4)
        #expect(signals.stftMagnitude(basis: basis, hopSize: 8).scalars
                == signals.stftMagnitude(fftSize: 32, hopSize: 8, windowLength: 24).scalars)
    }

    @Test func shapeErrorsNameTheOperationAndSettings() {
        #expect(throws: ShapeError("stftMagnitude", [[2, 3, 100]],
                                   "the signals must be (N, T) or (N, 1, T) (fftSize 64, hopSize 16, windowLength 64)")) {
            _ = try Tensor.stftMagnitudeShapes(input: [2, 3, 100], fftSize: 64, hopSize: 16, windowLength: 64)
        }
        #expect(throws: ShapeError("stftMagnitude", [[100]],
                                   "the signals must be (N, T) or (N, 1, T) (fftSize 64, hopSize 16, windowLength 64)")) {
            _ = try Tensor.stftMagnitudeShapes(input: [100], fftSize: 64, hopSize: 16, windowLength: 64)
        }
        #expect(throws: ShapeError("stftMagnitude", [[2, 100]],
                                   "windowLength must lie in 1...fftSize (fftSize 64, hopSize 16, windowLength 65)")) {
            _ = try Tensor.stftMagnitudeShapes(input: [2, 100], fftSize: 64, hopSize: 16, windowLength: 65)
        }
        #expect(throws: ShapeError("stftMagnitude", [[2, 100]], "hopSize must be positive (fftSize 64, hopSize 0, windowLength 64)")) {
            _ = try Tensor.stftMagnitudeShapes(input: [2, 100], fftSize: 64, hopSize: 0, windowLength: 64)
        }
        #expect(throws: ShapeError("stftMagnitude", [[2, 1, 0]], "the signals are empty (fftSize 64, hopSize 16, windowLength 64)")) {
            _ = try Tensor.stftMagnitudeShapes(input: [2, 1, 0], fftSize: 64, hopSize: 16, windowLength: 64)
        }
        let geometry = try? Tensor.stftMagnitudeShapes(input: [4, 1, 8000], fftSize: 512, hopSize: 128, windowLength: 400)
        #expect(geometry?.batch == 4 && geometry?.length == 8000 && geometry?.bins == 257 && geometry?.frames == 63)
    }

    /// Forward and backward of 16 signals of 8000 samples at fftSize 512, hop 128: run with VQ_TIMING=1
    /// (in a release build for meaningful figures: `swift test -c release -Xswiftc -enable-testing`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VQ_TIMING"] != nil))
    func timing() {
        var generator = RandomGenerator(seed: 74)
        let signals = Tensor(uniform: [16, 1, 8000], low: -1, high: 1, generator: &generator)
        let prepared = STFTBasis(fftSize: 512, windowLength: 512)
        let forward = Benchmark.measure(targetSeconds: 3) {
            _ = signals.stftMagnitude(basis: prepared, hopSize: 128)
        }
        let both = Benchmark.measure(warmUpRuns: 3, runs: 20, prepare: { () -> (Tape, Tensor) in
            let tape = Tape()
            return (tape, tape.watch(signals))
        }) { state in
            let (tape, watched) = state
            let magnitude = watched.stftMagnitude(basis: prepared, hopSize: 128)
            _ = tape.gradients(of: magnitude.mean(), withRespectTo: [watched])
        }
        let basis = Benchmark.measure { _ = STFTBasis(fftSize: 512, windowLength: 512) }
        print(String(format: "stftMagnitude 16 × 8000, fft 512, hop 128: forward %.2f ms, forward + backward %.2f ms "
                     + "(medians; minimum %.2f ms); basis %.3f ms; %d threads", forward.median * 1e3, both.median * 1e3,
                     both.minimum * 1e3, basis.median * 1e3, Parallel.workerCount))
    }
}
