import ArgumentParser
import Foundation
import VQData
import VQModels

struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Compress images (PNG, JPEG, PGM/PPM, any size) into .vqz files with a codec.",
        discussion: """
            Writes DIR/<input name>.vqz for each input (replaced atomically) and prints its size and bits \
            per pixel. The codes are entropy-coded with the codec's priors (rANS); `vqvae decompress` \
            gives back exactly `vqvae reconstruct --model RUN/model.safetensors --depth R --out DIR` of the input. \
            `vqvae codec rates --codec RUN` lists the rates with their measured bits per pixel and PSNR.
            """)

    @Option(help: "The codec run folder (from `vqvae codec train`). Required.") var codec: String
    @Option(help: "The rate point: how many quantizer stages to keep, 1 (smallest files) up to the codec's stages (default: the highest).") var rate: Int?
    @Flag(help: "Code with the stored code histograms instead of the priors (faster, larger files).") var histogram = false
    @Option(help: "The folder to write the .vqz files into (made if missing). Required.") var out: String
    @Argument(help: "The images to compress.") var inputs: [String]

    func run() throws {
        try failingWithOneLine {
            let loaded = try ImageCodec(run: codec)
            let rate = try checkedRate(rate, of: loaded)
            let images = try inputs.map { try ImageFile.read($0) }  // every input read before anything is written
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (path, image) in zip(inputs, images) {
                let compressed = loaded.compress(image.converted(toChannels: loaded.channels), rate: rate,
                                                 entropyModel: histogram ? .histogram : .prior)
                let target = out + "/" + outputName(path, extension: "vqz")
                let bytes = compressed.file.encoded()
                try FileIO.writeAtomically(bytes, to: target)
                writeError("\(target): \(bytes.count) bytes, \(format(Double(bytes.count * 8) / Double(image.width * image.height), 4)) bpp (\(image.width)x\(image.height), rate \(rate))\n")
            }
        }
    }
}

struct DecompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decompress",
        abstract: "Decompress .vqz files into PNG images with the codec that made them.",
        discussion: "Writes DIR/<input name>.png for each input (replaced atomically). A file made by another codec, corrupted or truncated is refused with one line naming it; the inputs are all checked before anything is written.")

    @Option(help: "The codec run folder (from `vqvae codec train`). Required.") var codec: String
    @Option(help: "The folder to write the PNG images into (made if missing). Required.") var out: String
    @Argument(help: "The .vqz files to decompress.") var inputs: [String]

    func run() throws {
        try failingWithOneLine {
            let loaded = try ImageCodec(run: codec)
            let files = try inputs.map { try VQZFile(contentsOf: $0) }
            let images = try zip(inputs, files).map { try loaded.decompress($1, path: $0) }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (path, image) in zip(inputs, images) {
                let target = out + "/" + outputName(path, extension: "png")
                try FileIO.writeAtomically(PNGEncoder.encode(image), to: target)
                writeError("\(target): \(image.width)x\(image.height)\n")
            }
        }
    }
}

/// `rate`, or the codec's highest when nil, after checking the codec has it.
func checkedRate(_ rate: Int?, of codec: ImageCodec) throws -> Int {
    let chosen = rate ?? codec.rates.upperBound
    guard codec.rates.contains(chosen) else {
        throw CommandFailure("--rate \(chosen) is not one of this codec's rates (\(codec.rates.lowerBound) to \(codec.rates.upperBound); see `vqvae codec rates`)")
    }
    return chosen
}

/// The file name of `path` with its last extension replaced by `extension`.
func outputName(_ path: String, extension: String) -> String {
    let name = (path as NSString).lastPathComponent
    let stem = (name as NSString).deletingPathExtension
    return (stem.isEmpty ? name : stem) + "." + `extension`
}
