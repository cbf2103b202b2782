import VQEngine

/// The weight masks of a gated PixelCNN's two stacks (van den Oord et al. 2016, "Conditional Image
/// Generation with PixelCNN Decoders"), for raster order (rows top to bottom, columns left to right).
public enum PixelCNNMasks {
    /// The vertical stack's k × k mask: every column of the rows above the centre and the centre row.
    /// Its output at row r depends on rows ≤ r; shifted down by one row before it enters the
    /// horizontal stack it depends only on rows above, so nothing of the current row leaks in.
    /// Shape (outputChannels, inputChannels, k, k).
    public static func vertical(outputChannels: Int, inputChannels: Int, kernelSize k: Int) -> Tensor {
        mask(outputChannels, inputChannels, height: k, width: k) { row, _ in row <= k / 2 }
    }

    /// The horizontal stack's 1 × k mask: the columns left of the centre, and the centre itself unless
    /// `excludingCentre` (mask 'A', for the first layer, whose input at the centre is the code being
    /// predicted; later layers use mask 'B'). Shape (outputChannels, inputChannels, 1, k).
    public static func horizontal(outputChannels: Int, inputChannels: Int, kernelSize k: Int, excludingCentre: Bool) -> Tensor {
        mask(outputChannels, inputChannels, height: 1, width: k) { _, column in
            excludingCentre ? column < k / 2 : column <= k / 2
        }
    }

    private static func mask(_ outputChannels: Int, _ inputChannels: Int, height: Int, width: Int,
                             keeps: (_ row: Int, _ column: Int) -> Bool) -> Tensor {
        let plane = (0..<height).flatMap { row in (0..<width).map { column in Float(keeps(row, column) ? 1 : 0) } }
        return Tensor(shape: [outputChannels, inputChannels, height, width],
                      scalars: Array([[Float]](repeating: plane, count: outputChannels * inputChannels).joined()))
    }
}
