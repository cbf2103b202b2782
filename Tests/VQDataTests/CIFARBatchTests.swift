import Testing
import VQData

@Suite struct CIFARBatchTests {
    /// A batch of `count` records: label (index mod 10), then pixel bytes (index + position) mod 256.
    static func batch(count: Int, firstIndex: Int = 0) -> [UInt8] {
        (0..<count).flatMap { record -> [UInt8] in
            let index = firstIndex + record
            return [UInt8(index % 10)] + (0..<CIFARBatch.imageBytes).map { UInt8((index + $0) % 256) }
        }
    }

    @Test func recordsBecomeImagesWithRedGreenBluePlanes() throws {
        let set = try CIFARBatch.parse(CIFARBatchTests.batch(count: 3, firstIndex: 7), path: "b.bin")
        #expect(set.count == 3 && set.channels == 3 && set.height == 32 && set.width == 32)
        #expect(set.labels == [7, 8, 9])
        // Image 1 (index 8): its red plane starts with byte 8; green (plane offset 1024) with (8 + 1024) mod 256 = 8;
        // pixel (x 5, y 2) of blue is byte 2048 + 2·32 + 5 = 2117 of the record: (8 + 2117) mod 256 = 77.
        let image = Array(set.pixels[3072..<6144])
        #expect(image[0] == 8 && image[1024] == 8 && image[2048 + 2 * 32 + 5] == 77)
    }

    @Test func badBatchesNameTheFileAndTheProblem() {
        let good = CIFARBatchTests.batch(count: 2)
        #expect(throws: DataError("b.bin", "6145 bytes is not a whole number of CIFAR-10 records (3073 bytes each: 1 label + 3072 pixels)")) {
            _ = try CIFARBatch.parse(Array(good.dropLast()), path: "b.bin")
        }
        #expect(throws: DataError("b.bin", "0 bytes is not a whole number of CIFAR-10 records (3073 bytes each: 1 label + 3072 pixels)")) {
            _ = try CIFARBatch.parse([], path: "b.bin")
        }
        var badLabel = good
        badLabel[3073] = 10
        #expect(throws: DataError("b.bin", "record 1 has label 10; CIFAR-10 labels are 0 to 9")) {
            _ = try CIFARBatch.parse(badLabel, path: "b.bin")
        }
    }

    /// The official layout one level down (cifar-10-batches-bin/), train batches in order, class names
    /// from batches.meta.txt; and a folder with only some train batches reads those.
    @Test func readsAFolderInTheOfficialLayout() throws {
        let root = try temporaryFolder()
        let folder = root + "/cifar-10-batches-bin"
        try makeFolder(folder)
        try FileIO.writeAtomically(CIFARBatchTests.batch(count: 2, firstIndex: 0), to: folder + "/data_batch_1.bin")
        try FileIO.writeAtomically(CIFARBatchTests.batch(count: 3, firstIndex: 2), to: folder + "/data_batch_2.bin")
        try FileIO.writeAtomically(CIFARBatchTests.batch(count: 1, firstIndex: 5), to: folder + "/test_batch.bin")
        try FileIO.writeAtomically(Array("airplane\nautomobile\nbird\n\n".utf8), to: folder + "/batches.meta.txt")
        let train = try ImageDataset(cifarFolder: root, split: .train)
        let test = try ImageDataset(cifarFolder: root, split: .test)
        #expect(train.count == 5 && train.labels == [0, 1, 2, 3, 4] && test.labels == [5])
        #expect(train.pixels[4 * 3072] == 4)  // image 4 came from data_batch_2 (index 4: first byte 4)
        #expect(train.classNames == ["airplane", "automobile", "bird"])
        #expect(try DatasetSource.detect(root, seed: 0) == .cifarFolder(folder))
        #expect(throws: DataError(folder + "/data_batch_2.bin", "3 bytes is not a whole number of CIFAR-10 records (3073 bytes each: 1 label + 3072 pixels)")) {
            try FileIO.writeAtomically([1, 2, 3], to: folder + "/data_batch_2.bin")
            _ = try ImageDataset(cifarFolder: root, split: .train)
        }
    }

    /// Thousands of corruptions of a two-record batch: a consistent dataset or DataError.
    @Test func mutatedBatchesNeverCrash() {
        let good = CIFARBatchTests.batch(count: 2)
        var mutator = Mutator(seed: 7, fields: [(0, 1), (3073, 1)])
        for _ in 0..<3000 {
            do {
                let set = try CIFARBatch.parse(mutator.mutate(good), path: "m")
                #expect(set.count * 3073 == set.pixels.count + set.labels.count && set.labels.allSatisfy { (0...9).contains($0) })
            } catch is DataError {} catch { Issue.record("unexpected error \(error)") }
        }
    }
}
