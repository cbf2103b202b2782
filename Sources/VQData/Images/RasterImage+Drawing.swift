/// Drawing primitives on a `RasterImage`: single pixels, filled rectangles and straight lines.
/// Everything is clipped to the image, so callers may draw partly outside it.
extension RasterImage {
    /// The colour bytes at pixel (x, y), `channels` of them.
    public func pixel(x: Int, y: Int) -> [UInt8] {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "RasterImage.pixel: (\(x), \(y)) is outside \(width)x\(height)")
        let start = offset(x: x, y: y)
        return Array(pixels[start..<(start + channels)])
    }

    /// Sets pixel (x, y) to `color`; does nothing outside the image.
    public mutating func setPixel(x: Int, y: Int, _ color: RasterColor) {
        guard x >= 0 && x < width && y >= 0 && y < height else { return }
        let start = offset(x: x, y: y)
        for (channel, byte) in color.bytes(channels: channels).enumerated() { pixels[start + channel] = byte }
    }

    /// Fills the `width`×`height` rectangle whose top-left pixel is (x, y).
    public mutating func fillRectangle(x: Int, y: Int, width rectangleWidth: Int, height rectangleHeight: Int, _ color: RasterColor) {
        let left = max(0, x), right = min(width, x + rectangleWidth)
        let top = max(0, y), bottom = min(height, y + rectangleHeight)
        guard left < right && top < bottom else { return }
        let bytes = color.bytes(channels: channels)
        for row in top..<bottom {
            for column in left..<right {
                let start = offset(x: column, y: row)
                for channel in 0..<channels { pixels[start + channel] = bytes[channel] }
            }
        }
    }

    /// Draws the straight line from (x0, y0) to (x1, y1), both ends included, one pixel wide
    /// (Bresenham's integer algorithm: every step moves one pixel along the longer axis).
    public mutating func drawLine(fromX x0: Int, y y0: Int, toX x1: Int, y y1: Int, _ color: RasterColor) {
        let deltaX = abs(x1 - x0), deltaY = -abs(y1 - y0)
        let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
        var (x, y) = (x0, y0)
        var error = deltaX + deltaY
        while true {
            setPixel(x: x, y: y, color)
            if x == x1 && y == y1 { return }
            let doubled = 2 * error
            if doubled >= deltaY {
                error += deltaY
                x += stepX
            }
            if doubled <= deltaX {
                error += deltaX
                y += stepY
            }
        }
    }
}
