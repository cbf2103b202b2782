import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// `GradientBuckets`: weighted sums over processes in few calls.
@Suite struct GradientBucketsTests {
    @Test func bucketsAreConsecutiveRangesOfTheCapacity() {
        #expect(GradientBuckets.ranges(total: 10, capacity: 4) == [0..<4, 4..<8, 8..<10])
        #expect(GradientBuckets.ranges(total: 8, capacity: 4) == [0..<4, 4..<8])
        #expect(GradientBuckets.ranges(total: 0, capacity: 4).isEmpty)
        // The Sonnet VQ-VAE's 2.8 MB of gradients (about 700k floats) fit the default 4 MB bucket.
        #expect(GradientBuckets.ranges(total: 700_000, capacity: GradientBuckets.defaultCapacity).count == 1)
    }

    /// Rank 0 (weight 1/4) holds scalars (1, 2) and tensors (1, 2, 3), (4); rank 1 (weight 3/4) holds
    /// (3, 4) and (10, 20, 30), (40). Sums Σ w·x: scalars (0.25 + 2.25, 0.5 + 3) = (2.5, 3.5), tensors
    /// (0.25 + 7.5, 0.5 + 15, 0.75 + 22.5) = (7.75, 15.5, 23.25) and 1 + 30 = 31, all exact in Float.
    /// Six floats in buckets of 4: two calls on each rank; shapes kept.
    @Test func weightedSumsOverTwoRanksInTwoCalls() throws {
        let group = InProcessGroup(size: 2)
        let results = group.run { member -> ([Float], [Tensor], Int) in
            var buckets = GradientBuckets(capacity: 4)
            var scalars: [Float] = member.rank == 0 ? [1, 2] : [3, 4]
            var tensors = member.rank == 0
                ? [Tensor(shape: [3, 1], scalars: [1, 2, 3]), Tensor(shape: [1], scalars: [4])]
                : [Tensor(shape: [3, 1], scalars: [10, 20, 30]), Tensor(shape: [1], scalars: [40])]
            let calls = try buckets.sum(scalars: &scalars, tensors: &tensors, weight: member.rank == 0 ? 0.25 : 0.75,
                                        communicator: member)
            return (scalars, tensors, calls)
        }
        for result in results {
            let (scalars, tensors, calls) = try result.get()
            #expect(scalars == [2.5, 3.5])
            #expect(tensors.map(\.shape) == [[3, 1], [1]])
            #expect(tensors[0].scalars == [7.75, 15.5, 23.25] && tensors[1].scalars == [31])
            #expect(calls == 2)
        }
    }
}
