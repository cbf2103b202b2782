import VQData
import VQEngine

/// Rate, distortion and speed of one rate over a set of images: what `vqvae bench codec` prints and
/// `vqvae codec train` records in rates.json.
public struct CodecMeasurement: Sendable {
    public var rate: Int
    public var images = 0
    public var pixels = 0.0
    /// Bits of the whole files (header, stream lengths, payload, CRC).
    public var fileBits = 0.0
    public var payloadBits = 0.0
    /// Σ −log2 p of the codes under the tables the coder used (the priors').
    public var idealBits = 0.0
    /// Σ −log2 p of the same codes under the static histograms.
    public var histogramBits = 0.0
    /// Sum over images of each image's PSNR (8-bit, peak 255).
    public var psnrSum = 0.0
    /// Image → codes → entropy coding → file bytes, summed over images.
    public var encodeSeconds = 0.0
    /// File bytes → codes → image, summed over images.
    public var decodeSeconds = 0.0

    public var bitsPerPixel: Double { fileBits / pixels }
    public var idealBitsPerPixel: Double { idealBits / pixels }
    public var histogramBitsPerPixel: Double { histogramBits / pixels }
    /// Mean of per-image PSNR.
    public var psnr: Double { psnrSum / Double(images) }
    /// Payload bits over the ideal, − 1.
    public var coderOverhead: Double { payloadBits / idealBits - 1 }
    /// 1 − prior bits / histogram bits.
    public var priorSaving: Double { 1 - idealBits / histogramBits }
}

extension ImageCodec {
    /// Compresses and decompresses every image of `images` (named for errors) at `rate` through the file's
    /// bytes, timing both; throws `DataError(name, …)` if the decoded codes are not the encoded ones
    /// (a bug). Images must have the codec's channel count.
    public func measure(rate: Int, images: [(name: String, image: RasterImage)]) throws -> CodecMeasurement {
        var result = CodecMeasurement(rate: rate)
        for (name, image) in images {
            var started = ContinuousClock.now
            let codes = codes(of: image, rate: rate)
            let compressed = compress(codes: codes, rate: rate, width: image.width, height: image.height)
            let bytes = compressed.file.encoded()
            result.encodeSeconds += (ContinuousClock.now - started).seconds
            started = ContinuousClock.now
            let file = try VQZFile(parsing: bytes, path: name)
            let decodedCodes = try decodeCodes(file, path: name)
            let decoded = self.image(from: decodedCodes, rate: rate, width: file.width, height: file.height)
            result.decodeSeconds += (ContinuousClock.now - started).seconds
            guard decodedCodes == codes else {
                throw DataError(name, "the decoded codes differ from the encoded ones at rate \(rate) (a bug: please report it)")
            }
            result.images += 1
            result.pixels += Double(image.width * image.height)
            result.fileBits += Double(bytes.count * 8)
            result.payloadBits += Double(compressed.file.payload.count * 8)
            result.idealBits += compressed.idealBits
            result.histogramBits += compress(codes: codes, rate: rate, width: image.width, height: image.height,
                                             entropyModel: .histogram).idealBits
            result.psnrSum += image.peakSignalToNoiseRatio(to: decoded)
        }
        return result
    }
}

extension RasterImage {
    /// PSNR in dB of `other` (same size and channels) against this image: peak 255, MSE over every
    /// pixel and channel; infinity when they are equal.
    public func peakSignalToNoiseRatio(to other: RasterImage) -> Double {
        precondition(pixels.count == other.pixels.count, "RasterImage.peakSignalToNoiseRatio: images of different sizes")
        var sum = 0.0
        for (x, y) in zip(pixels, other.pixels) { let d = Double(x) - Double(y); sum += d * d }
        let mse = sum / Double(pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
