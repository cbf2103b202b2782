/// The reference twin of `Winograd`'s transforms: each one computed from its matrices by the
/// definition, in `Double`, one tile at a time, for the tests. Layouts are `Winograd`'s: entry
/// ξ = 4i + j of a tile's 4×4 matrix goes to position ξ, the tiles of an image row-major
/// (⌈H/2⌉ × ⌈W/2⌉); the input and gradient transforms give (16, tiles, C), the output transform
/// reads (16, C, tiles), the filter transforms (16, filters).
public enum WinogradNaive {
    /// Bᵀ (4×4): V = Bᵀ d B.
    public static let inputMatrixTransposed: [[Double]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    /// G (4×3): U = G g Gᵀ.
    public static let filterMatrix: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    /// Aᵀ (2×4): y = Aᵀ m A.
    public static let outputMatrixTransposed: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

    /// image (C, H, W) → V (16, tiles, C), d read with padding 1 (zeros outside the image).
    public static func inputTiles(_ image: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        let (rows, columns) = ((height + 1) / 2, (width + 1) / 2), tiles = rows * columns
        var result = [Float](repeating: 0, count: 16 * channels * tiles)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let (r, t) = (tile / columns, tile % columns)
                let d = (0..<4).map { i in
                    (0..<4).map { j -> Double in
                        let (y, x) = (2 * r - 1 + i, 2 * t - 1 + j)
                        return y >= 0 && y < height && x >= 0 && x < width ? Double(image[(c * height + y) * width + x]) : 0
                    }
                }
                let v = product(product(inputMatrixTransposed, d), transposed(inputMatrixTransposed))
                store(v, into: &result, channel: c, channels: channels, tile: tile, tiles: tiles, channelsLast: true)
            }
        }
        return result
    }

    /// products m (16, C, tiles) → output (C, H, W): Aᵀ m A per tile, plus bias[c], cropped.
    public static func outputImage(_ products: [Float], channels: Int, height: Int, width: Int, bias: [Float]?) -> [Float] {
        let columns = (width + 1) / 2, tiles = (height + 1) / 2 * columns
        var result = [Float](repeating: 0, count: channels * height * width)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let m = load(products, channel: c, channels: channels, tile: tile, tiles: tiles)
                let y = product(product(outputMatrixTransposed, m), transposed(outputMatrixTransposed))
                for a in 0..<2 {
                    for b in 0..<2 {
                        let (row, column) = (2 * (tile / columns) + a, 2 * (tile % columns) + b)
                        guard row < height, column < width else { continue }
                        result[(c * height + row) * width + column] = Float(y[a][b] + Double(bias?[c] ?? 0))
                    }
                }
            }
        }
        return result
    }

    /// output gradient (C, H, W) → A e Aᵀ (16, tiles, C), e each tile's 2×2 gradient (zero past the edges).
    public static func gradientTiles(_ gradient: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        let columns = (width + 1) / 2, tiles = (height + 1) / 2 * columns
        var result = [Float](repeating: 0, count: 16 * channels * tiles)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let e = (0..<2).map { a in
                    (0..<2).map { b -> Double in
                        let (row, column) = (2 * (tile / columns) + a, 2 * (tile % columns) + b)
                        return row < height && column < width ? Double(gradient[(c * height + row) * width + column]) : 0
                    }
                }
                let m = product(product(transposed(outputMatrixTransposed), e), outputMatrixTransposed)
                store(m, into: &result, channel: c, channels: channels, tile: tile, tiles: tiles, channelsLast: true)
            }
        }
        return result
    }

    /// weight (F, C, 3, 3) → U (16, F·C), U = G g Gᵀ per filter.
    public static func filters(_ weight: [Float], count: Int) -> [Float] {
        var result = [Float](repeating: 0, count: 16 * count)
        for filter in 0..<count {
            let g = (0..<3).map { i in (0..<3).map { j in Double(weight[filter * 9 + 3 * i + j]) } }
            let u = product(product(filterMatrix, g), transposed(filterMatrix))
            store(u, into: &result, channel: filter, channels: count, tile: 0, tiles: 1)
        }
        return result
    }

    /// dU (16, F·C) → dg (F, C, 3, 3) = Gᵀ dU G per filter: the adjoint of `filters`.
    public static func filterGradient(_ transformed: [Float], count: Int) -> [Float] {
        var result = [Float](repeating: 0, count: 9 * count)
        for filter in 0..<count {
            let du = load(transformed, channel: filter, channels: count, tile: 0, tiles: 1)
            let dg = product(product(transposed(filterMatrix), du), filterMatrix)
            for i in 0..<3 { for j in 0..<3 { result[filter * 9 + 3 * i + j] = Float(dg[i][j]) } }
        }
        return result
    }

    static func product(_ left: [[Double]], _ right: [[Double]]) -> [[Double]] {
        left.map { row in (0..<right[0].count).map { j in zip(row, right).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func transposed(_ matrix: [[Double]]) -> [[Double]] {
        (0..<matrix[0].count).map { j in matrix.map { $0[j] } }
    }

    /// Entry ξ of (channel, tile) at (ξ, channel, tile), or with `channelsLast` at (ξ, tile, channel).
    private static func store(_ matrix: [[Double]], into result: inout [Float], channel: Int, channels: Int, tile: Int, tiles: Int,
                              channelsLast: Bool = false) {
        for i in 0..<4 {
            for j in 0..<4 {
                let position = 4 * i + j
                result[channelsLast ? (position * tiles + tile) * channels + channel : (position * channels + channel) * tiles + tile]
                    = Float(matrix[i][j])
            }
        }
    }

    private static func load(_ values: [Float], channel: Int, channels: Int, tile: Int, tiles: Int) -> [[Double]] {
        (0..<4).map { i in (0..<4).map { j in Double(values[((4 * i + j) * channels + channel) * tiles + tile]) } }
    }
}
