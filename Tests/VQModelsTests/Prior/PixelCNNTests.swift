import Foundation
import Testing
import VQData
import VQEngine
@testable import VQModels
import VQNN
import _VQTestSupport

@Suite struct PixelCNNTests {
    /// 4 layers of 3×3 reach 5 rows up and 4 columns to each side: the whole past of a 5×5 grid.
    let small = PixelCNNConfiguration(numEmbeddings: 6, channels: 8, layers: 4, kernelSize: 3, outputChannels: 12, numClasses: 3)

    private func randomCodes(_ count: Int, k: Int, seed: UInt64) -> [Int32] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int32(generator.nextIndex(below: k)) }
    }

    /// The logits of item `item` at raster position `position` of (N, K, H, W) logits.
    private func logits(_ all: Tensor, item: Int, position: Int) -> [Float] {
        let (k, size) = (all.shape[1], all.shape[2] * all.shape[3])
        return (0..<k).map { all[flat: (item * k + $0) * size + position] }
    }

    /// For every position p of a 5×5 grid: changing the code at p leaves the logits of every position
    /// i ≤ p bit for bit unchanged (nothing at or after i is seen), changes the logits of every
    /// position i > p (no blind spot), and leaves the other grid of the batch alone.
    @Test func logitsDependExactlyOnThePastInRasterOrder() {
        var generator = RandomGenerator(seed: 5)
        let prior = PixelCNN(small, generator: &generator)
        let (height, width) = (5, 5)
        let codes = randomCodes(2 * height * width, k: 6, seed: 6)
        let labels: [Int32] = [1, 2]
        let base = prior(codes, batch: 2, height: height, width: width, labels: labels)
        #expect(base.shape == [2, 6, 5, 5])
        var unchanged = 0, changed = 0
        for changedPosition in 0..<(height * width) {
            var altered = codes
            altered[changedPosition] = (altered[changedPosition] + 1) % 6
            let output = prior(altered, batch: 2, height: height, width: width, labels: labels)
            for position in 0..<(height * width) {
                let before = logits(base, item: 0, position: position), after = logits(output, item: 0, position: position)
                if changedPosition >= position {
                    #expect(before == after, "position \(position) saw a change at \(changedPosition)")
                    unchanged += 1
                } else {
                    let difference = zip(before, after).map { abs($0 - $1) }.max()!
                    #expect(difference > 1e-6, "position \(position) is blind to position \(changedPosition)")
                    changed += 1
                }
                #expect(logits(base, item: 1, position: position) == logits(output, item: 1, position: position))
            }
        }
        #expect(unchanged == 325 && changed == 300)  // 25·26/2 pairs with p ≥ i, 25·24/2 with p < i
    }

    /// With a context map the codes stay causal (a code changes only the logits after it), while the
    /// context is seen at the position itself and one step beyond in every direction (its 3×3
    /// convolution), including below and right, and nowhere further.
    @Test func contextIsSeenAroundThePositionAndCodesStayCausal() {
        var generator = RandomGenerator(seed: 23)
        var configuration = small
        (configuration.numClasses, configuration.contextChannels, configuration.layers) = (0, 2, 2)
        let prior = PixelCNN(configuration, generator: &generator)
        let (height, width) = (5, 5)
        let codes = randomCodes(height * width, k: 6, seed: 24)
        let context = Tensor(uniform: [1, 2, height, width], low: -1, high: 1, generator: &generator)
        let base = prior(codes, batch: 1, height: height, width: width, context: context)
        for changed in 0..<(height * width) {
            var altered = codes
            altered[changed] = (altered[changed] + 1) % 6
            let output = prior(altered, batch: 1, height: height, width: width, context: context)
            for position in 0...changed { #expect(logits(base, item: 0, position: position) == logits(output, item: 0, position: position)) }
        }
        var nudged = context
        nudged[flat: 0 * 25 + 2 * 5 + 2] += 1  // channel 0 at (2, 2)
        let output = prior(codes, batch: 1, height: height, width: width, context: nudged)
        for row in 0..<height {
            for column in 0..<width {
                let same = logits(base, item: 0, position: row * width + column) == logits(output, item: 0, position: row * width + column)
                // Within one step of (2, 2) the features change; the gates pass that on to later
                // positions through the stacks, never to earlier rows beyond the 3×3 window.
                if abs(row - 2) <= 1 && abs(column - 2) <= 1 { #expect(!same, "(\(row), \(column)) does not see the context") }
                if row < 1 { #expect(same, "(\(row), \(column)) sees the context two rows below") }
            }
        }
    }

    /// The class label changes every position's logits, including the first (which sees no codes).
    @Test func labelConditionsEveryPosition() {
        var generator = RandomGenerator(seed: 7)
        var prior = PixelCNN(small, generator: &generator)
        prior.layers[0].horizontalCondition = Tensor(uniform: [3, 16], low: -1, high: 1, generator: &generator)
        let codes = randomCodes(9, k: 6, seed: 8)
        let a = prior(codes, batch: 1, height: 3, width: 3, labels: [0]), b = prior(codes, batch: 1, height: 3, width: 3, labels: [2])
        for position in 0..<9 { #expect(logits(a, item: 0, position: position) != logits(b, item: 0, position: position)) }
    }

    /// The sampler's shortcut (vertical stack on the rows so far, horizontal stack on one row's left
    /// part) gives the same logits as the whole network at every position.
    /// The cursor's passes at every position against the full network, on a grid within the
    /// receptive field (`small`) and on one several times larger (2 layers of 3×3: reach 2), where the
    /// passes start `reach` rows and columns back.
    @Test(arguments: [(false, 4, 5), (true, 9, 11)])
    func samplerLogitsMatchTheFullNetwork(shallow: Bool, height: Int, width: Int) {
        var generator = RandomGenerator(seed: 9)
        var configuration = small
        if shallow { configuration.layers = 2 }
        let prior = PixelCNN(configuration, generator: &generator)
        let count = 3
        let codes = randomCodes(count * height * width, k: 6, seed: 10)
        let labels: [Int32] = [0, 1, 2]
        let full = prior(codes, batch: count, height: height, width: width, labels: labels)
        for row in 0..<height {
            let links = prior.rowLinks(codes, count: count, height: height, width: width, row: row, labels: labels)
            for column in 0..<width {
                let shortcut = prior.positionLogits(codes, count: count, height: height, width: width, row: row, column: column,
                                                    links: links, labels: labels)
                for item in 0..<count {
                    expectClose(shortcut[item], logits(full, item: item, position: row * width + column), absolute: 1e-5,
                                relative: 1e-4, "item \(item) at (\(row), \(column))")
                }
            }
        }
    }

    /// The cached cursor (what `makeCursor` gives) walked through random grids, its logits at every
    /// position against the full network's: the `small` prior on a grid inside its receptive field, 2
    /// layers of 3×3 and 3 layers of 5×5 on grids several times larger; with and without a context map.
    @Test(arguments: [(4, 3, 4, 5, 0), (2, 3, 9, 11, 0), (3, 5, 8, 13, 0), (4, 3, 4, 5, 3), (2, 3, 9, 11, 5)])
    func cachedCursorMatchesTheFullNetwork(layers: Int, kernelSize: Int, height: Int, width: Int, contextChannels: Int) {
        var generator = RandomGenerator(seed: 19)
        var configuration = small
        (configuration.layers, configuration.kernelSize, configuration.contextChannels) = (layers, kernelSize, contextChannels)
        var prior = PixelCNN(configuration, generator: &generator)
        for index in prior.layers.indices {   // non-zero class biases, so the conditioning is checked too
            prior.layers[index].verticalCondition = Tensor(uniform: [3, 16], low: -0.5, high: 0.5, generator: &generator)
            prior.layers[index].horizontalCondition = Tensor(uniform: [3, 16], low: -0.5, high: 0.5, generator: &generator)
        }
        let count = 3, labels: [Int32] = [2, 0, 1]
        let codes = randomCodes(count * height * width, k: 6, seed: 20)
        let context = contextChannels == 0 ? nil
            : Tensor(uniform: [count, contextChannels, height, width], low: -1, high: 1, generator: &generator)
        let full = prior(codes, batch: count, height: height, width: width, labels: labels, context: context)
        var cursor = prior.makeCursor(count: count, height: height, width: width, labels: labels, context: context)
        for position in 0..<(height * width) {
            let logits = cursor.nextLogits()
            for item in 0..<count {
                expectClose(logits[item], self.logits(full, item: item, position: position), absolute: 1e-5, relative: 1e-4,
                            "item \(item) at \(position)")
            }
            cursor.append((0..<count).map { codes[$0 * height * width + position] })
        }
    }

    /// Skipping `nextLogits` at some positions (as the codec does at positions outside an image) leaves
    /// the later logits unchanged.
    @Test func cachedCursorNeedsNoLogitsToMoveOn() {
        var generator = RandomGenerator(seed: 21)
        var configuration = small
        configuration.layers = 2
        let prior = PixelCNN(configuration, generator: &generator)
        let (height, width) = (5, 6), labels: [Int32] = [1]
        let codes = randomCodes(height * width, k: 6, seed: 22)
        var every = prior.makeCursor(count: 1, height: height, width: width, labels: labels)
        var some = prior.makeCursor(count: 1, height: height, width: width, labels: labels)
        for position in 0..<(height * width) {
            let expected = every.nextLogits()
            if position % 4 == 3 || position == 0 { #expect(some.nextLogits() == expected, "position \(position)") }
            every.append([codes[position]])
            some.append([codes[position]])
        }
    }

    /// Gradients of the whole prior's loss with respect to the embedding and one layer's weights,
    /// against finite differences (masked taps must get exactly zero).
    @Test func lossGradientsMatchFiniteDifferences() {
        let configuration = PixelCNNConfiguration(numEmbeddings: 4, channels: 2, layers: 2, kernelSize: 3, outputChannels: 3,
                                                  numClasses: 2)
        var generator = RandomGenerator(seed: 11)
        var prior = PixelCNN(configuration, generator: &generator)
        prior.layers[1].verticalCondition = Tensor(uniform: [2, 4], low: -0.5, high: 0.5, generator: &generator)
        let codes = randomCodes(2 * 3 * 3, k: 4, seed: 12)
        let inputs = [prior.embedding, prior.layers[1].vertical.weight, prior.layers[1].verticalCondition!, prior.layers[0].horizontal.weight]
        expectGradientsMatchFiniteDifferences(inputs, epsilon: 1e-2, absolute: 3e-3, relative: 3e-2, "prior loss") { values in
            var copy = prior
            copy.embedding = values[0]
            copy.layers[1].vertical.weight = values[1]
            copy.layers[1].verticalCondition = values[2]
            copy.layers[0].horizontal.weight = values[3]
            return copy.loss(codes, batch: 2, height: 3, width: 3, labels: [0, 1])
        }
        let tape = Tape()
        var tracked = prior
        tracked.watchParameters(on: tape)
        let gradient = tape.gradients(of: tracked.loss(codes, batch: 2, height: 3, width: 3, labels: [0, 1]),
                                      withRespectTo: [tracked.layers[0].horizontal.weight])[0]
        let mask = prior.layers[0].horizontal.mask
        for index in 0..<mask.count where mask[flat: index] == 0 { #expect(gradient[flat: index] == 0) }
    }

    @Test func masksByHand() {
        #expect(PixelCNNMasks.vertical(outputChannels: 1, inputChannels: 1, kernelSize: 3).scalars == [1, 1, 1, 1, 1, 1, 0, 0, 0])
        #expect(PixelCNNMasks.horizontal(outputChannels: 1, inputChannels: 1, kernelSize: 5, excludingCentre: true).scalars == [1, 1, 0, 0, 0])
        #expect(PixelCNNMasks.horizontal(outputChannels: 1, inputChannels: 1, kernelSize: 5, excludingCentre: false).scalars == [1, 1, 1, 0, 0])
        #expect(PixelCNNMasks.vertical(outputChannels: 4, inputChannels: 2, kernelSize: 3).shape == [4, 2, 3, 3])
    }

    @Test func checkpointRoundTripKeepsTensorsAndOutputs() throws {
        var generator = RandomGenerator(seed: 13)
        let prior = PixelCNN(small, generator: &generator)
        let file = try SafeTensors(parsing: prior.checkpoint(metadata: ["steps": "3"]).encoded(), path: "p")
        #expect(file.metadata["format"] == "vqvae-prior/1" && file.metadata["steps"] == "3")
        #expect(file.tensors["embedding.weight"]?.shape == [6, 8])
        #expect(file.tensors["layers.0.vertical.weight"]?.shape == [16, 8, 3, 3])
        #expect(file.tensors["layers.3.horizontal.weight"]?.shape == [16, 8, 1, 3])
        #expect(file.tensors["layers.2.vertical_condition"]?.shape == [3, 16])
        #expect(file.tensors["output2.weight"]?.shape == [6, 12, 1, 1])
        #expect(file.tensors.count == prior.parameterNames.count)
        let loaded = try PixelCNN(checkpoint: file, path: "p")
        #expect(loaded.configuration == small)
        #expect(loaded.parameters.map(\.scalars) == prior.parameters.map(\.scalars))
        let codes = randomCodes(2 * 16, k: 6, seed: 14)
        #expect(loaded(codes, batch: 2, height: 4, width: 4, labels: [0, 2]).scalars
                == prior(codes, batch: 2, height: 4, width: 4, labels: [0, 2]).scalars)
    }

    /// A prior with a context map stores its context convolutions, and configurations written before
    /// context maps existed (no `contextChannels`) still load, as 0.
    @Test func contextCheckpointRoundTripAndOlderConfigurations() throws {
        var generator = RandomGenerator(seed: 25)
        var configuration = small
        configuration.contextChannels = 4
        let prior = PixelCNN(configuration, generator: &generator)
        let file = try SafeTensors(parsing: prior.checkpoint(metadata: [:]).encoded(), path: "p")
        #expect(file.tensors["context_input.weight"]?.shape == [8, 4, 3, 3])
        #expect(file.tensors["layers.1.vertical_context.weight"]?.shape == [16, 8, 1, 1])
        #expect(file.tensors["layers.3.horizontal_context.bias"]?.shape == [16])
        let loaded = try PixelCNN(checkpoint: file, path: "p")
        #expect(loaded.configuration == configuration && loaded.contextChannels == 4)
        let older = #"{"numEmbeddings":6,"channels":8,"layers":4,"kernelSize":3,"outputChannels":12,"numClasses":3}"#
        #expect(try JSONDecoder().decode(PixelCNNConfiguration.self, from: Data(older.utf8)) == small)
        let broken = #"{"numEmbeddings":6,"channels":8,"layers":4,"kernelSize":4,"outputChannels":12,"numClasses":3}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PixelCNNConfiguration.self, from: Data(broken.utf8)) }
    }

    @Test func checkpointErrorsAreNamed() throws {
        var generator = RandomGenerator(seed: 15)
        var file = PixelCNN(small, generator: &generator).checkpoint()
        file.tensors["output1.bias"] = nil
        #expect(throws: DataError.self) { try PixelCNN(checkpoint: file, path: "p") }
        file.metadata["format"] = "vqvae-model/1"
        #expect(throws: DataError.self) { try PixelCNN(checkpoint: file, path: "p") }
    }

    @Test func samplingIsSeededAndRespectsTheShape() {
        var generator = RandomGenerator(seed: 16)
        let prior = PixelCNN(small, generator: &generator)
        var first = RandomGenerator(seed: 1), again = RandomGenerator(seed: 1), other = RandomGenerator(seed: 2)
        let a = prior.sample(count: 3, height: 4, width: 4, labels: [0, 1, 2], generator: &first)
        let b = prior.sample(count: 3, height: 4, width: 4, labels: [0, 1, 2], generator: &again)
        let c = prior.sample(count: 3, height: 4, width: 4, labels: [0, 1, 2], generator: &other)
        #expect(a.count == 48 && a.allSatisfy { (0..<6).contains($0) })
        #expect(a == b)
        #expect(a != c)
        var naive = RandomGenerator(seed: 1)
        #expect(prior.sampleByFullPasses(count: 3, height: 4, width: 4, labels: [0, 1, 2], generator: &naive) == a)
    }
}
