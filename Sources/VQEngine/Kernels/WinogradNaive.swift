/// The reference twin of `Winograd`'s transforms: each one computed from its matrices by the
/// definition, in `Double`, one tile at a time, for the tests. `tile` is the output tile side m, `taps`
/// the filter side r (F(2, 3), F(4, 3), F(4, 2)), n = m + r − 1. Layouts are `Winograd`'s: entry
/// ξ = n·i + j of a tile's n×n matrix goes to position ξ, the tiles of an output grid row-major
/// (⌈Ho/m⌉ × ⌈Wo/m⌉); the input and gradient transforms give (n², tiles, C), the output transform reads
/// (n², C, tiles), the filter transforms (n², filters).
public enum WinogradNaive {
    /// The matrices of F(m×m, r×r) (Lavin and Gray, 2016): Bᵀ (n×n), G (n×r), Aᵀ (m×n).
    public struct Matrices: Sendable {
        public let inputTransposed: [[Double]]
        public let filter: [[Double]]
        public let outputTransposed: [[Double]]
    }

    /// Interpolation points 0, 1, −1, ∞ (F(2, 3)), 0, 1, −1, 2, −2, ∞ (F(4, 3)) and 0, 1, −1, 2, ∞ (F(4, 2)),
    /// the matrices from the Toom-Cook construction (checked symbolically when written: each gives the
    /// correlation exactly).
    public static func matrices(tile: Int, taps: Int = 3) -> Matrices {
        if tile == 4 && taps == 2 {
            return Matrices(inputTransposed: [[2, -1, -2, 1, 0], [0, -2, -1, 1, 0], [0, 2, -3, 1, 0], [0, -1, 0, 1, 0],
                                              [0, 2, -1, -2, 1]],
                            filter: [[0.5, 0], [-0.5, -0.5], [-1.0 / 6, 1.0 / 6], [1.0 / 6, 1.0 / 3], [0, 1]],
                            outputTransposed: [[1, 1, 1, 1, 0], [0, 1, -1, 2, 0], [0, 1, 1, 4, 0], [0, 1, -1, 8, 1]])
        }
        precondition(taps == 3, "WinogradNaive: filters of 2 or 3 taps, not \(taps)")
        if tile == 2 {
            return Matrices(inputTransposed: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
                            filter: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
                            outputTransposed: [[1, 1, 1, 0], [0, 1, -1, -1]])
        }
        precondition(tile == 4, "WinogradNaive: output tiles of 2 or 4, not \(tile)")
        return Matrices(inputTransposed: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                                          [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
                        filter: [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                                 [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]],
                        outputTransposed: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
    }

    /// image (C, H, W) → V (n², tiles, C) of the tiles of an output grid Ho × Wo (nil: H × W), d read with
    /// padding 1 (zeros outside the image).
    public static func inputTiles(_ image: [Float], channels: Int, height: Int, width: Int, tile m: Int, taps: Int = 3,
                                  outputHeight: Int? = nil, outputWidth: Int? = nil) -> [Float] {
        let n = m + taps - 1, columns = ((outputWidth ?? width) + m - 1) / m, tiles = ((outputHeight ?? height) + m - 1) / m * columns
        let bt = matrices(tile: m, taps: taps).inputTransposed
        var result = [Float](repeating: 0, count: n * n * channels * tiles)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let (r, t) = (tile / columns, tile % columns)
                let d = (0..<n).map { i in
                    (0..<n).map { j -> Double in
                        let (y, x) = (m * r - 1 + i, m * t - 1 + j)
                        return y >= 0 && y < height && x >= 0 && x < width ? Double(image[(c * height + y) * width + x]) : 0
                    }
                }
                store(product(product(bt, d), transposed(bt)), into: &result, channel: c, channels: channels, tile: tile,
                      tiles: tiles, channelsLast: true)
            }
        }
        return result
    }

