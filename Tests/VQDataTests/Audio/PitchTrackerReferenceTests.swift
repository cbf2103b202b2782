import Foundation
import Testing
import VQData

/// The tracker against the PyTorch peer's numpy YIN (Fixtures/pitch/yin_reference.safetensors, written
/// by make_pitch_fixture.py from Scripts/bench/audio_ref.py's `pitch_frames`) on a synthetic voice with a
/// gliding, vibrating F0, noise and silence. The peer sums in float64 (d as energies minus a product),
/// ours in float32 (squared differences), so they agree to rounding: the same voicing on every frame and
/// F0 within 0.05% (a step of the quantised F0 is 3.1%), which keeps the decoder's inputs the same.
@Suite struct PitchTrackerReferenceTests {
    @Test func matchesThePeersYIN() throws {
        let path = String(#filePath).replacingOccurrences(of: "Audio/PitchTrackerReferenceTests.swift",
                                                          with: "Fixtures/pitch/yin_reference.safetensors")
        let fixture = try SafeTensors(contentsOf: path)
        let input = fixture.tensors["input"]!.scalars, expected = fixture.tensors["f0"]!.scalars
        let f0 = PitchTracker(sampleRate: 8000, hop: 64).track(input[...])
        #expect(f0.count == expected.count)
        #expect(expected.filter { $0 > 0 }.count == 121)
        for (frame, (ours, peer)) in zip(f0, expected).enumerated() {
            #expect((ours > 0) == (peer > 0) && abs(ours - peer) <= 5e-4 * peer, "frame \(frame): \(ours) Hz, peer \(peer) Hz")
        }
    }
}
