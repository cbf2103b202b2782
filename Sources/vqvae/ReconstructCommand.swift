import ArgumentParser
import Foundation
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

            Given image files (PNG, JPEG, PGM/PPM, any size), reconstructs each one instead: padded to the \
            downsampling factor by repeating its last row and column, encoded, decoded, cropped back, and \
            written to DIR/<input name>.png with --out DIR. For a codec's model (RUN/model.safetensors) \
            with --depth R this is exactly what `vqvae decompress` gives for `vqvae compress --rate R`.
            """)

    @OptionGroup var inputs: ModelDataOptions
    @Option(help: "The PNG file to write (replaced atomically), or the folder for the reconstructions of image files. Required.") var out: String
    @Option(help: "How many images, the first ones of the split.") var count = 16
    @Option(help: ArgumentHelp("Pairs (original, reconstruction) per row of the grid.", valueName: "n")) var pairsPerRow = 4
    @Option(help: "Decode from the first k stages of a residual quantizer (default: all).") var depth: Int?
    @Argument(help: "Image files to reconstruct one by one into --out (instead of a grid of the dataset).") var images: [String] = []

    func validate() throws {
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard pairsPerRow >= 1 else { throw ValidationError("--pairs-per-row must be at least 1") }
    }

    func run() throws {
        try failingWithOneLine {
            guard images.isEmpty else { return try reconstructFiles() }
            let (model, dataset, source) = try inputs.load(depth: depth)
            let (originals, reconstructions) = try model.reconstructedImages(dataset, count: count, depth: depth, source: source)
            try PNGEncoder.write(ImageGrid.pairs(originals: originals, reconstructions: reconstructions, pairsPerRow: pairsPerRow), to: out)
            writeError("wrote \(out): \(originals.count) images beside their reconstructions\n")
        }
    }

    /// Each of `images` reconstructed to --out/<name>.png; every input is read before anything is written.
    private func reconstructFiles() throws {
        let model = try VQVAE(contentsOf: inputs.model)
        let c = model.configuration
        guard c.spatialRank == 2, c.conditionClasses == 0 else {
            throw CommandFailure("\(inputs.model) is not an unconditioned image model; image files need one")
        }
        let stages = depth ?? c.depth
        guard stages <= c.depth else { throw CommandFailure("--depth \(stages) is deeper than the model's \(c.depth) quantizer stages") }
        let decoded = try images.map { try ImageFile.read($0).converted(toChannels: c.inputChannels) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (path, image) in zip(images, decoded) {
            let target = out + "/" + outputName(path, extension: "png")
            try FileIO.writeAtomically(PNGEncoder.encode(model.reconstruct(image, depth: stages)), to: target)
            writeError("\(target): \(image.width)x\(image.height) at depth \(stages)\n")
        }
    }
}
