import Foundation
import Testing
import VQNN
@testable import VQModels

@Suite struct ReconstructionLossTests {
    /// The speech recipe's loss at 8 kHz: waveform L1 weight 1, the three resolutions scaled to 8 kHz, and
    /// the log-mel term at 8 kHz with weight 1 (`melWeight: 0` leaves it out).
    @Test func audioLossHasTheMelTermByDefault() {
        guard case .waveform(let weight, let resolutions, let mel) = ReconstructionLoss.audio(sampleRate: 8000) else {
            Issue.record("not a waveform loss"); return
        }
        #expect(weight == 1 && resolutions == MultiResolutionSTFTLoss.resolutions(forSampleRate: 8000))
        #expect(mel == .init(sampleRate: 8000, weight: 1))
        guard case .waveform(_, _, let none) = ReconstructionLoss.audio(sampleRate: 8000, melWeight: 0) else { return }
        #expect(none == nil)
    }

    /// A configuration saved before the mel term existed (this JSON is what runs of commit 9df96ae stored in
    /// model.safetensors) reads as the loss it was trained with: no mel term.
    @Test func lossesSavedWithoutTheMelTermReadWithout() throws {
        let json = #"{"waveform": {"resolutions": [{"fftSize": 256, "hopSize": 64, "windowLength": 256}], "waveformWeight": 1}}"#
        let loss = try JSONDecoder().decode(ReconstructionLoss.self, from: Data(json.utf8))
        #expect(loss == .waveform(waveformWeight: 1, resolutions: [.init(fftSize: 256, hopSize: 64, windowLength: 256)], mel: nil))
        let withMel = ReconstructionLoss.audio(sampleRate: 16_000)
        #expect(try JSONDecoder().decode(ReconstructionLoss.self, from: JSONEncoder().encode(withMel)) == withMel)
    }
}
