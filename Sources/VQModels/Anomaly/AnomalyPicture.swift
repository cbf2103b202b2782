import VQData

/// One input beside its maps, as an RGB picture: the input, then its per-pixel error, then (with a
/// prior) its per-code surprise upsampled to the input's size (each code a block of F×F pixels),
/// `gap` white pixels between panels. Both maps use viridis on fixed scales, so pictures of different
/// inputs compare: the error panel shows |error| = √(squared error) from 0 to `errorScale` (default
/// 0.5, half the pixel range), the surprise panel 0 to `surpriseScale` bits (default log₂ K, a
/// uniform guess).
public enum AnomalyPicture {
    public static func render(input: RasterImage, map: AnomalyMap, errorScale: Double = 0.5, surpriseScale: Double,
                              gap: Int = 2) -> RasterImage {
        precondition(input.width == map.width && input.height == map.height, "AnomalyPicture: the map is not the input's size")
        let panels = map.codeSurprise == nil ? 2 : 3
        let (w, h) = (map.width, map.height)
        var picture = RasterImage(width: panels * w + (panels - 1) * gap, height: h, channels: 3, fill: 255)
        let rgb = input.converted(toChannels: input.channels == 2 ? 1 : input.channels).converted(toChannels: 3)
        for y in 0..<h {
            for x in 0..<w {
                let offset = rgb.offset(x: x, y: y)
                picture.setPixel(x: x, y: y, RasterColor(red: rgb.pixels[offset], green: rgb.pixels[offset + 1], blue: rgb.pixels[offset + 2]))
                let error = Double(map.pixelErrors[y * w + x]).squareRoot() / errorScale
                picture.setPixel(x: w + gap + x, y: y, ColorMap.viridis.color(at: error))
                if let surprise = map.codeSurprise {
                    let (gy, gx) = (min(y * map.gridHeight / h, map.gridHeight - 1), min(x * map.gridWidth / w, map.gridWidth - 1))
                    let value = Double(surprise[gy * map.gridWidth + gx]) / surpriseScale
                    picture.setPixel(x: 2 * (w + gap) + x, y: y, ColorMap.viridis.color(at: value))
                }
            }
        }
        return picture
    }
}
