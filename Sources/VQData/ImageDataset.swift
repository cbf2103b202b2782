import Foundation
import VQEngine

/// A set of same-sized 8-bit images (N, C, H, W) with optional class labels, held as bytes.
public struct ImageDataset: Sendable {
    /// Pixels in NCHW order, 0...255.
    public let pixels: [UInt8]
    /// One label per image, or empty when the set has none.
    public let labels: [Int32]
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The name of each label value (index = label), when the source names its classes (image-folder
    /// sub-folders, CIFAR-10's `batches.meta.txt`); empty otherwise.
    public var classNames: [String] = []

    public init(pixels: [UInt8], labels: [Int32] = [], channels: Int, height: Int, width: Int) {
        let imageSize = channels * height * width
        precondition(imageSize > 0 && pixels.count % imageSize == 0,
                     "ImageDataset: \(pixels.count) pixels do not divide into images of \(channels)x\(height)x\(width)")
        precondition(labels.isEmpty || labels.count == pixels.count / imageSize,
                     "ImageDataset: \(labels.count) labels for \(pixels.count / imageSize) images")
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Images of one size and channel count, interleaved (H, W, C) each, stored as (N, C, H, W).
    public init(images: [RasterImage], labels: [Int32] = []) {
        precondition(!images.isEmpty, "ImageDataset(images:): no images")
        let first = images[0]
        let (channels, plane) = (first.channels, first.width * first.height)
        var pixels = [UInt8](repeating: 0, count: images.count * channels * plane)
        for (index, image) in images.enumerated() {
            precondition(image.width == first.width && image.height == first.height && image.channels == channels,
                         "ImageDataset(images:): image \(index) differs in size or channels from the first")
            for position in 0..<plane {
                for channel in 0..<channels {
                    pixels[(index * channels + channel) * plane + position] = image.pixels[position * channels + channel]
                }
            }
        }
        self.init(pixels: pixels, labels: labels, channels: channels, height: first.height, width: first.width)
    }

    /// The number of images.
    public var count: Int { pixels.count / (channels * height * width) }

    /// The images at `indices` as a float tensor (B, C, H, W), scaled to [0, 1] then centred by −0.5
    /// (the VQ-VAE paper's preprocessing).
    public func batch(_ indices: [Int]) -> Tensor {
        let imageSize = channels * height * width
        var scalars = [Float](repeating: 0, count: indices.count * imageSize)
        scalars.withUnsafeMutableBufferPointer { output in
            pixels.withUnsafeBufferPointer { input in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "ImageDataset.batch: index \(index) out of range for \(count) images")
                    let source = input.baseAddress! + index * imageSize, target = output.baseAddress! + row * imageSize
                    for i in 0..<imageSize { target[i] = Float(source[i]) * (1 / 255) - 0.5 }
                }
            }
        }
        return Tensor(shape: [indices.count, channels, height, width], scalars: scalars)
    }

    /// The variance of all pixel values after preprocessing (the denominator of NMSE).
    public var pixelVariance: Double {
        var sum = 0.0, sumOfSquares = 0.0
        for pixel in pixels {
            let value = Double(Float(pixel) * (1 / 255) - 0.5)
            sum += value
            sumOfSquares += value * value
        }
        let n = Double(pixels.count)
        let mean = sum / n
        return (sumOfSquares - n * mean * mean) / (n - 1)  // unbiased, as torch.var()
    }
}

/// Which part of a dataset to read.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train
    case test
}

extension ImageDataset {
    /// Reads an MNIST-layout folder: `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
    /// `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`. Labels are optional.
    public init(idxFolder folder: String, split: DatasetSplit) throws {
        let prefix = split == .train ? "train" : "t10k"
        guard let imagesPath = ImageDataset.findIDX(folder, prefix + "-images-idx3-ubyte") else {
            throw DataError(folder, "no \(prefix)-images-idx3-ubyte or \(prefix)-images-idx3-ubyte.gz in this folder")
        }
        let images = try IDXFile(contentsOf: imagesPath)
        guard images.shape.count == 3, images.shape[0] > 0, images.shape[1] > 0, images.shape[2] > 0 else {
            throw DataError(imagesPath, "expected images of shape (count, height, width), found \(images.shape)")
        }
        var labels: [Int32] = []
        if let labelsPath = ImageDataset.findIDX(folder, prefix + "-labels-idx1-ubyte") {
            let file = try IDXFile(contentsOf: labelsPath)
            guard file.shape == [images.shape[0]] else {
                throw DataError(labelsPath, "holds labels of shape \(file.shape) for \(images.shape[0]) images")
            }
            labels = file.bytes.map(Int32.init)
        }
        self.init(pixels: images.bytes, labels: labels, channels: 1, height: images.shape[1], width: images.shape[2])
    }

    /// Reads one IDX images file (count, height, width), with labels from the file named alike with
    /// `labels-idx1` for `images-idx3` beside it, when present.
    public init(idxImagesFile path: String) throws {
        let images = try IDXFile(contentsOf: path)
        guard images.shape.count == 3, images.shape[0] > 0, images.shape[1] > 0, images.shape[2] > 0 else {
            throw DataError(path, "expected images of shape (count, height, width), found \(images.shape)")
        }
        var labels: [Int32] = []
        let labelsPath = path.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
        if labelsPath != path, FileIO.exists(labelsPath) {
            let file = try IDXFile(contentsOf: labelsPath)
            guard file.shape == [images.shape[0]] else {
                throw DataError(labelsPath, "holds labels of shape \(file.shape) for \(images.shape[0]) images")
            }
            labels = file.bytes.map(Int32.init)
        }
        self.init(pixels: images.bytes, labels: labels, channels: 1, height: images.shape[1], width: images.shape[2])
    }

    static func findIDX(_ folder: String, _ name: String) -> String? {
        [name + ".gz", name].map { folder + "/" + $0 }.first(where: FileIO.exists)
    }
}
