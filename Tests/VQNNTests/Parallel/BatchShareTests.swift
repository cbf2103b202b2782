import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// How a global batch is shared among processes, and the collective helpers the step uses.
@Suite struct BatchShareTests {
    /// B = 7 items among N = 3: ⌊r·7/3⌋ ..< ⌊(r+1)·7/3⌋ = 0..<2, 2..<4, 4..<7, weights 2/7, 2/7, 3/7; B = 16
    /// among 2: halves. The shares are contiguous and cover the batch once.
    @Test func sharesCoverTheBatchInRankOrder() {
        #expect((0..<3).map { BatchShare.items(ofRank: $0, processes: 3, globalCount: 7) } == [0..<2, 2..<4, 4..<7])
        #expect((0..<2).map { BatchShare.items(ofRank: $0, processes: 2, globalCount: 16) } == [0..<8, 8..<16])
        #expect(BatchShare.items(ofRank: 0, processes: 1, globalCount: 5) == 0..<5)
        let group = InProcessGroup(size: 3)
        let shares = (0..<3).map { BatchShare(communicator: group.member($0), globalCount: 7) }
        #expect(shares.map(\.weight) == [Float(2) / 7, Float(2) / 7, Float(3) / 7])
        #expect(shares.allSatisfy { !$0.isWhole && $0.globalCount == 7 })
        // In rows, 49 per item (a 7x7 latent grid): rank 1 of 2 of 16 images holds rows 392..<784 of 784.
        let rows = BatchShare(communicator: InProcessGroup(size: 2).member(1), globalCount: 16).rows(perItem: 49)
        #expect(rows.items == 392..<784 && rows.globalCount == 784)
        let whole = BatchShare.whole(5)
        #expect(whole.items == 0..<5 && whole.weight == 1 && whole.isWhole)
    }

    /// A single process's calls leave their buffers as they are.
    @Test func singleProcessChangesNothing() throws {
        let alone = SingleProcessCommunicator.shared
        #expect(alone.rank == 0 && alone.size == 1 && alone.isLeader)
        var floats: [Float] = [1, -2, 3.5]
        try alone.allReduce(&floats, .sum)
        var doubles: [Double] = [4, 5]
        try alone.allReduce(&doubles, .maximum)
        var tensor = Tensor(shape: [2], scalars: [7, 8])
        try alone.broadcast(&tensor, from: 0)
        #expect(floats == [1, -2, 3.5] && doubles == [4, 5] && tensor.scalars == [7, 8])
    }

    /// The in-process group combines like MPI: sums, minima and maxima element by element, and a
    /// broadcast gives every rank the root's bytes.
    @Test func inProcessGroupCombinesLikeMPI() throws {
        let group = InProcessGroup(size: 3)
        let results = group.run { member -> [[Double]] in
            let r = Double(member.rank)
            var sums = [r, 10 * r], minima = [r, -r], maxima = [r, -r]
            try member.allReduce(&sums, .sum)
            try member.allReduce(&minima, .minimum)
            try member.allReduce(&maxima, .maximum)
            var words: [UInt64] = [UInt64(member.rank) + 100]
            try member.broadcast(&words, from: 2)
            return [sums, minima, maxima, words.map { Double($0) }]
        }
        for result in results {
            let values = try result.get()
            #expect(values == [[3, 30], [0, -2], [2, 0], [102]], "\(values)")
        }
    }

    /// Rows 6, 0, 3, 3 of a global (7, 2) tensor whose row i is (i, 10·i), held by 3 ranks as rows
    /// 0..<2, 2..<4, 4..<7: every rank gets ((6, 60), (0, 0), (3, 30), (3, 30)), exactly.
    @Test func gatherRowsGivesEveryRankTheSameRows() throws {
        let group = InProcessGroup(size: 3)
        let results = group.run { member -> Tensor in
            let share = BatchShare(communicator: member, globalCount: 7)
            let local = Tensor(shape: [share.items.count, 2], scalars: share.items.flatMap { [Float($0), Float(10 * $0)] })
            return try share.gatherRows([6, 0, 3, 3], of: local)
        }
        for result in results {
            let gathered = try result.get()
            #expect(gathered.shape == [4, 2] && gathered.scalars == [6, 60, 0, 0, 3, 30, 3, 30])
        }
        // Alone, the same rows come straight from the tensor.
        let all = Tensor(shape: [7, 2], scalars: (0..<7).flatMap { [Float($0), Float(10 * $0)] })
        #expect(try BatchShare.whole(7).gatherRows([6, 0, 3, 3], of: all).scalars == [6, 60, 0, 0, 3, 30, 3, 30])
    }
}
