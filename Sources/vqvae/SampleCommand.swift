import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw new images: codes from the PixelCNN prior, decoded by the VQ-VAE.",
        discussion: """
            Writes DIR/samples.png (a grid) and DIR/sample-000.png, … (one per sample). A class-conditional
            prior without --class draws one row per class. Sampling is seeded: the same seed gives the same
            images. Reports the time per image on standard error (and in the JSON line with --json).
            """)

    @Option(help: "The VQ-VAE checkpoint (RUN/model.safetensors).") var model: String
    @Option(help: "The prior checkpoint (RUN/prior.safetensors).") var prior: String
    @Option(help: "Number of samples.") var count = 16
    @Option(name: .customLong("class"), help: "Class label for every sample (class-conditional priors).") var label: Int?
    @Option(help: "Softmax temperature (1: the prior's own distribution).") var temperature: Float = 1
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Code grid height and width (default: the training image size the model records divided by its downsampling factor, else 7: the codes of 28x28 images at /4).")
    var gridSize: Int?
    @Option(help: "Output folder.") var out = "runs/samples"
    @Flag(help: "End with one JSON line on standard output.") var json = false

    func validate() throws {
        guard count >= 1, gridSize ?? 1 >= 1 else { throw ValidationError("--count and --grid-size must be at least 1") }
        guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be positive") }
    }

    func run() throws {
        try failingWithOneLine(sample)
    }

    private func sample() throws {
        let checkpoint = try SafeTensors(contentsOf: model)
        let vqvae = try VQVAE(checkpoint: checkpoint, path: model)
        guard vqvae.configuration.spatialRank == 2 else { throw DataError(model, "the model takes sequences, not images") }
        let trained = vqvae.trainedGridShape(checkpoint.metadata)
        let (gridHeight, gridWidth) = gridSize.map { ($0, $0) } ?? trained.map { ($0[0], $0[1]) } ?? (7, 7)
        let codePrior = try PriorFile.load(prior)
        guard codePrior.codebookSize == vqvae.configuration.numEmbeddings else {
            throw DataError(prior, "the prior has \(codePrior.codebookSize) codes, the VQ-VAE \(vqvae.configuration.numEmbeddings)")
        }
        let classes = codePrior.numClasses
        var labels: [Int32]?
        var columns = Int(Double(count).squareRoot().rounded(.up))
        if classes > 0 {
            if let label {
                guard (0..<classes).contains(label) else { throw DataError(prior, "--class \(label) is not in 0..<\(classes)") }
                labels = Array(repeating: Int32(label), count: count)
            } else {
                columns = (count + classes - 1) / classes  // one row per class
                labels = (0..<count).map { Int32(min($0 / columns, classes - 1)) }
            }
        } else if label != nil {
            throw DataError(prior, "--class needs a class-conditional prior (this one has no classes)")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: seed)
        let started = ContinuousClock.now
        let codes = codePrior.sample(count: count, height: gridHeight, width: gridWidth, labels: labels, temperature: temperature,
                                    generator: &generator)
        let sampled = ContinuousClock.now
        let images = ImageGrid.images(fromBatch: vqvae.decode(codes, batch: count, height: gridHeight, width: gridWidth))
        let decodeSeconds = (ContinuousClock.now - sampled).seconds, sampleSeconds = (sampled - started).seconds
        try PNGEncoder.write(ImageGrid.tile(images, columns: columns), to: out + "/samples.png")
        for (index, image) in images.enumerated() {
            try PNGEncoder.write(image, to: out + "/sample-" + String(format: "%03d", index) + ".png")
        }
        let perImage = (sampleSeconds + decodeSeconds) / Double(count)
        writeError("wrote \(out)/samples.png and \(count) images of \(images[0].width)x\(images[0].height): codes \(format(sampleSeconds, 3)) s, decoding \(format(decodeSeconds, 3)) s, \(format(perImage * 1000, 2)) ms per image\n")
        if json {
            print(jsonObject(["count": "\(count)", "sample_seconds": "\(sampleSeconds)", "decode_seconds": "\(decodeSeconds)",
                              "milliseconds_per_image": "\(perImage * 1000)"]))
        }
    }
}
