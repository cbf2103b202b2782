import Testing
import VQData
import _VQTestSupport

@Suite struct ImageDatasetTests {
    @Test func batchesAreScaledAndCentred() {
        let set = ImageDataset(pixels: [0, 255, 51, 102], labels: [3, 4], channels: 1, height: 1, width: 2)
        #expect(set.count == 2)
        let batch = set.batch([1, 0])
        #expect(batch.shape == [2, 1, 1, 2])
        let expected: [Float] = [51, 102, 0, 255].map { Float($0) * (1 / 255) - 0.5 }
        #expect(batch.scalars == expected)
    }

    @Test func readsAnIDXFolder() throws {
        let folder = try temporaryFolder()
        let images = IDXFile(shape: [2, 2, 3], bytes: Array(0..<12))
        try FileIO.writeAtomically(Zlib.compress(images.encoded), to: folder + "/t10k-images-idx3-ubyte.gz")
        try FileIO.writeAtomically(IDXFile(shape: [2], bytes: [7, 9]).encoded, to: folder + "/t10k-labels-idx1-ubyte")
        let set = try ImageDataset(idxFolder: folder, split: .test)
        #expect(set.count == 2 && set.height == 2 && set.width == 3 && set.labels == [7, 9])
        #expect(throws: DataError(folder, "no train-images-idx3-ubyte or train-images-idx3-ubyte.gz in this folder")) {
            _ = try ImageDataset(idxFolder: folder, split: .train)
        }
    }

    @Test func mismatchedLabelsAreAnError() throws {
        let folder = try temporaryFolder()
        try FileIO.writeAtomically(IDXFile(shape: [2, 1, 1], bytes: [1, 2]).encoded, to: folder + "/train-images-idx3-ubyte")
        try FileIO.writeAtomically(IDXFile(shape: [3], bytes: [1, 2, 3]).encoded, to: folder + "/train-labels-idx1-ubyte")
        #expect(throws: DataError(folder + "/train-labels-idx1-ubyte", "holds labels of shape [3] for 2 images")) {
            _ = try ImageDataset(idxFolder: folder, split: .train)
        }
    }

    /// Needs the real Fashion-MNIST in ../shared/data/fashion-mnist (skipped, visibly, without it).
    /// Sizes from ../shared/data/README.md; the variance is what `torch_ref.py` computes
    /// (`xte.var()` of the test pixels scaled to [0, 1] and centred): 0.12422 (`x.var(ddof=1)` in numpy), checked
    /// with numpy on the same file.
    @Test(.enabled(if: SharedData.isAvailable("fashion-mnist"), "needs ../shared/data/fashion-mnist"))
    func readsFashionMNIST() throws {
        let train = try ImageDataset(idxFolder: SharedData.path("fashion-mnist"), split: .train)
        let test = try ImageDataset(idxFolder: SharedData.path("fashion-mnist"), split: .test)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.height == 28 && train.width == 28 && train.channels == 1)
        #expect(Set(test.labels) == Set(0..<10))
        #expect(abs(test.pixelVariance - 0.12422) < 0.00001)
    }
}

/// A fresh empty folder for one test, removed when the tests end.
func temporaryFolder() throws -> String {
    guard let folder = TemporaryFolder.make(prefix: "vqdata-test") else { throw DataError("/tmp", "cannot create a temporary folder") }
    return folder
}

/// Creates the folder at `path` (its parent must exist).
func makeFolder(_ path: String) throws {
    guard mkdir(path, 0o755) == 0 else { throw DataError(path, "cannot create the folder") }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
