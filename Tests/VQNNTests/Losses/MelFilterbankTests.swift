import Testing
import VQEngine
import VQNN
import _VQTestSupport

@Suite struct MelFilterbankTests {
    /// Two bands at 8 kHz over an 8-point FFT (bins at 0, 1000, …, 4000 Hz). Expected values from the HTK
    /// formula by hand in numpy: band edges at 0, 620.58, 1791.33 and 4000 Hz, so band 0 is
    /// (1791.33 − 1000)/(1791.33 − 620.58) = 0.675917 at 1000 Hz, and band 1 is 0.324083, 0.905522 and
    /// 0.452761 at 1000, 2000 and 3000 Hz.
    @Test func twoBandsByHand() {
        let bank = MelFilterbank.weights(bands: 2, fftSize: 8, sampleRate: 8000)
        expectClose(bank[0], [0, 0.675917, 0, 0, 0], absolute: 1e-5, relative: 0, "band 0")
        expectClose(bank[1], [0, 0.324083, 0.905522, 0.452761, 0], absolute: 1e-5, relative: 0, "band 1")
        let weight = MelFilterbank.convolutionWeight(bands: 2, fftSize: 8, sampleRate: 8000)
        #expect(weight.shape == [2, 5, 1])
        #expect(weight.scalars == bank.flatMap { $0 })
    }

    /// `bands` triangles between 0 Hz and Nyquist, each peaking near 1, every bin covered by at most two
    /// overlapping triangles summing to at most 1.
    @Test func fortyBandsShape() {
        let bank = MelFilterbank.weights(bands: 40, fftSize: 256, sampleRate: 8000)
        #expect(bank.count == 40 && bank.allSatisfy { $0.count == 129 })
        for band in bank { #expect(band.max()! > 0.5 && band.max()! <= 1) }
        for bin in 0..<129 { #expect(bank.reduce(Float(0)) { $0 + $1[bin] } <= 1.0001) }
    }

    /// The loss's band counts: fftSize/8 within 8…80.
    @Test func lossBands() {
        #expect([64, 128, 256, 512, 1024].map(MelFilterbank.lossBands) == [8, 16, 32, 64, 80])
    }
}
