/// An 8-bit image in memory: rows top to bottom, pixels left to right, channels interleaved
/// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). The common currency of the PNG/PNM codecs, the image-folder
/// dataset and the pictures written during training.
public struct RasterImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
    public let channels: Int
    /// `height * width * channels` bytes, interleaved.
    public var pixels: [UInt8]

    /// An image of the given size filled with `value` in every channel.
    public init(width: Int, height: Int, channels: Int, fill value: UInt8 = 0) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "RasterImage: bad size")
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: width * height * channels))
    }

    /// Wraps `pixels` (`height * width * channels` bytes, interleaved).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "RasterImage: bad size")
        precondition(pixels.count == width * height * channels, "RasterImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The byte offset of pixel (x, y).
    @inlinable public func offset(x: Int, y: Int) -> Int { (y * width + x) * channels }
}

extension RasterImage {
    /// This image with `channels` channels: gray is copied into red, green and blue; alpha is dropped
    /// (not composited: the colour under it is kept as stored). Only 1 (from gray or gray + alpha) and
    /// 3 (from any) are supported targets, besides the image's own count.
    public func converted(toChannels target: Int) -> RasterImage {
        guard target != channels else { return self }
        precondition(target == 3 || (target == 1 && channels == 2),
                     "RasterImage.converted: cannot turn \(channels) channels into \(target)")
        let pixelCount = width * height
        var output = [UInt8](repeating: 0, count: pixelCount * target)
        let isGray = channels <= 2
        for pixel in 0..<pixelCount {
            let source = pixel * channels
            for channel in 0..<target {
                output[pixel * target + channel] = pixels[source + (isGray ? 0 : channel)]
            }
        }
        return RasterImage(width: width, height: height, channels: target, pixels: output)
    }
}
