import Testing
import VQData
import VQEngine
import VQModels

@Suite struct TrainingPicturesTests {
    @Test func writeProducesTheThreePicturesWithTheRecordedLosses() throws {
        let folder = temporaryFolder()
        let train = ProceduralShapes.dataset(count: 40, seed: 1), test = ProceduralShapes.dataset(count: 12, seed: 2)
        var generator = RandomGenerator(seed: 1)
        var trainer = Trainer(model: VQVAE(CodesRoundTripTests.tiny, generator: &generator), dataset: train,
                              options: TrainingOptions(steps: 4, batchSize: 4))
        var pictures = TrainingPictures(folder: folder, testSet: test)
        for _ in 1...4 { try pictures.record(trainer.trainStep()) }
        #expect(!FileIO.exists(folder + "/" + TrainingPictures.lossCurvesFile))
        try pictures.write(model: trainer.model)
        #expect(pictures.writingSeconds > 0)
        #expect(pictures.history.steps == [1, 2, 3, 4])
        for name in [TrainingPictures.reconstructionsFile, TrainingPictures.codebookUsageFile, TrainingPictures.lossCurvesFile] {
            let bytes = try FileIO.read(folder + "/" + name)
            #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        }
    }

    @Test func usageChartIsSortedMostUsedFirst() {
        let chart = TrainingPictures.codebookUsageChart([0, 5, 0, 10])
        let reference = BarChart(title: "code use, sorted: 2/4 used", values: [10, 5, 0, 0], firstLabel: "1", lastLabel: "4")
            .render(width: 640, height: 320)
        #expect(chart == reference)
    }

    @Test func reconstructionGridPlacesPairsSideBySide() {
        let originals = [RasterImage(width: 2, height: 2, channels: 1, fill: 10), RasterImage(width: 2, height: 2, channels: 1, fill: 20)]
        let reconstructions = [RasterImage(width: 2, height: 2, channels: 1, fill: 11), RasterImage(width: 2, height: 2, channels: 1, fill: 21)]
        let grid = ImageGrid.pairs(originals: originals, reconstructions: reconstructions, pairsPerRow: 1)
        // One pair per row: 2 + 2 + 2 + 2 + 2 = 10 wide, two rows: 10 high; padding is white.
        #expect(grid.width == 10 && grid.height == 10)
        #expect(grid.pixel(x: 2, y: 2) == [10] && grid.pixel(x: 6, y: 2) == [11])
        #expect(grid.pixel(x: 2, y: 6) == [20] && grid.pixel(x: 6, y: 6) == [21] && grid.pixel(x: 4, y: 2) == [255])
    }

    @Test func codebookStatisticsOfAKnownCodebook() {
        // Codes (0,0), (3,4), (0,4): norms 0, 5, 4; distances 5, 4, 3.
        let statistics = CodebookStatistics(codebook: Tensor(shape: [3, 2], scalars: [0, 0, 3, 4, 0, 4]),
                                            clusterSizes: Tensor(shape: [3], scalars: [0.5, 2, 10]))
        #expect(statistics.norms == Summary(minimum: 0, mean: 3, maximum: 5))
        #expect(statistics.pairwiseDistances == Summary(minimum: 3, mean: 4, maximum: 5))
        #expect(statistics.nearestNeighbourDistances == Summary(minimum: 3, mean: 10.0 / 3, maximum: 4))
        #expect(statistics.clusterSizes?.maximum == 10 && statistics.codesWithClusterSizeBelowOne == 1)
        #expect(statistics.comparedCodes == 3)
    }
}
