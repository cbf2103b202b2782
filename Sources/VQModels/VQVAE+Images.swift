import VQData
import VQEngine

/// Single images of any size through an image model: padded up to the downsampling factor F by
/// repeating the last row and column, encoded, decoded, cropped back. `reconstruct` is exactly
/// `image(from: codes(of:))`: what `vqvae reconstruct` of files and the codec's decompressor share.
extension VQVAE {
    /// The code grid of a `width` × `height` image: ceil(height / F) × ceil(width / F).
    public func gridSize(width: Int, height: Int) -> (height: Int, width: Int) {
        let factor = configuration.downsampling
        return ((height + factor - 1) / factor, (width + factor - 1) / factor)
    }

    /// The codes of `image` (with the model's channel count) using the first `depth` stages: grid
    /// positions in raster order, `depth` indices each, (position, stage) order.
    public func codes(of image: RasterImage, depth: Int) -> [Int32] {
        precondition(image.channels == configuration.inputChannels && configuration.spatialRank == 2,
                     "VQVAE.codes: a \(image.channels)-channel image for a \(configuration.inputChannels)-channel image model")
        return encode(paddedInput(image), depth: depth)
    }

    /// The `width` × `height` image of `codes` from `codes(of:depth:)`.
    public func image(from codes: [Int32], depth: Int, width: Int, height: Int) -> RasterImage {
        let grid = gridSize(width: width, height: height)
        let decoded = decode(codes, batch: 1, gridShape: [grid.height, grid.width], depth: depth)
        return ImageGrid.images(fromBatch: decoded)[0].cropped(width: width, height: height)
    }

    /// `image` (with the model's channel count) encoded with the first `depth` stages and decoded.
    public func reconstruct(_ image: RasterImage, depth: Int) -> RasterImage {
        self.image(from: codes(of: image, depth: depth), depth: depth, width: image.width, height: image.height)
    }

    /// `image` as a (1, C, H', W') input in [−0.5, 0.5], H' and W' rounded up to F by repeating the
    /// last row and column.
    func paddedInput(_ image: RasterImage) -> Tensor {
        let grid = gridSize(width: image.width, height: image.height), factor = configuration.downsampling
        let (height, width, channels) = (grid.height * factor, grid.width * factor, image.channels)
        var scalars = [Float](repeating: 0, count: channels * height * width)
        for y in 0..<height {
            for x in 0..<width {
                let source = image.offset(x: min(x, image.width - 1), y: min(y, image.height - 1))
                for channel in 0..<channels {
                    scalars[(channel * height + y) * width + x] = Float(image.pixels[source + channel]) * (1 / 255) - 0.5
                }
            }
        }
        return Tensor(shape: [1, channels, height, width], scalars: scalars)
    }
}

extension RasterImage {
    /// The `width` × `height` pixels from (`left`, `top`) (default: the top-left corner).
    public func cropped(left: Int = 0, top: Int = 0, width: Int, height: Int) -> RasterImage {
        precondition(left >= 0 && top >= 0 && left + width <= self.width && top + height <= self.height,
                     "RasterImage.cropped: \(width)x\(height) at (\(left), \(top)) of \(self.width)x\(self.height)")
        if width == self.width && height == self.height { return self }
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * channels)
        for y in top..<(top + height) { pixels += self.pixels[offset(x: left, y: y)..<offset(x: left + width, y: y)] }
        return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
