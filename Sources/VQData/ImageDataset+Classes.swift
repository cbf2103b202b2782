import Foundation

/// Keeping the images of some classes only: what one-class training (`--classes`) trains on.
extension ImageDataset {
    /// The label values present, in increasing order (empty for a set without labels).
    public var knownClasses: [Int] {
        Array(Set(labels.map(Int.init))).sorted()
    }

    /// Throws `DataError(source, …)` unless `classes` is not empty, the set has labels and every one
    /// of `classes` is among them; the message names the known classes (with their names when the
    /// source has them).
    public func checkClasses(_ classes: [Int], source: String) throws {
        guard !classes.isEmpty else { throw DataError(source, "no classes given") }
        guard !labels.isEmpty else {
            throw DataError(source, "the images have no labels, so classes \(ImageDataset.describe(classes)) cannot be picked")
        }
        let known = knownClasses
        let unknown = classes.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            let names = classNames.isEmpty ? ""
                : " (" + known.map { $0 < classNames.count ? "\($0) \(classNames[$0])" : "\($0)" }.joined(separator: ", ") + ")"
            throw DataError(source, "unknown class\(unknown.count > 1 ? "es" : "") \(ImageDataset.describe(unknown)); the known classes are \(ImageDataset.describe(known))\(names)")
        }
    }

    /// The images whose label is in `classes`, in their order, with their labels and class names.
    /// Throws as `checkClasses`.
    public func restricted(toClasses classes: [Int], source: String) throws -> ImageDataset {
        try checkClasses(classes, source: source)
        let wanted = Set(classes.map(Int32.init))
        let imageSize = channels * height * width
        var kept: [UInt8] = [], keptLabels: [Int32] = []
        for (index, label) in labels.enumerated() where wanted.contains(label) {
            kept += pixels[(index * imageSize)..<((index + 1) * imageSize)]
            keptLabels.append(label)
        }
        var result = ImageDataset(pixels: kept, labels: keptLabels, channels: channels, height: height, width: width)
        result.classNames = classNames
        return result
    }

    /// The first `count` images (all when there are fewer), with their labels.
    public func prefix(_ count: Int) -> ImageDataset {
        guard count < self.count else { return self }
        let imageSize = channels * height * width
        var result = ImageDataset(pixels: Array(pixels[0..<(count * imageSize)]), labels: labels.isEmpty ? [] : Array(labels[0..<count]),
                                  channels: channels, height: height, width: width)
        result.classNames = classNames
        return result
    }

    /// "0,3,5": a class list as typed on the command line.
    public static func describe(_ classes: [Int]) -> String {
        classes.map(String.init).joined(separator: ",")
    }

    /// Reads a class list typed as "0,3,5" (spaces allowed, each class once); nil when it is not one.
    public static func parseClasses(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }), Set(values).count == values.count else { return nil }
        return values
    }
}
