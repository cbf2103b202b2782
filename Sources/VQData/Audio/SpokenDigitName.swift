/// A file name in the Free Spoken Digit Dataset's pattern, `DIGIT_SPEAKER_TAKE.wav`: `7_theo_12.wav` is
/// take 12 of speaker "theo" saying 7.
///
/// Exactly three fields separated by `_`: one decimal digit, a non-empty speaker name (any characters
/// but `_`), a take of decimal digits (leading zeros allowed); then `.wav` in any case. Nothing else
/// matches: `10_theo_1.wav`, `7_theo.wav`, `7_theo_1b.wav` and `7__1.wav` do not.
struct SpokenDigitName: Equatable {
    let digit: Int
    let speaker: String
    let take: Int

    /// The usual FSDD split: takes 0-4 are the test set, the others training.
    static let testTakes = 0...4

    init?(_ fileName: String) {
        guard fileName.count > 4, fileName.suffix(4).lowercased() == ".wav" else { return nil }
        let fields = fileName.dropLast(4).split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 3,
              fields[0].count == 1, let digit = fields[0].first?.wholeNumberValue, fields[0].first!.isASCII,
              !fields[1].isEmpty,
              !fields[2].isEmpty, fields[2].allSatisfy({ $0.isASCII && $0.isNumber }), let take = Int(fields[2])
        else { return nil }
        self.digit = digit
        self.speaker = String(fields[1])
        self.take = take
    }

    var isTest: Bool { SpokenDigitName.testTakes.contains(take) }
}
