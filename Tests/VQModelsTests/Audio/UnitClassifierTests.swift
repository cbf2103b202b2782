import Testing
import VQEngine
import VQModels

/// The units-to-content figures of `vqvae audio eval`.
@Suite struct UnitClassifierTests {
    /// Label y's clips use units 2y and 2y + 1 (K 8, 4 labels): a linear classifier of bags of units
    /// separates them exactly, on clips it did not see too.
    @Test func separableBagsAreClassifiedExactly() {
        var generator = RandomGenerator(seed: 3)
        func clip(_ label: Int) -> [Int32] { (0..<(5 + generator.nextIndex(below: 10))).map { _ in Int32(2 * label + generator.nextIndex(below: 2)) } }
        let labels: [Int32] = (0..<40).map { Int32($0 % 4) }
        let units = labels.map { clip(Int($0)) }
        let classifier = UnitClassifier(units: units, labels: labels, codebookSize: 8, classes: 4)
        let testLabels: [Int32] = (0..<12).map { Int32($0 % 4) }
        #expect(classifier.accuracy(testLabels.map { clip(Int($0)) }, labels: testLabels) == 1)
    }

    /// I(U; Y) by hand. Two labels, units 0 and 1: label 0's clip [0, 0], label 1's clip [1, 1]: U
    /// determines Y, I = H(Y) = 1 bit. Label 0's [0, 1] and label 1's [0, 1]: U says nothing, I = 0.
    /// Label 0's [0, 0, 0], label 1's [0]: p(u=0) = 1, so I = 0.
    @Test func mutualInformationByHand() {
        #expect(abs(UnitClassifier.mutualInformation([[0, 0], [1, 1]], labels: [0, 1], codebookSize: 2, classes: 2) - 1) < 1e-12)
        #expect(abs(UnitClassifier.mutualInformation([[0, 1], [0, 1]], labels: [0, 1], codebookSize: 2, classes: 2)) < 1e-12)
        #expect(abs(UnitClassifier.mutualInformation([[0, 0, 0], [0]], labels: [0, 1], codebookSize: 2, classes: 2)) < 1e-12)
    }
}
