import VQData
import VQEngine

/// Square crops of images of any size, as a `TrainingSet`: what a codec trains on, so photos of any size
/// (and of differing sizes) can be used. Each draw picks an image uniformly, a crop position uniformly
/// inside it, and mirrors the crop left-right with probability 1/2. Images smaller than the crop on a
/// side are refused when the set is made.
public struct ImageCropSet: TrainingSet {
    public let images: [RasterImage]
    /// The crop's side, in pixels.
    public let cropSize: Int
    public let channels: Int

    /// The crops of `images` (converted to `channels`), or a `DataError(source, …)` naming the first
    /// image smaller than `cropSize`.
    public init(images: [RasterImage], cropSize: Int, channels: Int, source: String) throws {
        precondition(cropSize >= 1 && (channels == 1 || channels == 3), "ImageCropSet: crop \(cropSize), \(channels) channels")
        guard !images.isEmpty else { throw DataError(source, "holds no images") }
        if let small = images.firstIndex(where: { $0.width < cropSize || $0.height < cropSize }) {
            throw DataError(source, "image \(small + 1) is \(images[small].width)x\(images[small].height), smaller than the \(cropSize)-pixel crops (choose a smaller --crop)")
        }
        self.images = images.map { $0.converted(toChannels: channels) }
        (self.cropSize, self.channels) = (cropSize, channels)
    }

    public func trainingBatch(count: Int, generator: inout RandomGenerator) -> (input: Tensor, labels: [Int32]) {
        let size = cropSize, plane = size * size
        var scalars = [Float](repeating: 0, count: count * channels * plane)
        for item in 0..<count {
            let image = images[generator.nextIndex(below: images.count)]
            let left = generator.nextIndex(below: image.width - size + 1)
            let top = generator.nextIndex(below: image.height - size + 1)
            let mirrored = generator.nextIndex(below: 2) == 1
            let base = item * channels * plane
            for y in 0..<size {
                for x in 0..<size {
                    let source = image.offset(x: left + (mirrored ? size - 1 - x : x), y: top + y)
                    for channel in 0..<channels {
                        scalars[base + channel * plane + y * size + x] = Float(image.pixels[source + channel]) * (1 / 255) - 0.5
                    }
                }
            }
        }
        return (Tensor(shape: [count, channels, size, size], scalars: scalars), [])
    }

    /// The images' count, the crop and channels, and FNV-1a of every pixel of every image.
    public func identity(name: String) -> DatasetIdentity {
        var hash = FNV1a()
        for image in images {
            hash.combine(UInt64(image.width))
            hash.combine(UInt64(image.height))
            hash.combine(image.pixels)
        }
        return DatasetIdentity(name: name, kind: "image crops", count: images.count, shape: [channels, cropSize, cropSize],
                               fingerprint: hexadecimal(hash.value))
    }
}
