import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels
import VQNN

struct CodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec", abstract: "Train an image codec (a VQ-VAE and a prior per stage) and list its rates.",
        subcommands: [CodecTrainCommand.self, CodecRatesCommand.self])
}

/// The rate points a codec run measured at the end of training (RUN/rates.json), one per line.
struct RatePoint: Codable {
    var rate: Int
    var bpp: Double
    var psnr: Double
    var images: Int
}

struct CodecTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an image codec into a run folder: the autoencoder, then a prior per quantizer stage.",
        discussion: """
            The shipped recipe (the defaults): a Sonnet-sized VQ-VAE with 8x downsampling and a 4-stage \
            residual quantizer of 512 codes (rates 1 to 4: the first r stages), trained on random \
            --crop crops of the training images (any sizes, PNG or JPEG), mirrored at random; then, stage by \
            stage, a small gated PixelCNN on the codes of --prior-crops random crops of --tile*8 pixels \
            (16x16 codes) that, from stage 2 on, also sees the earlier stages' codes everywhere (their \
            summed code vectors), and each stage's code histogram (the static fallback); each prior is then \
            scored on 400 crops of the test images (bits per code, beside the histogram's). Last, each rate is \
            measured on up to 10 test images (bits per pixel with the prior, PSNR) into RUN/rates.json. \
            RUN holds model.safetensors, prior-1.safetensors..., codec.json, rates.json and the training \
            pictures. About 50 minutes on two cores with ../shared/data/bsds500.
            """)

    @Option(help: "A folder of images (PNG or JPEG, any sizes); train/ and test/ sub-folders are the splits. Required.") var data: String
    @Option(help: "Run folder to create.") var out = "runs/codec"
    @Flag(help: "Replace a codec already in --out.") var overwrite = false
    @Option(help: "Autoencoder training steps.") var steps = 12_000
    @Option(help: "Crops per batch.") var batch = 32
    @Option(help: ArgumentHelp("Skip the autoencoder's training and use this one (a model.safetensors of an earlier codec run): only the priors and histograms are made.", valueName: "model"))
    var autoencoder: String?
    @Option(help: "Side of the square training crops, in pixels (a multiple of 8).") var crop = 64
    @Option(help: "Quantizer stages (rates 1 to this).") var stages = 4
    @Option(help: "Codes per stage.") var codebookSize = 512
    @Option(help: "Adam learning rate of the autoencoder.") var learningRate: Float = 3e-4
    @Option(help: "Training steps of each stage's prior.") var priorSteps = 1500
    @Option(help: "Crops encoded for the priors and histograms.") var priorCrops = 4000
    /// Test crops the priors are scored on after training (the bits per code printed for each stage).
    static let heldOutCrops = 400
    @Option(help: "Side, in codes, of the tiles the priors walk (and of the priors' training grids).") var tile = 16
    @Option(help: "Channels of each prior.") var priorChannels = 32
    @Option(help: "Gated layers of each prior.") var priorLayers = 4
    @Option(help: "Random seed (same seed, same numbers).") var seed: UInt64 = 0
    @Option(help: "Print a plain progress line every this many steps when not on a terminal.") var logEvery = 200
    @Flag(help: "End with one JSON line on standard output.") var json = false

    func validate() throws {
        guard steps >= 1, batch >= 1, priorSteps >= 0, priorCrops >= 1 else {
            throw ValidationError("--steps, --batch and --prior-crops must be at least 1, --prior-steps at least 0")
        }
        guard crop >= 8, crop % 8 == 0 else { throw ValidationError("--crop must be a multiple of 8 (the downsampling factor)") }
        guard (1...16).contains(stages) else { throw ValidationError("--stages must be 1 to 16") }
        guard (2...FrequencyTable.maximumSymbols).contains(codebookSize) else {
            throw ValidationError("--codebook-size must be 2 to \(FrequencyTable.maximumSymbols)")
        }
        guard (1...256).contains(tile) else { throw ValidationError("--tile must be 1 to 256") }
        guard priorChannels >= 1, priorLayers >= 1 else { throw ValidationError("prior sizes must be positive") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
    }

    func run() throws { try failingWithOneLine(train) }

    private func train() throws {
        if !overwrite && FileIO.exists(out + "/" + CodecManifest.fileName) {
            throw CommandFailure("\(out) already holds a codec (codec.json); choose another --out or add --overwrite")
        }
        let trainFiles = try ImageFolder.imageFiles(in: data, split: .train)
        let testFiles = try ImageFolder.imageFiles(in: data, split: .test)
        let channels = (trainFiles + testFiles).allSatisfy { $0.image.channels <= 2 } ? 1 : 3
        let crops = try ImageCropSet(images: trainFiles.map(\.image), cropSize: crop, channels: channels, source: data)
        let priorCropSet = try ImageCropSet(images: trainFiles.map(\.image), cropSize: tile * 8, channels: channels, source: data)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        var generator = RandomGenerator(seed: seed)
        let model = try autoencoder.map { try trainedAutoencoder($0, channels: channels) }
            ?? trainAutoencoder(crops: crops, testFiles: testFiles, channels: channels, generator: &generator)
        let codebookSize = model.configuration.numEmbeddings
        if let autoencoder { try FileIO.writeAtomically(FileIO.read(autoencoder), to: RunFolder(out).modelPath) }
        let grids = ImageCodec.stageGrids(of: priorCropSet, model: model, count: priorCrops, context: true, generator: &generator)
        let histograms = grids.map { ImageCodec.histogram(of: $0, codebookSize: codebookSize) }
        // Held-out crops of the test photos, to report how well each prior generalises.
        var testGenerator = RandomGenerator(seed: seed &+ 0x7E57)
        let testGrids = testFiles.isEmpty ? nil : ImageCodec.stageGrids(
            of: try ImageCropSet(images: testFiles.map(\.image), cropSize: tile * 8, channels: channels, source: data),
            model: model, count: Self.heldOutCrops, context: true, generator: &testGenerator)
        var priorNames: [String] = [], heldOut: [(prior: Double, histogram: Double)] = []
        if priorSteps > 0 {
            for (stage, stageGrids) in grids.enumerated() {
                let name = "prior-\(stage + 1).safetensors"
                let prior = try trainPrior(on: stageGrids, stage: stage, generator: &generator)
                if let testGrids {
                    heldOut.append((prior.bitsPerCode(on: testGrids[stage]), histograms[stage].bitsPerCode(on: testGrids[stage])))
                    writeError("stage \(stage + 1): \(format(heldOut[stage].prior, 3)) bits/code on \(Self.heldOutCrops) test crops "
                               + "(the histogram: \(format(heldOut[stage].histogram, 3)))\n")
                }
                try prior.checkpoint(metadata: ["stage": "\(stage + 1)", "steps": "\(priorSteps)", "seed": "\(seed)"])
                    .write(to: out + "/" + name)
                priorNames.append(name)
            }
        }
        try CodecManifest(tileSide: tile, histograms: histograms.map(\.frequencies), priors: priorNames, cropSize: crop).write(folder: out)
        let codec = try ImageCodec(run: out)
        let measured = testFiles.prefix(10).map { ($0.path, $0.image.converted(toChannels: channels)) }
        let points = try codec.rates.map { rate in
            let m = try codec.measure(rate: rate, images: measured)
            return RatePoint(rate: rate, bpp: m.bitsPerPixel, psnr: m.psnr, images: m.images)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileIO.writeAtomically(Array(points.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n").utf8) + [10],
                                   to: out + "/rates.json")
        writeError("codec ready in \(out): rates \(describeRates(points))\n")
        if json {
            print(jsonObject(["steps": "\(steps)", "rates": "\(points.count)",
                              "bpp": "[" + points.map { format($0.bpp, 4) }.joined(separator: ",") + "]",
                              "psnr": "[" + points.map { format($0.psnr, 3) }.joined(separator: ",") + "]",
                              "test_bits_per_code": "[" + heldOut.map { format($0.prior, 4) }.joined(separator: ",") + "]",
                              "test_histogram_bits_per_code": "[" + heldOut.map { format($0.histogram, 4) }.joined(separator: ",") + "]"]))
        }
    }

    /// The autoencoder of the recipe trained on `crops`, saved with its pictures in --out.
    func trainAutoencoder(crops: ImageCropSet, testFiles: [(path: String, image: RasterImage)], channels: Int,
                          generator: inout RandomGenerator) throws -> VQVAE {
        var codecQuantizer = QuantizerConfiguration.standard(stages > 1 ? .rvq : .vq, codebookSize: codebookSize)
        codecQuantizer.depth = stages
        let configuration = VQVAEConfiguration(
            preset: .sonnet, inputChannels: channels, downsampling: 8,
            quantizer: codecQuantizer)
        var options = TrainingOptions()
        (options.steps, options.batchSize, options.seed, options.learningRate) = (steps, batch, seed, learningRate)
        var trainer = Trainer(model: VQVAE(configuration, generator: &generator), dataset: crops, options: options)
        writeError("training \(describe(configuration)) (\(trainer.model.parameterCount) parameters) on \(crops.cropSize)-pixel crops of \(crops.images.count) images of \(data)\n")
        trainer.initializeQuantizer()
        let run = RunFolder(out)
        let testCrops = ImageDataset(images: testFiles.prefix(16).map { centreCrop($0.image.converted(toChannels: channels)) })
        var pictures = TrainingPictures(folder: out, testSet: testCrops)
        let seconds = try runTrainingLoop(&trainer, run: run, identity: crops.identity(name: data),
                                          modelMetadata: ["seed": "\(seed)", "data": data, "crop": "\(crop)"],
                                          pictures: &pictures, saveEvery: 1000, logEvery: logEvery)
        writeError("saved \(run.modelPath) after \(format(seconds, 1)) s\n")
        return trainer.model

    }

    /// The model at `path`, checked to be a codec's: an unconditioned image model of `channels` channels.
    func trainedAutoencoder(_ path: String, channels: Int) throws -> VQVAE {
        let model = try VQVAE(contentsOf: path)
        guard model.configuration.spatialRank == 2, model.configuration.conditionClasses == 0,
              model.configuration.inputChannels == channels else {
            throw DataError(path, "is not an unconditioned image model of \(channels) channels like the data")
        }
        writeError("using the autoencoder \(path): \(describe(model.configuration))\n")
        return model
    }

    /// The middle `crop` × `crop` square of `image` (all of a side shorter than that).
    func centreCrop(_ image: RasterImage) -> RasterImage {
        let side = min(crop, image.width, image.height)
        return image.cropped(left: (image.width - side) / 2, top: (image.height - side) / 2, width: side, height: side)
    }

    /// A PixelCNN trained on one stage's grids, with progress on standard error.
    func trainPrior(on grids: CodeGrids, stage: Int, generator: inout RandomGenerator) throws -> PixelCNN {
        let configuration = PixelCNNConfiguration(numEmbeddings: codebookSize, channels: priorChannels, layers: priorLayers,
                                                  outputChannels: 4 * priorChannels, contextChannels: grids.contextChannels)
        var trainer = PriorTrainer(prior: PixelCNN(configuration, generator: &generator), grids: grids, batchSize: 32,
                                   schedule: .constant(1e-3), seed: seed &+ UInt64(stage))
        writeError("stage \(stage + 1): training a prior (\(trainer.prior.parameterCount) parameters) on \(grids.count) grids of \(grids.height)x\(grids.width) codes\n")
        let progress = ProgressRenderer(totalSteps: priorSteps, plainEvery: logEvery)
        while trainer.step < priorSteps {
            let report = try trainer.trainStep()
            progress.update(step: report.step, summary: "loss \(format(report.loss, 4)) (\(format(report.bitsPerCode, 3)) bits/code)",
                            rate: "\(Int(report.gridsPerSecond)) grids/s")
        }
        return trainer.prior
    }
}

/// "1: 0.110 bpp 22.1 dB, 2: …".
func describeRates(_ points: [RatePoint]) -> String {
    points.map { "\($0.rate): \(format($0.bpp, 3)) bpp \(format($0.psnr, 2)) dB" }.joined(separator: ", ")
}

struct CodecRatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rates", abstract: "List a codec's rate points with the bits per pixel and PSNR measured after training.")

    @Option(help: "The codec run folder (from `vqvae codec train`). Required.") var codec: String
    @Flag(help: "One JSON line per rate on standard output.") var json = false

    func run() throws {
        try failingWithOneLine {
            let loaded = try ImageCodec(run: codec)
            let path = codec + "/rates.json"
            let measured = FileIO.exists(path)
                ? try String(decoding: FileIO.read(path), as: UTF8.self).split(separator: "\n").map {
                    try JSONDecoder().decode(RatePoint.self, from: Data($0.utf8))
                } : []
            for rate in loaded.rates {
                let point = measured.first { $0.rate == rate }
                if json {
                    print(jsonObject(["rate": "\(rate)", "stages": "\(rate)", "bpp": point.map { "\($0.bpp)" } ?? "null",
                                      "psnr": point.map { "\($0.psnr)" } ?? "null"]))
                } else {
                    print("rate \(rate): \(rate) of \(loaded.rates.upperBound) stages" + (point.map { ", \(format($0.bpp, 3)) bpp, \(format($0.psnr, 2)) dB PSNR on \($0.images) test images" } ?? ""))
                }
            }
        }
    }
}
