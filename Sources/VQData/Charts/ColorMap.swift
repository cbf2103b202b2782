/// A colour map: values in [0, 1] to colours, by linear interpolation between evenly spaced anchor
/// colours (the first anchor at 0, the last at 1).
///
/// `viridis` is matplotlib's perceptually uniform map (van der Walt and Smith, 2015, CC0): dark purple
/// through blue and green to yellow, legible in gray and to most colour-blind readers. Its 17 anchors
/// are matplotlib's 256-entry table sampled at 0, 1/16, …, 1 and rounded to bytes; interpolating them
/// stays within 6 levels (of 255) of the full table.
public struct ColorMap: Equatable, Sendable {
    /// The anchor colours, at least two: anchor i sits at value i / (count − 1).
    public let anchors: [RasterColor]
    /// `levelCount` colours, entry i the colour at i / (levelCount − 1): what a picture draws with.
    public let table: [RasterColor]
    public static let levelCount = 256

    public init(anchors: [RasterColor]) {
        precondition(anchors.count >= 2, "ColorMap: \(anchors.count) anchors (need at least 2)")
        self.anchors = anchors
        table = (0..<ColorMap.levelCount).map { ColorMap.interpolate(anchors, Double($0) / Double(ColorMap.levelCount - 1)) }
    }

    /// The colour at `value`, clamped to [0, 1] (NaN is 0): the anchors' interpolation, each component
    /// rounded to the nearest byte, so 0 and 1 give the first and last anchor exactly.
    public func color(at value: Double) -> RasterColor {
        ColorMap.interpolate(anchors, value)
    }

    /// The table entry nearest to `value` (clamped to [0, 1]; NaN is entry 0).
    @inlinable public func level(of value: Double) -> Int {
        guard value > 0 else { return 0 }
        return min(ColorMap.levelCount - 1, Int((value * Double(ColorMap.levelCount - 1)).rounded()))
    }

    static func interpolate(_ anchors: [RasterColor], _ value: Double) -> RasterColor {
        let clamped = value > 0 ? min(value, 1) : 0
        let position = clamped * Double(anchors.count - 1)
        let index = min(Int(position), anchors.count - 2)
        let fraction = position - Double(index)
        let (low, high) = (anchors[index], anchors[index + 1])
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * fraction).rounded())
        }
        return RasterColor(red: mix(low.red, high.red), green: mix(low.green, high.green), blue: mix(low.blue, high.blue))
    }

    public static let viridis = ColorMap(anchors: [
        (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141),
        (44, 114, 142), (38, 129, 142), (33, 144, 140), (31, 159, 136), (40, 174, 128), (62, 188, 116),
        (93, 201, 99), (130, 211, 76), (171, 220, 50), (213, 226, 26), (253, 231, 37),
    ].map { RasterColor(red: $0.0, green: $0.1, blue: $0.2) })
}