    /// products (n², C, tiles) → output (C, H, W): Aᵀ m A per tile, plus bias[c], cropped.
    public static func outputImage(_ products: [Float], channels: Int, height: Int, width: Int, bias: [Float]?,
                                   tile m: Int, taps: Int = 3) -> [Float] {
        let n = m + taps - 1, columns = (width + m - 1) / m, tiles = (height + m - 1) / m * columns
        let at = matrices(tile: m, taps: taps).outputTransposed
        var result = [Float](repeating: 0, count: channels * height * width)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let y = product(product(at, load(products, n: n, channel: c, channels: channels, tile: tile, tiles: tiles)),
                                transposed(at))
                for a in 0..<m {
                    for b in 0..<m {
                        let (row, column) = (m * (tile / columns) + a, m * (tile % columns) + b)
                        guard row < height, column < width else { continue }
                        result[(c * height + row) * width + column] = Float(y[a][b] + Double(bias?[c] ?? 0))
                    }
                }
            }
        }
        return result
    }

    /// output gradient (C, H, W) → A e Aᵀ (n², tiles, C), e each tile's m×m gradient (zero past the edges).
    public static func gradientTiles(_ gradient: [Float], channels: Int, height: Int, width: Int, tile m: Int,
                                     taps: Int = 3) -> [Float] {
        let n = m + taps - 1, columns = (width + m - 1) / m, tiles = (height + m - 1) / m * columns
        let at = matrices(tile: m, taps: taps).outputTransposed
        var result = [Float](repeating: 0, count: n * n * channels * tiles)
        for c in 0..<channels {
            for tile in 0..<tiles {
                let e = (0..<m).map { a in
                    (0..<m).map { b -> Double in
                        let (row, column) = (m * (tile / columns) + a, m * (tile % columns) + b)
                        return row < height && column < width ? Double(gradient[(c * height + row) * width + column]) : 0
                    }
                }
                store(product(product(transposed(at), e), at), into: &result, channel: c, channels: channels, tile: tile,
                      tiles: tiles, channelsLast: true)
            }
        }
        return result
    }

    /// weight (F, C, r, r) → U (n², F·C), U = G g Gᵀ per filter.
    public static func filters(_ weight: [Float], count: Int, tile m: Int, taps r: Int = 3) -> [Float] {
        let n = m + r - 1, g = matrices(tile: m, taps: r).filter
        var result = [Float](repeating: 0, count: n * n * count)
        for filter in 0..<count {
            let taps = (0..<r).map { i in (0..<r).map { j in Double(weight[(filter * r + i) * r + j]) } }
            store(product(product(g, taps), transposed(g)), into: &result, channel: filter, channels: count, tile: 0, tiles: 1)
        }
        return result
    }

    /// dU (n², F·C) → dg (F, C, r, r) = Gᵀ dU G per filter: the adjoint of `filters`.
    public static func filterGradient(_ transformed: [Float], count: Int, tile m: Int, taps r: Int = 3) -> [Float] {
        let n = m + r - 1, g = matrices(tile: m, taps: r).filter
        var result = [Float](repeating: 0, count: r * r * count)
        for filter in 0..<count {
            let du = load(transformed, n: n, channel: filter, channels: count, tile: 0, tiles: 1)
            let dg = product(product(transposed(g), du), g)
            for i in 0..<r { for j in 0..<r { result[(filter * r + i) * r + j] = Float(dg[i][j]) } }
        }
        return result
    }

    /// The filters (rows, depth, r, r) one pass of `Winograd` multiplies by, from the weight (F, C, k, k)
    /// by the definitions `Winograd.filterLayout` reads them with: 3×3 forward, the weight; its input
    /// gradient, [c, f, i, j] = weight[f, c, 2 − i, 2 − j]; 4×4 stride 2, with phase φ = 2a + b,
    /// [f, φC + c, p, q] = weight[f, c, 2p + a, 2q + b], and for its input gradient
    /// [φC + c, f, p, q] = weight[f, c, 2(1 − p) + a, 2(1 − q) + b].
    public static func passFilters(_ weight: [Float], geometry g: ConvolutionGeometry, forInputGradient: Bool) -> [Float] {
        let (filters, channels, k) = (g.outputChannels, g.inputChannels, g.kernelHeight)
        func w(_ f: Int, _ c: Int, _ i: Int, _ j: Int) -> Float { weight[((f * channels + c) * k + i) * k + j] }
        var result = [Float]()
        if k == 3 {
            for row in 0..<(forInputGradient ? channels : filters) {
                for depth in 0..<(forInputGradient ? filters : channels) {
                    for i in 0..<3 {
                        for j in 0..<3 { result.append(forInputGradient ? w(depth, row, 2 - i, 2 - j) : w(row, depth, i, j)) }
                    }
                }
            }
            return result
        }
        for row in 0..<(forInputGradient ? 4 * channels : filters) {
            for depth in 0..<(forInputGradient ? filters : 4 * channels) {
                let (f, phased) = forInputGradient ? (depth, row) : (row, depth)
                let (phase, c) = (phased / channels, phased % channels), (a, b) = (phase / 2, phase % 2)
                for p in 0..<2 {
                    for q in 0..<2 {
                        result.append(forInputGradient ? w(f, c, 2 * (1 - p) + a, 2 * (1 - q) + b) : w(f, c, 2 * p + a, 2 * q + b))
                    }
                }
            }
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
        let n = matrix.count
        for i in 0..<n {
            for j in 0..<n {
                let position = n * i + j
                result[channelsLast ? (position * tiles + tile) * channels + channel : (position * channels + channel) * tiles + tile]
                    = Float(matrix[i][j])
            }
        }
    }

    /// The n×n matrix of (channel, tile) from (n², channels, tiles).
    private static func load(_ values: [Float], n: Int, channel: Int, channels: Int, tile: Int, tiles: Int) -> [[Double]] {
        (0..<n).map { i in (0..<n).map { j in Double(values[((n * i + j) * channels + channel) * tiles + tile]) } }
    }
}
