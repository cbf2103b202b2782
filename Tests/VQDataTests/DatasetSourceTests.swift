import Testing
import VQData

@Suite struct DatasetSourceTests {
    @Test func detectsEachFolderAndFileFormat() throws {
        #expect(try DatasetSource.detect(nil, seed: 3) == .builtInShapes(seed: 3))
        let root = try temporaryFolder()
        try makeFolder(root + "/idx")
        try FileIO.writeAtomically(IDXFile(shape: [2, 1, 2], bytes: [1, 2, 3, 4]).encoded, to: root + "/idx/t10k-images-idx3-ubyte")
        try FileIO.writeAtomically(IDXFile(shape: [2], bytes: [5, 6]).encoded, to: root + "/idx/t10k-labels-idx1-ubyte")
        #expect(try DatasetSource.detect(root + "/idx", seed: 0) == .idxFolder(root + "/idx"))

        // Single files: an IDX images file (labels from its sibling), a CIFAR batch, an image.
        let idxFile = root + "/idx/t10k-images-idx3-ubyte"
        #expect(try DatasetSource.detect(idxFile, seed: 0) == .idxFile(idxFile))
        let fromIDX = try DatasetSource.idxFile(idxFile).load(.train)
        #expect(fromIDX.pixels == [1, 2, 3, 4] && fromIDX.labels == [5, 6] && fromIDX.width == 2)
        try FileIO.writeAtomically(CIFARBatchTests.batch(count: 2), to: root + "/one.bin")
        #expect(try DatasetSource.detect(root + "/one.bin", seed: 0) == .cifarBatchFile(root + "/one.bin"))
        #expect(try DatasetSource.cifarBatchFile(root + "/one.bin").load(.test).labels == [0, 1])
        try PNGEncoder.write(RasterImage(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6]), to: root + "/pic.png")
        #expect(try DatasetSource.detect(root + "/pic.png", seed: 0) == .imageFile(root + "/pic.png"))
        let picture = try DatasetSource.imageFile(root + "/pic.png").load(.train)
        #expect(picture.count == 1 && picture.channels == 3 && picture.pixels == [1, 4, 2, 5, 3, 6])

        // An image folder with only train/ holding class folders is still found.
        try makeFolder(root + "/images")
        try makeFolder(root + "/images/train")
        try makeFolder(root + "/images/train/a")
        try PNGEncoder.write(RasterImage(width: 1, height: 1, channels: 1), to: root + "/images/train/a/1.png")
        #expect(try DatasetSource.detect(root + "/images", seed: 0) == .imageFolder(root + "/images"))
        #expect(throws: DataError(root + "/images", "has train/ but no test/ folder; both are needed to use them as the splits")) {
            _ = try DatasetSource.imageFolder(root + "/images").load(.train)
        }
    }

    @Test func unrecognisedPathsNameWhatWasLookedFor() throws {
        let root = try temporaryFolder()
        #expect(throws: DataError(root + "/missing", "no such file or folder")) { _ = try DatasetSource.detect(root + "/missing", seed: 0) }
        try FileIO.writeAtomically([1], to: root + "/notes.txt")
        #expect(throws: DataError(root + "/notes.txt", "not a dataset file: expected an IDX images file (*-images-idx3-ubyte[.gz]), a CIFAR-10 batch (.bin) or an image (.png, .pgm, .ppm, .jpg, .jpeg), or a folder of them")) {
            _ = try DatasetSource.detect(root + "/notes.txt", seed: 0)
        }
        #expect(throws: DataError(root, "no dataset found: looked for IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz]), CIFAR-10 batches (data_batch_1..5.bin, test_batch.bin, here or in cifar-10-batches-bin/) and images (.png, .pgm, .ppm, .jpg, .jpeg, here, in sub-folders or in train/ and test/)")) {
            _ = try DatasetSource.detect(root, seed: 0)
        }
    }
}
