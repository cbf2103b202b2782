import ArgumentParser
import Foundation
import VQData
import VQModels

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .vqc file of code grids back to images.",
        discussion: """
            Writes DIR/decoded.png (every decoded image, tiled --columns to a row) and, for the first \
            --individual grids, DIR/000000.png, DIR/000001.png, ... (one PNG per image, numbered by \
            position in the file). Refuses codes whose K differs from the model's, or whose grid does not fit \
            the image size the model was trained on (when the checkpoint records it).
            """)

    @Option(help: "A model checkpoint written by `vqvae train` (RUN/model.safetensors). Required.") var model: String
    @Option(help: "A .vqc file written by `vqvae encode`. Required.") var codes: String
    @Option(help: "The folder to write into (created if missing). Required.") var out: String
    @Option(help: "Images per row of decoded.png.") var columns = 16
    @Option(help: ArgumentHelp("Write a separate PNG for each of the first this many images (0: none).", valueName: "n")) var individual = 64

    func validate() throws {
        guard columns >= 1 else { throw ValidationError("--columns must be at least 1") }
        guard individual >= 0 else { throw ValidationError("--individual must be at least 0") }
    }

    func run() throws {
        try failingWithOneLine {
            let checkpoint = try SafeTensors(contentsOf: model)
            let vqvae = try VQVAE(checkpoint: checkpoint, path: model)
            let file = try CodesFile(contentsOf: codes)
            guard file.count > 0 else { throw DataError(codes, "holds no code grids") }
            let images = try vqvae.decodedImages(file, path: codes, trainedImageSize: VQVAE.trainedImageSize(checkpoint.metadata))
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw DataError(out, "cannot create the folder (\(error.localizedDescription))")
            }
            try PNGEncoder.write(ImageGrid.tile(images, columns: columns), to: out + "/decoded.png")
            for (index, image) in images.prefix(individual).enumerated() {
                let number = String(index)
                try PNGEncoder.write(image, to: out + "/" + String(repeating: "0", count: max(0, 6 - number.count)) + number + ".png")
            }
            writeError("wrote \(out)/decoded.png (\(images.count) images) and \(min(individual, images.count)) single PNGs\n")
        }
    }
}
