import Foundation

/// The CIFAR-10 binary format: a batch file is a run of 3073-byte records, each a label byte (0...9)
/// then 3072 pixel bytes: the 32×32 red plane, then green, then blue, rows top to bottom. That is
/// already the (C, H, W) layout of one image, so a batch becomes an `ImageDataset` (N, 3, 32, 32) by
/// copying. The official archive unpacks to `cifar-10-batches-bin/` with `data_batch_1.bin` …
/// `data_batch_5.bin` (train, 10 000 images each), `test_batch.bin` and `batches.meta.txt` (class names).
public enum CIFARBatch {
    public static let side = 32
    public static let imageBytes = 3 * 32 * 32
    /// One label byte and one image.
    public static let recordBytes = 1 + imageBytes
    /// The train batches of the official layout, in order.
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    /// The folder the official archive unpacks to.
    public static let archiveFolder = "cifar-10-batches-bin"

    /// Reads one batch file into (N, 3, 32, 32) pixels with N labels.
    public static func read(_ path: String) throws -> ImageDataset {
        try parse(FileIO.read(path), path: path)
    }

    /// Parses the bytes of one batch file; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> ImageDataset {
        guard !bytes.isEmpty, bytes.count % recordBytes == 0 else {
            throw DataError(path, "\(bytes.count) bytes is not a whole number of CIFAR-10 records (\(recordBytes) bytes each: 1 label + 3072 pixels)")
        }
        let count = bytes.count / recordBytes
        var pixels = [UInt8](repeating: 0, count: count * imageBytes)
        var labels = [Int32](repeating: 0, count: count)
        for record in 0..<count {
            let start = record * recordBytes
            guard bytes[start] <= 9 else {
                throw DataError(path, "record \(record) has label \(bytes[start]); CIFAR-10 labels are 0 to 9")
            }
            labels[record] = Int32(bytes[start])
            pixels.replaceSubrange((record * imageBytes)..<((record + 1) * imageBytes),
                                   with: bytes[(start + 1)..<(start + recordBytes)])
        }
        return ImageDataset(pixels: pixels, labels: labels, channels: 3, height: side, width: side)
    }

    /// The folder holding the batches: `folder` itself or its `cifar-10-batches-bin/`, whichever holds
    /// any of `data_batch_1..5.bin` or `test_batch.bin`; nil when neither does.
    public static func batchFolder(in folder: String) -> String? {
        [folder, folder + "/" + archiveFolder].first { candidate in
            (trainFiles + [testFile]).contains { FileIO.exists(candidate + "/" + $0) }
        }
    }

    /// The class names in `batches.meta.txt` (one per line), or empty when the file is absent or unreadable.
    static func classNames(in folder: String) -> [String] {
        guard let bytes = try? FileIO.read(folder + "/batches.meta.txt", limit: 1 << 16) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension ImageDataset {
    /// Reads a CIFAR-10 binary folder (or the folder holding `cifar-10-batches-bin/`): the train split
    /// is every `data_batch_1..5.bin` present, in order; the test split is `test_batch.bin`. Class
    /// names come from `batches.meta.txt` when present.
    public init(cifarFolder folder: String, split: DatasetSplit) throws {
        guard let batches = CIFARBatch.batchFolder(in: folder) else {
            throw DataError(folder, "no CIFAR-10 batches (data_batch_1..5.bin, test_batch.bin) here or in \(CIFARBatch.archiveFolder)/")
        }
        let names = split == .train ? CIFARBatch.trainFiles : [CIFARBatch.testFile]
        let paths = names.map { batches + "/" + $0 }.filter(FileIO.exists)
        guard !paths.isEmpty else { throw DataError(batches, "no \(names.joined(separator: ", ")) in this folder") }
        var pixels: [UInt8] = [], labels: [Int32] = []
        for path in paths {
            let batch = try CIFARBatch.read(path)
            pixels += batch.pixels
            labels += batch.labels
        }
        self.init(pixels: pixels, labels: labels, channels: 3, height: CIFARBatch.side, width: CIFARBatch.side)
        classNames = CIFARBatch.classNames(in: batches)
    }
}
