/// Images of any size from a folder, for the codec and the single-image commands: each image kept at
/// its own size, with its path.
extension ImageFolder {
    /// The image files of one split of `folder` (the layout and split rules of `ImageFolder`, labels
    /// ignored), decoded at their own sizes, in sorted order.
    public static func imageFiles(in folder: String, split: DatasetSplit) throws -> [(path: String, image: RasterImage)] {
        let trainFolder = folder + "/train", testFolder = folder + "/test"
        let entries: [Entry]
        if FileIO.isDirectory(trainFolder) && FileIO.isDirectory(testFolder) {
            entries = try ImageFolder.entries(in: split == .train ? trainFolder : testFolder)
        } else {
            let all = try ImageFolder.entries(in: folder)
            entries = all.count < 10 ? all : all.enumerated().filter { ($0.offset % 10 == 9) == (split == .test) }.map(\.element)
        }
        guard !entries.isEmpty else { throw DataError(folder, "holds no images for the \(split) split") }
        return try entries.map { ($0.path, try ImageFile.read($0.path)) }
    }
}
