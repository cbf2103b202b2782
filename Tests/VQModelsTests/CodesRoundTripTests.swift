import Testing
import VQData
import VQEngine
import VQModels
import _VQTestSupport

/// The acceptance test of encode → decode: decoding the codes `vqvae encode` writes gives, byte for
/// byte, the images `vqvae reconstruct` draws.
@Suite struct CodesRoundTripTests {
    static let tiny = VQVAEConfiguration(inputChannels: 1, hiddenChannels: 8, residualChannels: 4, residualBlocks: 1,
                                         numEmbeddings: 24, embeddingDim: 4)

    static func model(_ configuration: VQVAEConfiguration = tiny) -> VQVAE {
        var generator = RandomGenerator(seed: 11)
        return VQVAE(configuration, generator: &generator)
    }

    @Test func encodeThenDecodeEqualsReconstructByteForByte() throws {
        let model = CodesRoundTripTests.model()
        // 70 images: more than one inference batch (64), and a ragged last batch.
        let dataset = ProceduralShapes.dataset(count: 70, seed: 5)
        let folder = temporaryFolder()
        let path = folder + "/codes.vqc"
        try model.encode(dataset, limit: 70).write(to: path)
        let codes = try CodesFile(contentsOf: path)
        #expect(codes.count == 70 && codes.height == dataset.height / 4 && codes.width == dataset.width / 4)
        #expect(codes.numEmbeddings == 24 && codes.labels == dataset.labels)
        let decoded = try model.decodedImages(codes, path: path)
        let (originals, reconstructions) = try model.reconstructedImages(dataset, count: 70)
        #expect(decoded == reconstructions)
        #expect(originals.count == 70 && decoded.count == 70 && decoded[0].width == dataset.width)
        // The reconstructions are the model's forward pass up to the straight-through estimator's rounding.
        let forward = ImageGrid.images(fromBatch: model(dataset.batch(Array(0..<70))).reconstruction)
        let differences = zip(forward, reconstructions).flatMap { zip($0.pixels, $1.pixels).map { abs(Int($0) - Int($1)) } }
        #expect(differences.max()! <= 1)
    }

    @Test func aPrefixEncodesLikeTheWhole() {
        let model = CodesRoundTripTests.model()
        let dataset = ProceduralShapes.dataset(count: 10, seed: 6)
        let whole = model.encode(dataset), prefix = model.encode(dataset, limit: 4)
        #expect(prefix.count == 4 && Array(whole.indices.prefix(prefix.indices.count)) == prefix.indices)
    }

    @Test func decodeRefusesAnotherCodebookSize() {
        let model = CodesRoundTripTests.model()
        let codes = CodesFile(count: 1, height: 7, width: 7, numEmbeddings: 512, indices: [Int32](repeating: 3, count: 49))
        #expect(throws: DataError("c.vqc", "the codes use K = 512 codes, the model has 24")) {
            _ = try model.decodedImages(codes, path: "c.vqc")
        }
    }

    @Test func gridsAndImagesOfAnotherSizeThanTheTrainingImagesAreRefused() throws {
        let model = CodesRoundTripTests.model()
        let metadata = VQVAE.imageSizeMetadata(height: 28, width: 32)
        #expect(metadata == ["image_size": "28x32"])
        let size = try #require(VQVAE.trainedImageSize(metadata))
        #expect(size == (28, 32) && VQVAE.trainedImageSize([:]) == nil && VQVAE.trainedImageSize(["image_size": "0x5"]) == nil)
        let codes = CodesFile(count: 1, height: 7, width: 7, numEmbeddings: 24, indices: [Int32](repeating: 3, count: 49))
        #expect(throws: DataError("c.vqc", "the grids are 7x7 codes, the model was trained on 28x32 images (7x8 codes)")) {
            _ = try model.decodedImages(codes, path: "c.vqc", trainedImageSize: size)
        }
        #expect(try model.decodedImages(codes, path: "c.vqc", trainedImageSize: (28, 28)).count == 1)
        #expect(throws: DataError("d", "images are 28x28, the model was trained on 28x32")) {
            try model.checkCompatible(ProceduralShapes.dataset(count: 2, seed: 0), source: "d", trainedImageSize: size)
        }
    }

    @Test func hugeGridsAreRefusedWithoutOverflow() {
        let model = CodesRoundTripTests.model()
        let huge = CodesFile(count: 0, height: Int(UInt32.max), width: Int(UInt32.max), numEmbeddings: 24, indices: [])
        #expect(throws: DataError.self) { _ = try model.decodedImages(huge, path: "c.vqc") }
    }

    @Test func incompatibleDatasetsAreRefused() {
        var configuration = CodesRoundTripTests.tiny
        configuration.inputChannels = 3
        let model = CodesRoundTripTests.model(configuration)
        #expect(throws: DataError("d", "images have 1 channels, the model expects 3")) {
            try model.checkCompatible(ProceduralShapes.dataset(count: 2, seed: 0), source: "d")
        }
        let odd = ImageDataset(pixels: [UInt8](repeating: 0, count: 30), channels: 1, height: 5, width: 6)
        #expect(throws: DataError("d", "images are 5x6; the model needs sizes divisible by 4")) {
            try CodesRoundTripTests.model().checkCompatible(odd, source: "d")
        }
    }
}

/// A fresh folder for one test, removed when the tests end.
func temporaryFolder() -> String {
    TemporaryFolder.make(prefix: "vqvae-test")!
}
