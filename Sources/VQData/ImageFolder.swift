import Foundation

/// A folder of image files (PNG, PGM, PPM, JPEG, mixed as they come) as a dataset of (N, C, H, W) bytes.
///
/// - Layout: the images lie directly in the folder (no labels), or in class sub-folders
///   (`cat/1.png`, `dog/7.png`): then the labels are the indices of the sorted sub-folder names, which
///   are kept in `classNames`. A folder holding both loose images and class sub-folders is refused.
///   Files are images by their name ending (`ImageFile.extensions`, any case) and decoded by their
///   content; other files, names starting with "." and folders deeper than the class level are ignored.
/// - Splits: when the folder has both `train/` and `test/` sub-folders, each is one split (laid out as
///   above; class names are the sorted union of both). Otherwise a deterministic tenth is held out:
///   with the images in sorted order (by class, then file name), positions 9, 19, 29, … form the test
///   split and the rest the train split. A folder of fewer than 10 images holds none out: both splits
///   are all of it.
/// - Sizes and channels: all images must share one width and height (the first that differs is
///   named). The dataset has 1 channel when every image is gray (or gray + alpha), else 3: gray is
///   copied into red, green and blue. Alpha is dropped, not composited: the stored colour is kept.
/// The whole folder is read, both splits, so that channels and class names agree between them.
public struct ImageFolder {
    public let train: ImageDataset
    public let test: ImageDataset
    /// The class sub-folder names in label order (empty for an unlabelled folder).
    public let classNames: [String]

    /// One image file and its class sub-folder (nil for a loose image).
    struct Entry {
        let path: String
        let className: String?
    }

    /// Reads and decodes every image of `folder`.
    public init(_ folder: String) throws {
        let trainFolder = folder + "/train", testFolder = folder + "/test"
        var trainEntries: [Entry], testEntries: [Entry]
        if FileIO.isDirectory(trainFolder) && FileIO.isDirectory(testFolder) {
            trainEntries = try ImageFolder.entries(in: trainFolder)
            testEntries = try ImageFolder.entries(in: testFolder)
            guard !trainEntries.isEmpty else { throw DataError(trainFolder, "holds no images (.png, .pgm, .ppm, .jpg, .jpeg)") }
            guard !testEntries.isEmpty else { throw DataError(testFolder, "holds no images (.png, .pgm, .ppm, .jpg, .jpeg)") }
            guard (trainEntries[0].className == nil) == (testEntries[0].className == nil) else {
                throw DataError(folder, "train/ and test/ must both use class sub-folders or both hold loose images")
            }
        } else {
            let all = try ImageFolder.entries(in: folder)
            let hasTrain = FileIO.isDirectory(trainFolder), hasTest = FileIO.isDirectory(testFolder)
            if all.isEmpty && hasTrain != hasTest {
                throw DataError(folder, "has \(hasTrain ? "train/" : "test/") but no \(hasTrain ? "test/" : "train/") folder; both are needed to use them as the splits")
            }
            guard !all.isEmpty else {
                throw DataError(folder, "holds no images (.png, .pgm, .ppm, .jpg, .jpeg) directly, in class sub-folders, or in train/ and test/")
            }
            if all.count < 10 {
                (trainEntries, testEntries) = (all, all)
            } else {
                trainEntries = all.enumerated().filter { $0.offset % 10 != 9 }.map(\.element)
                testEntries = all.enumerated().filter { $0.offset % 10 == 9 }.map(\.element)
            }
        }
        let classNames = Set((trainEntries + testEntries).compactMap(\.className)).sorted()
        let labelOf = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($0.element, Int32($0.offset)) })

        // Decode everything first: the channel count depends on every image.
        let trainImages = try trainEntries.map { try ImageFile.read($0.path) }
        let testImages = try testEntries.map { try ImageFile.read($0.path) }
        let first = trainImages[0]
        for (entry, image) in zip(trainEntries + testEntries, trainImages + testImages)
        where image.width != first.width || image.height != first.height {
            throw DataError(entry.path, "is \(image.width)x\(image.height) but \(trainEntries[0].path) is \(first.width)x\(first.height); all images of a folder dataset must share one size")
        }
        let channels = (trainImages + testImages).allSatisfy { $0.channels <= 2 } ? 1 : 3

        func dataset(_ images: [RasterImage], _ entries: [Entry]) -> ImageDataset {
            let labels = classNames.isEmpty ? [] : entries.map { labelOf[$0.className!]! }
            var result = ImageDataset(images: images.map { $0.converted(toChannels: channels) }, labels: labels)
            result.classNames = classNames
            return result
        }
        self.train = dataset(trainImages, trainEntries)
        self.test = dataset(testImages, testEntries)
        self.classNames = classNames
    }

    /// The image files of one folder level: loose images, or images one level down in class
    /// sub-folders, in sorted order (class, then file name).
    static func entries(in folder: String) throws -> [Entry] {
        var loose: [Entry] = [], inClasses: [Entry] = []
        for name in try listing(folder) {
            let path = folder + "/" + name
            if FileIO.isDirectory(path) {
                for file in try listing(path) where ImageFile.hasImageExtension(file) && !FileIO.isDirectory(path + "/" + file) {
                    inClasses.append(Entry(path: path + "/" + file, className: name))
                }
            } else if ImageFile.hasImageExtension(name) {
                loose.append(Entry(path: path, className: nil))
            }
        }
        if let image = loose.first, let classed = inClasses.first {
            throw DataError(folder, "holds images both directly (\(image.path)) and in sub-folders (\(classed.path)); put them all in class sub-folders or all directly in the folder")
        }
        return loose + inClasses
    }

    /// Whether `folder` looks like an image folder: images directly in it, in sub-folders, or in train/.
    public static func containsImages(_ folder: String) -> Bool {
        guard let names = try? listing(folder) else { return false }
        return names.contains { name in
            let path = folder + "/" + name
            if FileIO.isDirectory(path) {
                return (try? listing(path))?.contains(where: ImageFile.hasImageExtension) ?? false
                    || (name == "train" && containsImages(path))
            }
            return ImageFile.hasImageExtension(name)
        }
    }

    /// The sorted names in `folder`, without hidden ones.
    static func listing(_ folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DataError(folder, "cannot list the folder (\(error.localizedDescription))")
        }
    }
}

extension ImageDataset {
    /// One split of an image folder (see `ImageFolder` for the layout, splits and channel rules).
    public init(imageFolder folder: String, split: DatasetSplit) throws {
        let images = try ImageFolder(folder)
        self = split == .train ? images.train : images.test
    }
}
