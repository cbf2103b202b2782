/// An opaque 8-bit RGB colour for drawing on a `RasterImage`.
///
/// On a gray image a colour is drawn as the mean of its three components; on an image with alpha the
/// alpha byte is set to 255.
public struct RasterColor: Equatable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A gray level (the same value in every component).
    public init(gray: UInt8) { self.init(red: gray, green: gray, blue: gray) }

    public static let black = RasterColor(gray: 0)
    public static let white = RasterColor(gray: 255)
    public static let lightGray = RasterColor(gray: 220)
    public static let darkGray = RasterColor(gray: 90)
    /// Three colours that stay distinct for most readers (a colour-blind-safe set).
    public static let blue = RasterColor(red: 0, green: 114, blue: 178)
    public static let orange = RasterColor(red: 230, green: 159, blue: 0)
    public static let green = RasterColor(red: 0, green: 158, blue: 115)

    /// The bytes of this colour in an image with `channels` channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    public func bytes(channels: Int) -> [UInt8] {
        let gray = UInt8((Int(red) + Int(green) + Int(blue) + 1) / 3)
        switch channels {
        case 1: return [gray]
        case 2: return [gray, 255]
        case 3: return [red, green, blue]
        default: return [red, green, blue, 255]
        }
    }
}
