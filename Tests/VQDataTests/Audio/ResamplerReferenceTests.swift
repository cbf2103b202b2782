import Foundation
import Testing
@testable import VQData

/// The resampler against scipy.signal.resample_poly (Fixtures/resample/resample_poly.safetensors,
/// written by make_resample_fixture.py): four in-band tones resampled between five pairs of rates, down
/// and up, integer and awkward ratios. Both resamplers are zero-phase (output n at input time
/// n · from / to) and give ⌈count · to / from⌉ samples; their filters differ (ours a Kaiser-windowed sinc
/// cut at 0.95 × the lower Nyquist frequency with 80 dB design attenuation, scipy's a Kaiser β 5 window
/// cut at Nyquist, 10 zero crossings a side), so they agree to the two filters' pass-band errors, not
/// bit for bit. The ends are left out: there each filter's own length meets the zero padding.
@Suite struct ResamplerReferenceTests {
    static let pairs = [(16000, 8000), (44100, 16000), (22050, 8000), (8000, 16000), (8000, 11025)]

    static var fixture: SafeTensors {
        let path = String(#filePath).replacingOccurrences(of: "Audio/ResamplerReferenceTests.swift",
                                                          with: "Fixtures/resample/resample_poly.safetensors")
        return try! SafeTensors(contentsOf: path)
    }

    /// Every output sample at least 150 output samples from either end (beyond both filters' reach)
    /// within 1e-3 of scipy's (the signal's peak is about 0.9; measured at most 5.6e-4, for 8000 → 11025;
    /// a one-sample misalignment would be about 0.1): the differences are printed with VQ_FIXTURE_REPORT=1.
    @Test func matchesScipyResamplePoly() {
        let fixture = Self.fixture
        var report: [String] = []
        for (from, to) in Self.pairs {
            let input = fixture.tensors["input.\(from)_\(to)"]!.scalars
            let expected = fixture.tensors["output.\(from)_\(to)"]!.scalars
            let output = Resampler(from: from, to: to)(input)
            #expect(output.count == expected.count, "\(from) → \(to): \(output.count) samples, scipy \(expected.count)")
            guard output.count == expected.count else { continue }
            let inner = 150..<(output.count - 150)
            let worst = inner.reduce(Float(0)) { max($0, abs(output[$1] - expected[$1])) }
            #expect(worst <= 1e-3, "\(from) → \(to): largest difference \(worst)")
            report.append("\(from)→\(to) \(worst)")
        }
        if ProcessInfo.processInfo.environment["VQ_FIXTURE_REPORT"] != nil {
            print("Resampler against resample_poly: " + report.joined(separator: ", "))
        }
    }
}
