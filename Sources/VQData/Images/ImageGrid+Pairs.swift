extension ImageGrid {
    /// Originals beside their reconstructions: pairs (original, reconstruction) left to right,
    /// `pairsPerRow` pairs to a row.
    public static func pairs(originals: [RasterImage], reconstructions: [RasterImage], pairsPerRow: Int = 4) -> RasterImage {
        precondition(originals.count == reconstructions.count, "ImageGrid.pairs: \(originals.count) originals, \(reconstructions.count) reconstructions")
        let interleaved = zip(originals, reconstructions).flatMap { [$0, $1] }
        return tile(interleaved, columns: 2 * pairsPerRow)
    }
}
