import Testing
@testable import VQEngine

@Suite struct TapeTests {
    @Test func inferenceRecordsNothing() {
        let tape = Tape()
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        _ = a.matmul(a)
        #expect(tape.count == 0)
        let watched = tape.watch(a)
        _ = a.matmul(a)  // untracked inputs: still nothing
        #expect(tape.count == 1)
        _ = watched.matmul(a)
        #expect(tape.count == 2)
    }

    /// d/dA sum(A·B ⊙ S) = S·Bᵀ, with S the seed: worked by hand for 1×1 products chained twice.
    @Test func chainRuleAndAccumulation() {
        let tape = Tape()
        let a = tape.watch(Tensor(shape: [1, 1], scalars: [3]))
        let b = Tensor(shape: [1, 1], scalars: [5])
        // y = (a·b)·a = 5a², dy/da = 10a = 30: a is used twice, so both paths must accumulate.
        let y = a.matmul(b).matmul(a)
        #expect(tape.gradients(of: y, withRespectTo: [a])[0].scalars == [30])
    }

    @Test func unusedInputGetsZeros() {
        let tape = Tape()
        let a = tape.watch(Tensor(shape: [1, 2], scalars: [1, 2]))
        let unused = tape.watch(Tensor(shape: [3], scalars: [1, 2, 3]))
        let y = a.matmul(Tensor(shape: [2, 1], scalars: [1, 1]))
        let gradients = tape.gradients(of: y, withRespectTo: [a, unused])
        #expect(gradients[0].scalars == [1, 1])
        #expect(gradients[1].scalars == [0, 0, 0])
    }

    @Test func detachedStopsGradients() {
        let tape = Tape()
        let a = tape.watch(Tensor(shape: [1, 1], scalars: [2]))
        let y = a.matmul(a.detached())  // d/da (a · sg[a]) = sg[a] = 2
        #expect(tape.gradients(of: y, withRespectTo: [a])[0].scalars == [2])
        #expect(!a.detached().isTracked && a.isTracked)
    }

    @Test func backwardDoesNotRecord() {
        let tape = Tape()
        let a = tape.watch(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let y = a.matmul(a).matmul(Tensor(shape: [2, 1], scalars: [1, 1]))
        let before = tape.count
        _ = tape.gradients(of: y, seed: Tensor(repeating: 1, shape: [2, 1]), withRespectTo: [a])
        #expect(tape.count == before)
        #expect(tape.isRecording)
    }

    /// The tape is held weakly by tensors: dropping the tape frees the graph and leaves
    /// tensors that no longer record.
    @Test func tensorsDoNotKeepTheTapeAlive() {
        weak var weakTape: Tape?
        var survivor: Tensor
        do {
            let tape = Tape()
            weakTape = tape
            survivor = tape.watch(Tensor(shape: [1, 1], scalars: [1])).matmul(Tensor(shape: [1, 1], scalars: [2]))
        }
        #expect(weakTape == nil)
        #expect(!survivor.isTracked)
        survivor = survivor.matmul(survivor)
        #expect(survivor.scalars == [4])
    }
}
