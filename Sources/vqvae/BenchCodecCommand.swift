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
        writeBenchmarkMachine()
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
            writeError("\(images.count) images of \(data) (\(split))\n")  // the kernel and threads: the machine line
            for rate in chosen {
                let point = fields(try loaded.measure(rate: rate, images: Array(zip(files.map(\.path), images))))
                if json { print(jsonObject(point)) } else {
                    writeError("rate \(rate): \(point["bpp"]!) bpp, \(point["psnr"]!) dB, encode \(point["encode_ms"]!) ms, decode \(point["decode_ms"]!) ms per image; prior saves \(point["prior_saving"]!) of the histogram's bits\n")
                }
            }
        }
    }

    /// A measurement as JSON fields (means per image for times and PSNR).
    func fields(_ m: CodecMeasurement) -> [String: String] {
        let count = Double(m.images)
        return ["rate": "\(m.rate)", "images": "\(m.images)", "bpp": format(m.bitsPerPixel, 5), "psnr": format(m.psnr, 4),
                "encode_ms": format(m.encodeSeconds * 1000 / count, 1), "decode_ms": format(m.decodeSeconds * 1000 / count, 1),
                "ideal_bpp": format(m.idealBitsPerPixel, 5), "coder_overhead": format(m.coderOverhead, 5),
                "histogram_bpp": format(m.histogramBitsPerPixel, 5), "prior_saving": format(m.priorSaving, 4),
                "kernel": "\"\(Gemm.kernelName)\"", "threads": "\(Parallel.workerCount)",
                "cpu": jsonString(MachineDescription.current.cpuModel)]
    }
}
