import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// x + table[label] by hand: input (2, 2, 3) (two items, two channels, length 3), table (3, 2) with
/// rows (0, 0), (1, 2), (−1, 5); labels [2, 1] add (−1, 5) to item 0's channels and (1, 2) to item 1's.
/// The table's gradient under an upstream of ones is the count of positions per chosen row: 3 for
/// rows 1 and 2 in both channels, 0 for row 0.
@Suite struct ConditionEmbeddingTests {
    @Test func addsEachItemsRowAndLearnsOnlyTheChosenRows() {
        var embedding = ConditionEmbedding(classes: 3, channels: 2)
        #expect(embedding.table.scalars == [0, 0, 0, 0, 0, 0])  // starts unconditioned
        embedding.table = Tensor(shape: [3, 2], scalars: [0, 0, 1, 2, -1, 5])
        let input = Tensor(shape: [2, 2, 3], scalars: (0..<12).map(Float.init))
        let output = embedding(input, labels: [2, 1])
        #expect(output.scalars == [-1, 0, 1, 8, 9, 10, 7, 8, 9, 11, 12, 13])
        let tape = Tape()
        embedding.table = tape.watch(embedding.table)
        let gradient = tape.gradients(of: embedding(input, labels: [2, 1]).sum(), withRespectTo: [embedding.table])[0]
        #expect(gradient.scalars == [0, 0, 3, 3, 3, 3])
        #expect(embedding.parameterNames == ["table"])
    }

    @Test func worksOnImagesToo() {
        var embedding = ConditionEmbedding(classes: 2, channels: 1)
        embedding.table = Tensor(shape: [2, 1], scalars: [10, 20])
        let output = embedding(Tensor(zeros: [2, 1, 2, 2]), labels: [1, 0])
        #expect(output.scalars == [20, 20, 20, 20, 10, 10, 10, 10])
    }
}
