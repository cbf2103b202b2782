import Testing
import VQData

@Suite struct ImageFolderTests {
    /// A 4x3 gray image whose every pixel is `value`.
    static func gray(_ value: UInt8) -> RasterImage { RasterImage(width: 4, height: 3, channels: 1, fill: value) }

    /// Class sub-folders, no train/ and test/: 12 images in sorted order cat/00…cat/06, dog/00…dog/04;
    /// position 9 (dog/02) is the held-out test image, the other 11 train. Labels: cat 0, dog 1.
    @Test func classSubFoldersGiveLabelsAndATenthIsHeldOut() throws {
        let root = try temporaryFolder()
        for (name, count) in [("dog", 5), ("cat", 7)] {
            try makeFolder(root + "/" + name)
            for index in 0..<count {
                try PNGEncoder.write(ImageFolderTests.gray(UInt8((name == "cat" ? 0 : 100) + index)), to: root + "/\(name)/0\(index).png")
            }
        }
        try FileIO.writeAtomically(Array("not an image".utf8), to: root + "/cat/notes.txt")  // ignored: not an image name
        let folder = try ImageFolder(root)
        #expect(folder.classNames == ["cat", "dog"] && folder.train.classNames == ["cat", "dog"])
        #expect(folder.train.count == 11 && folder.test.count == 1)
        #expect(folder.train.labels == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1] && folder.test.labels == [1])
        #expect(folder.test.pixels == [UInt8](repeating: 102, count: 12))  // dog/02.png
        #expect(folder.train.channels == 1 && folder.train.height == 3 && folder.train.width == 4)
        #expect(Array(folder.train.pixels[(9 * 12)..<(10 * 12)]) == [UInt8](repeating: 103, count: 12))  // dog/03.png
    }

    /// train/ and test/ with loose images: no labels; a gray PGM and an RGBA PNG make 3 channels (gray
    /// copied to R, G, B; alpha dropped); a folder of fewer than 10 images would not be split, but here
    /// the sub-folders are the splits.
    @Test func trainAndTestFoldersAndMixedChannels() throws {
        let root = try temporaryFolder()
        try makeFolder(root + "/train")
        try makeFolder(root + "/test")
        try FileIO.writeAtomically(Array("P5 2 1 255\n".utf8) + [10, 20], to: root + "/train/a.pgm")
        try PNGEncoder.write(RasterImage(width: 2, height: 1, channels: 4, pixels: [1, 2, 3, 0, 4, 5, 6, 255]), to: root + "/train/b.PNG")
        try FileIO.writeAtomically(Array("P6 2 1 255\n".utf8) + [7, 8, 9, 10, 11, 12], to: root + "/test/c.ppm")
        let folder = try ImageFolder(root)
        #expect(folder.classNames.isEmpty && folder.train.labels.isEmpty)
        #expect(folder.train.channels == 3 && folder.train.count == 2 && folder.test.count == 1)
        // NCHW: a.pgm's planes R, G, B each [10, 20]; b.PNG's planes [1, 4], [2, 5], [3, 6].
        #expect(folder.train.pixels == [10, 20, 10, 20, 10, 20, 1, 4, 2, 5, 3, 6])
        #expect(folder.test.pixels == [7, 10, 8, 11, 9, 12])
        #expect(try DatasetSource.detect(root, seed: 0) == .imageFolder(root))
    }

    /// Fewer than 10 images: no hold-out, both splits are every image; gray + alpha stays 1 channel.
    @Test func smallFolderIsNotSplitAndGrayStaysOneChannel() throws {
        let root = try temporaryFolder()
        try PNGEncoder.write(ImageFolderTests.gray(5), to: root + "/x.png")
        try PNGEncoder.write(RasterImage(width: 4, height: 3, channels: 2, pixels: (0..<24).map { UInt8($0) }), to: root + "/y.png")
        let set = try ImageDataset(imageFolder: root, split: .test)
        #expect(set.count == 2 && set.channels == 1)
        #expect(Array(set.pixels[12...]) == (0..<12).map { UInt8(2 * $0) })  // the gray samples of y.png
    }

    /// PNG and JPEG files mix in one folder (and in a class sub-folder), whatever the case of .jpg/.jpeg:
    /// each is decoded by its content, a gray JPEG's samples are copied into R, G and B beside the colour
    /// ones, and the JPEGs' pixels are what JPEGDecoder gives (Pillow's, JPEGDecoderTests).
    @Test func pngAndJPEGFilesMix() throws {
        let root = try temporaryFolder()
        let colour = try FileIO.read(jpegFixtures + "/rgb_420.jpg"), gray = try FileIO.read(jpegFixtures + "/progressive_gray_odd.jpg")
        let drawing = PNGDecoderTests.encoderPattern(width: 16, height: 16, channels: 3)
        try PNGEncoder.write(drawing, to: root + "/a.png")
        try FileIO.writeAtomically(colour, to: root + "/b.JPG")
        let restarts = try FileIO.read(jpegFixtures + "/restarts_444.jpg")
        try FileIO.writeAtomically(restarts, to: root + "/c.jpeg")
        let folder = try ImageFolder(root)
        #expect(folder.train.count == 3 && folder.train.channels == 3 && folder.train.height == 16 && folder.train.width == 16)
        let expected = ImageDataset(images: [drawing, try JPEGDecoder.decode(colour, path: "b"), try JPEGDecoder.decode(restarts, path: "c")])
        #expect(folder.train.pixels == expected.pixels)
        // Gray JPEG beside a gray PNG of the same size (5x11): one channel.
        let grayRoot = try temporaryFolder()
        try makeFolder(grayRoot + "/digits")
        try FileIO.writeAtomically(gray, to: grayRoot + "/digits/x.jpg")
        try PNGEncoder.write(RasterImage(width: 5, height: 11, channels: 1, fill: 9), to: grayRoot + "/digits/y.png")
        let grayFolder = try ImageFolder(grayRoot)
        #expect(grayFolder.classNames == ["digits"] && grayFolder.train.channels == 1 && grayFolder.train.count == 2)
        #expect(Array(grayFolder.train.pixels.prefix(55)) == (try JPEGDecoder.decode(gray, path: "x")).pixels)
    }

    @Test func badFoldersNameTheProblem() throws {
        let root = try temporaryFolder()
        #expect(throws: DataError(root, "holds no images (.png, .pgm, .ppm, .jpg, .jpeg) directly, in class sub-folders, or in train/ and test/")) {
            _ = try ImageFolder(root)
        }
        try PNGEncoder.write(ImageFolderTests.gray(1), to: root + "/a.png")
        try PNGEncoder.write(RasterImage(width: 5, height: 3, channels: 1), to: root + "/b.png")
        #expect(throws: DataError(root + "/b.png", "is 5x3 but \(root)/a.png is 4x3; all images of a folder dataset must share one size")) {
            _ = try ImageFolder(root)
        }
        try makeFolder(root + "/class")
        try PNGEncoder.write(ImageFolderTests.gray(1), to: root + "/class/c.png")
        #expect(throws: DataError(root, "holds images both directly (\(root)/a.png) and in sub-folders (\(root)/class/c.png); put them all in class sub-folders or all directly in the folder")) {
            _ = try ImageFolder(root)
        }
        let broken = try temporaryFolder()
        try FileIO.writeAtomically([0x89, 0x50, 0x4E], to: broken + "/cut.png")
        #expect(throws: DataError(broken + "/cut.png", "not a PNG file (the first 8 bytes are not the PNG signature)")) {
            _ = try ImageFolder(broken)
        }
    }
}
