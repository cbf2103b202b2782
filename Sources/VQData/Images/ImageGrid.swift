import VQEngine

/// Turning model tensors into pictures: one image per batch item, and several images tiled into a grid.
public enum ImageGrid {
    /// The images of a batch `(B, C, H, W)` with C = 1 or 3, values in the model's range [−0.5, 0.5]
    /// (pixels / 255 − 0.5), mapped back to bytes with rounding and clamping.
    public static func images(fromBatch batch: Tensor) -> [RasterImage] {
        precondition(batch.rank == 4 && (batch.shape[1] == 1 || batch.shape[1] == 3),
                     "ImageGrid.images: expected (B, 1|3, H, W), got \(batch.shape)")
        let (count, channels, height, width) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let plane = height * width
        return batch.withUnsafeBufferPointer { values in
            (0..<count).map { item in
                var pixels = [UInt8](repeating: 0, count: plane * channels)
                let base = item * channels * plane
                for channel in 0..<channels {
                    for position in 0..<plane {
                        pixels[position * channels + channel] = byte(values[base + channel * plane + position])
                    }
                }
                return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
            }
        }
    }

    /// One model value in [−0.5, 0.5] as a byte 0...255.
    @inlinable public static func byte(_ value: Float) -> UInt8 {
        let scaled = ((value + 0.5) * 255).rounded()
        guard scaled.isFinite else { return 0 }
        return UInt8(min(255, max(0, scaled)))
    }

    /// Tiles `images` (all the same size and channel count) row by row, `columns` to a row, with
    /// `padding` pixels of `background` between them and around the edge.
    public static func tile(_ images: [RasterImage], columns: Int, padding: Int = 2, background: UInt8 = 255) -> RasterImage {
        precondition(!images.isEmpty && columns > 0, "ImageGrid.tile: nothing to tile")
        let first = images[0]
        precondition(images.allSatisfy { $0.width == first.width && $0.height == first.height && $0.channels == first.channels },
                     "ImageGrid.tile: images differ in size")
        let columnCount = min(columns, images.count)
        let rowCount = (images.count + columnCount - 1) / columnCount
        var grid = RasterImage(width: columnCount * (first.width + padding) + padding,
                               height: rowCount * (first.height + padding) + padding,
                               channels: first.channels, fill: background)
        for (index, image) in images.enumerated() {
            let left = padding + (index % columnCount) * (first.width + padding)
            let top = padding + (index / columnCount) * (first.height + padding)
            let rowBytes = image.width * image.channels
            for y in 0..<image.height {
                let target = grid.offset(x: left, y: top + y)
                grid.pixels.replaceSubrange(target..<(target + rowBytes),
                                            with: image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
            }
        }
        return grid
    }
}
