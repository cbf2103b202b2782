import ArgumentParser
import Foundation
import VQData
import VQEngine
import VQModels

struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Rate, distortion and speed of a codec at each of its rates, on a folder of images.",
        discussion: """
            For every rate and every image of the split (full size): compresses (codes, entropy coding with \
            the priors, the file's bytes) and decompresses (parsing, entropy decoding, the decoder), and checks \
            that the decoded codes are the encoded ones. One line per rate (JSON with --json): rate, bpp \
            (file bytes, header included), psnr (8-bit, mean over images), encode_ms and decode_ms per image, \
            ideal_bpp (Σ −log2 p of the codes under the coder's tables), coder_overhead (payload bits over \
            the ideal, − 1), histogram_bpp (the same codes under the static histograms) and prior_saving \
            (1 − prior bits / histogram bits). Scripts/codec/pillow_curves.py sets these beside JPEG and WebP.
            """)

    @Option(help: "The codec run folder (from `vqvae codec train`). Required.") var codec: String
    @Option(help: "A folder of images (PNG or JPEG, any sizes); its test split is used. Required.") var data: String
    @Option(help: "Which split to read: train or test.") var split: DatasetSplit = .test
    @Option(help: "Use the first N images only (default: all).") var limit: Int?
    @Option(help: "Rates to measure, e.g. 1,3 (default: all).") var rates: String?
    @Flag(help: "One JSON line per rate on standard output.") var json = false

    func run() throws {
        try failingWithOneLine {
            let loaded = try ImageCodec(run: codec)
            var files = try ImageFolder.imageFiles(in: data, split: split)
            if let limit { files = Array(files.prefix(max(1, limit))) }
            let images = files.map { $0.image.converted(toChannels: loaded.channels) }
            let chosen = try rates.map { text in
                try text.split(separator: ",").map { part -> Int in
                    guard let rate = Int(part), loaded.rates.contains(rate) else {
                        throw CommandFailure("--rates: '\(part)' is not one of the codec's rates (\(loaded.rates.lowerBound) to \(loaded.rates.upperBound))")
                    }
                    return rate
                }
            } ?? Array(loaded.rates)
            writeError("\(images.count) images of \(data) (\(split)), kernel \(Gemm.kernelName) (prior: \(ImageCodec.priorKernel)), \(Parallel.workerCount) threads\n")
            for rate in chosen {
                let point = try measure(loaded, rate: rate, images: images, names: files.map(\.path))
                if json { print(jsonObject(point)) } else {
                    writeError("rate \(rate): \(point["bpp"]!) bpp, \(point["psnr"]!) dB, encode \(point["encode_ms"]!) ms, decode \(point["decode_ms"]!) ms per image; prior saves \(point["prior_saving"]!) of the histogram's bits\n")
                }
            }
        }
    }

    /// The figures of one rate over `images`, as JSON fields.
    func measure(_ codec: ImageCodec, rate: Int, images: [RasterImage], names: [String]) throws -> [String: String] {
        var (bits, ideal, payload, histogramBits, psnr) = (0.0, 0.0, 0.0, 0.0, 0.0)
        var (encodeSeconds, decodeSeconds, pixels) = (0.0, 0.0, 0.0)
        for (image, name) in zip(images, names) {
            var started = ContinuousClock.now
            let codes = codec.codes(of: image, rate: rate)
            let compressed = codec.compress(codes: codes, rate: rate, width: image.width, height: image.height)
            let bytes = compressed.file.encoded()
            encodeSeconds += (ContinuousClock.now - started).seconds
            started = ContinuousClock.now
            let file = try VQZFile(parsing: bytes, path: name)
            let decodedCodes = try codec.decodeCodes(file, path: name)
            let decoded = codec.image(from: decodedCodes, rate: rate, width: file.width, height: file.height)
            decodeSeconds += (ContinuousClock.now - started).seconds
            guard decodedCodes == codes else { throw CommandFailure("\(name): the decoded codes differ from the encoded ones at rate \(rate) (a bug: please report it)") }
            let histogram = codec.compress(codes: codes, rate: rate, width: image.width, height: image.height, entropyModel: .histogram)
            bits += Double(bytes.count * 8)
            payload += Double(compressed.file.payload.count * 8)
            ideal += compressed.idealBits
            histogramBits += histogram.idealBits
            psnr += peakSignalToNoiseRatio(image, decoded)
            pixels += Double(image.width * image.height)
        }
        let count = Double(images.count)
        return ["rate": "\(rate)", "images": "\(images.count)", "bpp": format(bits / pixels, 5), "psnr": format(psnr / count, 4),
                "encode_ms": format(encodeSeconds * 1000 / count, 1), "decode_ms": format(decodeSeconds * 1000 / count, 1),
                "ideal_bpp": format(ideal / pixels, 5), "coder_overhead": format(payload / ideal - 1, 5),
                "histogram_bpp": format(histogramBits / pixels, 5), "prior_saving": format(1 - ideal / histogramBits, 4),
                "kernel": "\"\(Gemm.kernelName)\"", "threads": "\(Parallel.workerCount)"]
    }
}
