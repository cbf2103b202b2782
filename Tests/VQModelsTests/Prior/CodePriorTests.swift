import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// The `CodePrior` protocol through its one implementation, the PixelCNN: the cursor against its
/// naive twin (teacher-forced `logits(for:)` of the whole grid), `sample` against `sampleByFullPasses`,
/// and `PriorFile`. Everything goes through `any CodePrior` / `any PriorCursor`, as the commands do.
@Suite struct CodePriorTests {
    /// 3 layers of 3×3 (they see the whole past of the small grids used here), K 6.
    static func prior(numClasses: Int, seed: UInt64) -> any CodePrior {
        var generator = RandomGenerator(seed: seed)
        let configuration = PixelCNNConfiguration(numEmbeddings: 6, channels: 8, layers: 3, kernelSize: 3, outputChannels: 10,
                                                  numClasses: numClasses)
        var prior = PixelCNN(configuration, generator: &generator)
        // Non-zero class biases, so the labels matter (they start at zero).
        for index in prior.layers.indices where numClasses > 0 {
            prior.layers[index].horizontalCondition = Tensor(uniform: [numClasses, 16], low: -1, high: 1, generator: &generator)
            prior.layers[index].verticalCondition = Tensor(uniform: [numClasses, 16], low: -1, high: 1, generator: &generator)
        }
        return prior
    }

    static func randomCodes(_ count: Int, seed: UInt64) -> [Int32] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int32(generator.nextIndex(below: 6)) }
    }

    /// Grids (count, height, width): a rectangle, a sequence (height 1), a column (width 1).
    static let shapes = [(2, 3, 5), (3, 1, 7), (2, 4, 1)]

    /// Walking random grids with a cursor — logits, then append that position's code — gives at every
    /// position the logits the whole network gives the complete grids there (the logits at a position
    /// depend only on the codes before it: PixelCNNTests.logitsDependExactlyOnThePastInRasterOrder).
    @Test(arguments: [0, 3])
    func cursorLogitsEqualTeacherForcedLogits(numClasses: Int) {
        let prior = Self.prior(numClasses: numClasses, seed: 40)
        #expect(prior.codebookSize == 6 && prior.numClasses == numClasses && prior.isConditional == (numClasses > 0))
        for (shapeIndex, (count, height, width)) in Self.shapes.enumerated() {
            let size = height * width
            let codes = Self.randomCodes(count * size, seed: 41 + UInt64(shapeIndex))
            let labels: [Int32]? = numClasses > 0 ? (0..<count).map { Int32($0 % numClasses) } : nil
            let batch = CodeBatch(codes: codes, count: count, height: height, width: width, labels: labels)
            let full = prior.logits(for: batch)
            #expect(full.shape == [count, 6, height, width])
            var cursor = prior.makeCursor(count: count, height: height, width: width, labels: labels)
            for position in 0..<size {
                #expect(cursor.position == position)
                let logits = cursor.nextLogits()
                #expect(cursor.nextLogits() == logits, "asking twice changes nothing")
                #expect(logits.count == count)
                for item in 0..<count {
                    let expected = (0..<6).map { full[flat: (item * 6 + $0) * size + position] }
                    expectClose(logits[item], expected, absolute: 1e-5, relative: 1e-4,
                                "grid \(count)x\(height)x\(width), item \(item), position \(position)")
                }
                cursor.append((0..<count).map { codes[$0 * size + position] })
            }
            #expect(cursor.position == size)
        }
    }

    /// The cursor's draws are the full passes' draws: same seed, same grids, same generator state after.
    @Test(arguments: [(0, Float(1)), (0, 0.7), (3, 1.5)])
    func sampleEqualsSampleByFullPasses(numClasses: Int, temperature: Float) {
        let prior = Self.prior(numClasses: numClasses, seed: 42)
        for (count, height, width) in Self.shapes {
            let labels: [Int32]? = numClasses > 0 ? (0..<count).map { Int32(($0 + 1) % numClasses) } : nil
            var fast = RandomGenerator(seed: 43), naive = RandomGenerator(seed: 43)
            let sampled = prior.sample(count: count, height: height, width: width, labels: labels, temperature: temperature,
                                       generator: &fast)
            let reference = prior.sampleByFullPasses(count: count, height: height, width: width, labels: labels,
                                                     temperature: temperature, generator: &naive)
            #expect(sampled.count == count * height * width && sampled.allSatisfy { (0..<6).contains($0) })
            #expect(sampled == reference, "grid \(count)x\(height)x\(width), temperature \(temperature)")
            #expect(fast == naive)
        }
    }

    /// `PriorFile.load` reads a PixelCNN checkpoint back to the same prior, and refuses a model checkpoint
    /// or a file without a format with a one-line DataError naming the file.
    @Test func priorFileLoadsAPixelCNNAndRefusesOtherFiles() throws {
        let folder = temporaryFolder()
        let prior = Self.prior(numClasses: 3, seed: 44)
        let path = folder + "/prior.safetensors"
        try prior.checkpoint(metadata: ["steps": "5"]).write(to: path)
        let loaded = try PriorFile.load(path)
        #expect(loaded is PixelCNN)
        #expect((loaded as? PixelCNN)?.configuration == (prior as? PixelCNN)?.configuration)
        #expect(loaded.parameterCount == prior.parameterCount)
        let batch = CodeBatch(codes: Self.randomCodes(2 * 16, seed: 45), count: 2, height: 4, width: 4, labels: [2, 0])
        #expect(loaded.logits(for: batch).scalars == prior.logits(for: batch).scalars)

        var generator = RandomGenerator(seed: 46)
        let modelPath = folder + "/model.safetensors"
        let model = VQVAE(VQVAEConfiguration(inputChannels: 1, hiddenChannels: 4, residualChannels: 2, residualBlocks: 1,
                                             numEmbeddings: 6, embeddingDim: 2), generator: &generator)
        try model.checkpoint().write(to: modelPath)
        let expected = DataError(modelPath, "not a prior checkpoint (metadata format is 'vqvae-model/2', expected 'vqvae-prior/1')")
        #expect(throws: expected) { _ = try PriorFile.load(modelPath) }
        #expect(!expected.description.contains("\n"))

        let barePath = folder + "/bare.safetensors"
        try SafeTensors(tensors: ["x": Tensor(0)]).write(to: barePath)
        #expect(throws: DataError(barePath, "not a prior checkpoint (metadata format is missing, expected 'vqvae-prior/1')")) {
            _ = try PriorFile.load(barePath)
        }
    }
}
