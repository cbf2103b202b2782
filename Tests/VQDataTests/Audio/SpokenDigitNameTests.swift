import Testing
@testable import VQData

@Suite struct SpokenDigitNameTests {
    @Test func parsesTheFSDDPatternOnly() {
        let name = SpokenDigitName("7_theo_12.wav")
        #expect(name?.digit == 7 && name?.speaker == "theo" && name?.take == 12)
        let padded = SpokenDigitName("0_yweweler_007.WAV")
        #expect(padded?.digit == 0 && padded?.speaker == "yweweler" && padded?.take == 7)
        #expect(SpokenDigitName("3_x y_4.wav")?.speaker == "x y")
        #expect(SpokenDigitName("3_a_4.wav")?.isTest == true && SpokenDigitName("3_a_5.wav")?.isTest == false)
        for name in ["10_theo_1.wav", "7_theo.wav", "7_theo_1b.wav", "7__1.wav", "7_theo_.wav", "_theo_1.wav", "7_the_o_1.wav",
                     "7_theo_1.wav.txt", "7_theo_1.flac", ".wav", "a_theo_1.wav", "\u{663}_theo_1.wav", "7_theo_\u{663}.wav",
                     "7_theo_99999999999999999999.wav"] {
            #expect(SpokenDigitName(name) == nil, "\(name)")
        }
    }
}
