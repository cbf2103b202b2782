import ArgumentParser
import VQData
import VQModels

struct ReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Write a PNG grid of images beside their reconstructions.",
        discussion: """
            Takes the first --count images of the split, encodes each to its code grid and decodes the \
            codes (exactly what `vqvae encode` then `vqvae decode` give), and writes one PNG: pairs of \
            original (left) and reconstruction (right), --pairs-per-row pairs to a row.
            """)

    @OptionGroup var inputs: ModelDataOptions
    @Option(help: "The PNG file to write (replaced atomically). Required.") var out: String
    @Option(help: "How many images, the first ones of the split.") var count = 16
    @Option(help: ArgumentHelp("Pairs (original, reconstruction) per row of the grid.", valueName: "n")) var pairsPerRow = 4
    @Option(help: "Decode from the first k stages of a residual quantizer (default: all).") var depth: Int?

    func validate() throws {
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard pairsPerRow >= 1 else { throw ValidationError("--pairs-per-row must be at least 1") }
    }

    func run() throws {
        try failingWithOneLine {
            let (model, dataset, source) = try inputs.load(depth: depth)
            let (originals, reconstructions) = try model.reconstructedImages(dataset, count: count, depth: depth, source: source)
            try PNGEncoder.write(ImageGrid.pairs(originals: originals, reconstructions: reconstructions, pairsPerRow: pairsPerRow), to: out)
            writeError("wrote \(out): \(originals.count) images beside their reconstructions\n")
        }
    }
}
