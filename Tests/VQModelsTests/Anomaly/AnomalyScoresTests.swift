import Testing
import VQData
import VQEngine
import VQModels
import VQNN
import _VQTestSupport

/// The scores of a tiny untrained model against the quantities they are defined by, computed another
/// way: the reconstruction error from `reconstructedImages`-style decoding, the quantisation distance
/// from the codebook, the surprise from the prior's own cross-entropy.
@Suite struct AnomalyScoresTests {
    static func model(quantizer: QuantizerConfiguration = .default, seed: UInt64 = 3) -> VQVAE {
        var generator = RandomGenerator(seed: seed)
        var q = quantizer
        if q.kind != .fsq { q.codebookSize = 12 }
        return VQVAE(VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                        embeddingDim: 4, quantizer: q), generator: &generator)
    }

    static func prior(k: Int) -> PixelCNN {
        var generator = RandomGenerator(seed: 9)
        return PixelCNN(PixelCNNConfiguration(numEmbeddings: k, channels: 8, layers: 2, outputChannels: 8), generator: &generator)
    }

    static let images = ProceduralShapes.dataset(count: 10, seed: 5)

    @Test func scoresMatchTheirDefinitions() {
        let model = Self.model(), prior = Self.prior(k: 12)
        let (scores, maps) = model.anomalyScores(of: Self.images, prior: prior, mapCount: 3)
        #expect(scores.count == 10 && scores.scores == AnomalyScore.measured)
        #expect(maps.count == 3)
        let batch = Self.images.batch(Array(0..<10))
        let codes = model.encode(batch)
        let reconstruction = model.decode(codes, batch: 10, gridShape: [7, 7])
        let codebook = model.quantizer.codebooks[0]
        let rows = model.encoder(batch).permuted([0, 2, 3, 1]).reshaped(to: [-1, 4])
        for item in 0..<10 {
            let one = batch.sliced(alongAxis: 0, item..<(item + 1))
            let mine = reconstruction.sliced(alongAxis: 0, item..<(item + 1))
            #expect(abs(scores[.reconstructionError]![item] - Double(Tensor.mseLoss(mine, one).item)) < 1e-6)
            var distance = 0.0
            for position in 0..<49 {
                let row = item * 49 + position
                for d in 0..<4 {
                    let difference = Double(rows[flat: row * 4 + d]) - Double(codebook[flat: Int(codes[row]) * 4 + d])
                    distance += difference * difference
                }
            }
            #expect(abs(scores[.quantizationDistance]![item] - distance / 49) < 1e-5 * max(1, distance / 49))
            let grid = CodeBatch(codes: Array(codes[(item * 49)..<((item + 1) * 49)]), count: 1, height: 7, width: 7)
            let bits = Double(prior.loss(for: grid).item) / 0.6931471805599453
            #expect(abs(scores[.priorSurprise]![item] - bits) < 1e-4)
        }
        // A map's mean pixel error is the reconstruction error; its surprise map averages to the surprise.
        for (item, map) in maps.enumerated() {
            #expect(map.height == 28 && map.width == 28 && map.gridHeight == 7 && map.gridWidth == 7)
            let meanError = map.pixelErrors.reduce(0.0) { $0 + Double($1) } / 784
            #expect(abs(meanError - scores[.reconstructionError]![item]) < 1e-6)
            let meanSurprise = map.codeSurprise!.reduce(0.0) { $0 + Double($1) } / 49
            #expect(abs(meanSurprise - scores[.priorSurprise]![item]) < 1e-4)
        }
    }

    /// An image's scores do not depend on the others scored with it (fixed inference chunks).
    @Test func scoresOfASubsetEqualThoseOfTheWhole() {
        let model = Self.model()
        let whole = model.anomalyScores(of: Self.images, prior: nil).scores
        let part = model.anomalyScores(of: Self.images.prefix(4), prior: nil).scores
        #expect(part == whole.selecting([0, 1, 2, 3]))
        #expect(whole.scores == [.reconstructionError, .quantizationDistance])
    }

    /// Every quantizer kind scores; a residual quantizer's distance is to the sum of its stages' codes,
    /// and its surprise uses the first stage's codes.
    @Test(arguments: [QuantizerConfiguration.Kind.vq, .ema, .rvq, .fsq])
    func everyQuantizerScores(kind: QuantizerConfiguration.Kind) {
        var quantizer = QuantizerConfiguration.default
        quantizer.kind = kind
        if kind == .rvq { quantizer.depth = 2 }
        if kind == .fsq { quantizer.levels = [3, 4] }
        let model = Self.model(quantizer: quantizer)
        let prior = Self.prior(k: model.configuration.numEmbeddings)
        let scores = model.anomalyScores(of: Self.images.prefix(3), prior: prior).scores
        for score in AnomalyScore.measured { #expect(scores[score]!.allSatisfy { $0.isFinite && $0 >= 0 }, "\(kind) \(score)") }
    }

    /// One input beside its two maps: 3 panels of 28 and 2-pixel gaps; the first panel is the input in RGB.
    @Test func pictureHasThePanelsSide() {
        let model = Self.model(), prior = Self.prior(k: 12)
        let (_, maps) = model.anomalyScores(of: Self.images, prior: prior, mapCount: 1)
        let input = ImageGrid.images(fromBatch: Self.images.batch([0]))[0]
        let picture = AnomalyPicture.render(input: input, map: maps[0], surpriseScale: 4)
        #expect(picture.width == 3 * 28 + 4 && picture.height == 28 && picture.channels == 3)
        for (x, y) in [(0, 0), (13, 14), (27, 27)] {
            let gray = input.pixels[input.offset(x: x, y: y)]
            #expect(picture.pixel(x: x, y: y) == [gray, gray, gray])
        }
        #expect(picture.pixel(x: 28, y: 5) == [255, 255, 255])
        // Each code is a 4×4 block of one colour in the surprise panel.
        let left = 2 * 30
        #expect(picture.pixel(x: left + 4, y: 8) == picture.pixel(x: left + 7, y: 11))
        let twoPanels = AnomalyPicture.render(input: input, map: AnomalyMap(height: 28, width: 28, pixelErrors: maps[0].pixelErrors,
                                                                           gridHeight: 7, gridWidth: 7, codeSurprise: nil), surpriseScale: 4)
        #expect(twoPanels.width == 58)
    }

    /// The CSV: a header, one row per input, values that read back as the same Doubles.
    @Test func csvRowsReadBackExactly() {
        let scores = AnomalyScores([.reconstructionError: [0.1, 1.0 / 3], .combined: [-2.5e-7, 4]])
        let text = scores.csv(labels: [3, 5], normalClasses: [3])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "index,label,anomalous,reconstruction_error,combined")
        #expect(lines[1] == "0,3,0,0.1,-2.5e-07")
        let fields = lines[2].split(separator: ",")
        #expect(fields[0] == "1" && fields[1] == "5" && fields[2] == "1" && Double(fields[3]) == 1.0 / 3 && Double(fields[4]) == 4)
        #expect(scores.csv(labels: [], normalClasses: nil).split(separator: "\n")[1] == "0,,,0.1,-2.5e-07")
    }
}
