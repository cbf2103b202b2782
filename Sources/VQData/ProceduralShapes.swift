import VQEngine

/// A built-in labelled dataset of simple shapes, drawn deterministically from a seed, so that
/// training works on a fresh machine with no download.
///
/// Each image holds one shape of a random size, position and brightness on a dark background with
/// faint noise, anti-aliased by 4×4 supersampling. Labels are `ProceduralShapes.Shape` raw values.
public enum ProceduralShapes {
    public enum Shape: Int, CaseIterable, Sendable {
        case disc, square, triangle, ring, cross, bar
    }

    /// `count` images of `channels` × `size` × `size`; the same seed gives the same set everywhere.
    /// Colour images give each shape a random colour.
    public static func dataset(count: Int, size: Int = 28, channels: Int = 1, seed: UInt64) -> ImageDataset {
        precondition(count > 0 && size >= 8 && (channels == 1 || channels == 3),
                     "ProceduralShapes: need count > 0, size ≥ 8 and 1 or 3 channels")
        var generator = RandomGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * channels * size * size)
        var labels: [Int32] = []
        for index in 0..<count {
            let shape = Shape.allCases[generator.nextIndex(below: Shape.allCases.count)]
            labels.append(Int32(shape.rawValue))
            let radius = Float(size) * (0.18 + 0.17 * generator.nextUniform())
            let centreX = radius + (Float(size) - 2 * radius) * generator.nextUniform()
            let centreY = radius + (Float(size) - 2 * radius) * generator.nextUniform()
            let colour = (0..<channels).map { _ in 0.55 + 0.45 * generator.nextUniform() }
            for y in 0..<size {
                for x in 0..<size {
                    let coverage = self.coverage(shape, x: x, y: y, centreX: centreX, centreY: centreY, radius: radius)
                    let noise = 0.04 * generator.nextUniform()
                    for channel in 0..<channels {
                        let value = min(1, coverage * colour[channel] + noise)
                        pixels[((index * channels + channel) * size + y) * size + x] = UInt8((value * 255).rounded())
                    }
                }
            }
        }
        return ImageDataset(pixels: pixels, labels: labels, channels: channels, height: size, width: size)
    }

    /// The fraction of pixel (x, y) inside the shape, from 4×4 sub-samples.
    static func coverage(_ shape: Shape, x: Int, y: Int, centreX: Float, centreY: Float, radius: Float) -> Float {
        var inside = 0
        for sy in 0..<4 {
            for sx in 0..<4 {
                let u = (Float(x) + (Float(sx) + 0.5) / 4 - centreX) / radius
                let v = (Float(y) + (Float(sy) + 0.5) / 4 - centreY) / radius
                if contains(shape, u, v) { inside += 1 }
            }
        }
        return Float(inside) / 16
    }

    /// Whether (u, v), in units of the shape's radius around its centre, lies inside the shape.
    public static func contains(_ shape: Shape, _ u: Float, _ v: Float) -> Bool {
        switch shape {
        case .disc: return u * u + v * v <= 1
        case .square: return abs(u) <= 0.8 && abs(v) <= 0.8
        case .triangle: return v <= 0.8 && v >= -1 && abs(u) <= (v + 1) * 0.55
        case .ring: let r = u * u + v * v; return r <= 1 && r >= 0.45
        case .cross: return (abs(u) <= 0.28 && abs(v) <= 1) || (abs(v) <= 0.28 && abs(u) <= 1)
        case .bar: return abs(u) <= 1 && abs(v) <= 0.3
        }
    }
}
