import Testing
import VQEngine
import VQNN
import _VQTestSupport

/// The data-parallel step on threads standing for processes (`InProcessGroup`): every rank ends each
/// step with the same bits, and they equal one process's training on the whole batch up to the order
/// of the sums.
@Suite struct DataParallelStepTests {
    /// y = x·w, w (2, 1), MSE: a mean over items, so shares combine by their weights n_r/B.
    struct Linear: TrainableModel {
        struct Batch {
            var x: Tensor
            var y: Tensor
        }

        var w = Tensor(shape: [2, 1], scalars: [0.5, -1])

        mutating func forEachParameter(_ body: (String, inout Tensor) -> Void) { body("w", &w) }

        func trainingLoss(on batch: Batch, share: BatchShare, generator: inout RandomGenerator) -> TrainingLoss<Void> {
            let loss = Tensor.mseLoss(batch.x.matmul(w), batch.y)
            return TrainingLoss(total: loss, parts: [("mse", loss.item)], output: ())
        }

        static func itemCount(of batch: Batch) -> Int { batch.x.shape[0] }

        static func items(_ items: Range<Int>, of batch: Batch) -> Batch {
            Batch(x: batch.x.sliced(alongAxis: 0, items), y: batch.y.sliced(alongAxis: 0, items))
        }
    }

    /// Five items, so 2 ranks hold 2 and 3 (weights 2/5, 3/5) and 3 ranks 1, 2 and 2: unequal shares.
    static var batch: Linear.Batch { Linear.Batch(x: Tensor(shape: [5, 2], scalars: [1, 2, 0, 1, 2, 0, -1, 1, 0.5, 0.5]),
                                                        y: Tensor(shape: [5, 1], scalars: [1, 2, 3, -1, 0.25])) }

    static func trainer(_ communicator: any Communicator) -> ModelTrainer<Linear> {
        ModelTrainer(model: Linear(), optimizer: Adam(), schedule: .constant(0.05), generator: RandomGenerator(seed: 1),
                     communicator: communicator)
    }

    /// Three steps alone and on 2 and 3 ranks: the same loss each step (the global batch's, 1e-6) and
    /// the same weights (1e-6), with every rank's weights bit for bit equal to the others'.
    @Test(arguments: [2, 3]) func ranksMatchOneProcess(size: Int) throws {
        var alone = Self.trainer(SingleProcessCommunicator.shared)
        let expected = try (0..<3).map { _ in (try alone.step(on: Self.batch).report.losses["mse"]!, alone.model.w.scalars) }
        let group = InProcessGroup(size: size)
        let results = group.run { member -> [(Float, [Float], Bool)] in
            var trainer = Self.trainer(member)
            return try (0..<3).map { _ in
                let loss = try trainer.step(on: Self.batch).report.losses["mse"]!
                return (loss, trainer.model.w.scalars, try trainer.processesAgree())
            }
        }
        var weights: [[[Float]]] = []
        for result in results {
            let steps = try result.get()
            for (step, (loss, w, agree)) in steps.enumerated() {
                expectClose([loss], [expected[step].0], absolute: 1e-6, relative: 1e-6, "loss at step \(step + 1)")
                expectClose(w, expected[step].1, absolute: 1e-6, relative: 1e-6, "w at step \(step + 1)")
                #expect(agree, "ranks agree after step \(step + 1)")
            }
            weights.append(steps.map(\.1))
        }
        #expect(weights.allSatisfy { $0 == weights[0] }, "every rank holds the same bits")
    }

    /// A target of 1e30 in rank 1's share overflows the loss there only; both ranks stop at step 1
    /// with the error and leave the weights as they were.
    @Test func aLossNotFiniteOnOneRankStopsEveryRank() throws {
        var batch = Self.batch
        batch.y = Tensor(shape: [5, 1], scalars: [1, 2, 3, 1e30, 0.25])
        let results = InProcessGroup(size: 2).run { member -> (Int?, [Float]) in
            var trainer = Self.trainer(member)
            do {
                try trainer.step(on: batch)
                return (nil, trainer.model.w.scalars)
            } catch let error as NonFiniteLossError {
                return (error.step, trainer.model.w.scalars)
            }
        }
        for result in results {
            let (step, w) = try result.get()
            #expect(step == 1 && w == [0.5, -1])
        }
    }

    /// A synchronised start: rank 1's model, moments and generator become rank 0's, and the digests agree.
    @Test func synchronizeCopiesRankZero() throws {
        let results = InProcessGroup(size: 2).run { member -> ([Float], UInt64, Bool, Bool) in
            var trainer = Self.trainer(member)
            if member.rank == 1 {
                trainer.model.w = Tensor(shape: [2, 1], scalars: [9, 9])
                trainer.generator = RandomGenerator(seed: 99)
            }
            let before = try trainer.processesAgree()
            try trainer.synchronize()
            return (trainer.model.w.scalars, trainer.generator.state.0, before, try trainer.processesAgree())
        }
        let outcomes = try results.map { try $0.get() }
        #expect(outcomes.map(\.0) == [[0.5, -1], [0.5, -1]])
        #expect(outcomes[0].1 == outcomes[1].1)
        #expect(outcomes.map(\.2) == [false, false] && outcomes.map(\.3) == [true, true])
    }

    /// An EMA codebook with dead-code restarts, updated from a batch of 6 rows split 3 and 3: the same
    /// cluster sizes, sums, usage counters and codebook as one process updating from all 6 (values
    /// are small multiples of 1/4, so every sum is exact whatever its order), and the restarted code
    /// takes the same row on both ranks, the one a single process draws.
    ///
    /// Codebook (0, 0), (4, 0), (0, 4), (8, 8); rows (0.25, 0), (0, 0.25), (4, 0.5), (4.5, 0), (0.25, 3.75),
    /// (0, 0.5): codes 0, 0, 1, 1, 2, 0 — code 3 unused, restarted with patience 1.
    @Test func quantizerUpdateFromGlobalFigures() throws {
        let rows = Tensor(shape: [6, 2], scalars: [0.25, 0, 0, 0.25, 4, 0.5, 4.5, 0, 0.25, 3.75, 0, 0.5])
        func quantizer() -> VectorQuantizer {
            var generator = RandomGenerator(seed: 3)
            var quantizer = VectorQuantizer(movingAverageCodes: 4, embeddingDim: 2, decay: 0.5, deadCodes: DeadCodePolicy(patience: 1),
                                            generator: &generator)
            let codebook = Tensor(shape: [4, 2], scalars: [0, 0, 4, 0, 0, 4, 8, 8])
            quantizer.codebook = codebook
            quantizer.movingAverages = CodebookMovingAverages(codebook: codebook, decay: 0.5)
            return quantizer
        }
        var alone = quantizer()
        var generator = RandomGenerator(seed: 7)
        let output = alone(rows)
        #expect(output.indices == [0, 0, 1, 1, 2, 0])
        #expect(alone.update(after: output, generator: &generator) == 1)
        let expected = alone.namedTensors.mapValues(\.scalars)

        let results = InProcessGroup(size: 2).run { member -> ([String: [Float]], Int) in
            var shared = quantizer()
            var generator = RandomGenerator(seed: 7)
            let share = BatchShare(communicator: member, globalCount: 6)
            let local = shared(rows.sliced(alongAxis: 0, share.items))
            let restarted = try shared.update(after: local, share: share, generator: &generator)
            return (shared.namedTensors.mapValues(\.scalars), restarted)
        }
        for result in results {
            let (tensors, restarted) = try result.get()
            #expect(restarted == 1)
            #expect(tensors == expected)
        }
    }
}
