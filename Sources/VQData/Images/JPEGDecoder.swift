import CJPEG

/// JPEG reading (ITU-T T.81) into 8-bit `RasterImage`s through the system libjpeg-turbo (Sources/CJPEG,
/// whose C functions keep libjpeg's error longjmps inside C).
///
/// Accepts what libjpeg-turbo decodes at 8 bits per sample: baseline and extended sequential,
/// progressive, any chroma subsampling, restart intervals, Huffman or (where libjpeg-turbo was built
/// with it, as by default) arithmetic coded. The result has 1 channel for a gray file and 3 (R, G, B)
/// for a YCbCr or RGB one, the pixels exactly as libjpeg gives them with its defaults (the accurate
/// integer IDCT "islow", fancy upsampling, no scaling), which is what Pillow decodes too. Pixels are
/// in stored order: an EXIF orientation is not applied (nor by Pillow's `Image.open`), and colour
/// profiles are ignored.
///
/// Refused, each with one line naming the file: CMYK and YCCK files and any other colour space;
/// whatever libjpeg reports as an error (not a JPEG, 12-bit data, lossless files before libjpeg-turbo
/// 3.0, bad markers, a file with no image); and whatever it reports as a warning,
/// such as a premature end of file or corrupt entropy-coded data: libjpeg would go on and fill in what
/// it could not decode, so a truncated or damaged file would silently become another image. (An
/// unknown JFIF major version, the one warning about nothing in the image, is let through.) The file
/// is read to its end-of-image marker; bytes after it are ignored. The image is capped at
/// `maximumPixelCount` pixels, checked against the header before anything image-sized is allocated,
/// and at `maximumScanCount` scans, so a small file cannot make decoding take very long.
public enum JPEGDecoder {
    /// The largest image accepted, in pixels (width × height): 2^26, for example 8192 × 8192 (as for PNG).
    public static let maximumPixelCount = 1 << 26
    /// The most scans accepted. Encoders write one scan (or one per component) for a sequential file
    /// and about ten for a progressive one; 500 is the limit libjpeg-turbo 2's TurboJPEG API applies
    /// with TJFLAG_LIMITSCANS.
    public static let maximumScanCount = 500

    /// Reads and decodes the JPEG file at `path`.
    public static func read(_ path: String) throws -> RasterImage {
        try decode(FileIO.read(path), path: path)
    }

    /// Decodes the bytes of a JPEG file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        try decode(bytes, path: path, maximumScans: maximumScanCount)
    }

    /// `decode(_:path:)` with another scan limit (for tests).
    static func decode(_ bytes: [UInt8], path: String, maximumScans: Int) throws -> RasterImage {
        var report = vq_jpeg_report()
        let size = CUnsignedLong(bytes.count)
        var status = bytes.withUnsafeBufferPointer { vq_jpeg_read_header($0.baseAddress, size, &report) }
        guard status == VQ_JPEG_OK else { throw problem(report, path: path, maximumScans: maximumScans) }
        let width = Int(report.width), height = Int(report.height), channels = Int(report.channels)
        guard channels > 0 else { throw unsupportedColorSpace(report, path: path) }
        guard width * height <= maximumPixelCount else {
            throw DataError(path, "JPEG header declares a \(width)x\(height) image, more than the \(maximumPixelCount) pixels allowed")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        status = bytes.withUnsafeBufferPointer { data in
            pixels.withUnsafeMutableBufferPointer { output in
                vq_jpeg_decode(data.baseAddress, size, output.baseAddress, output.count, Int32(maximumScans), &report)
            }
        }
        guard status == VQ_JPEG_OK else { throw problem(report, path: path, maximumScans: maximumScans) }
        return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The one-line error for a failed call.
    static func problem(_ report: vq_jpeg_report, path: String, maximumScans: Int) -> DataError {
        switch report.status {
        case VQ_JPEG_DAMAGED:
            return DataError(path, "damaged JPEG data: \(message(report)) (libjpeg's warning; refused rather than decoded with missing or wrong pixels)")
        case VQ_JPEG_TOO_MANY_SCANS:
            return DataError(path, "JPEG has more than \(maximumScans) scans (refused: each scan is a pass over the whole image)")
        case VQ_JPEG_WRONG_SIZE:
            return DataError(path, "libjpeg decoded another image size than the header declared")
        case VQ_JPEG_UNSUPPORTED_COLOR_SPACE:
            return unsupportedColorSpace(report, path: path)
        default:
            return DataError(path, "cannot decode the JPEG: \(message(report)) (libjpeg)")
        }
    }

    /// libjpeg's message from the report, made safe to print on one line.
    static func message(_ report: vq_jpeg_report) -> String {
        withUnsafeBytes(of: report.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                .map { $0.isNewline || ($0.asciiValue ?? 32) < 32 ? " " : String($0) }.joined()
        }
    }

    /// The error for a file that is neither gray nor YCbCr nor RGB.
    static func unsupportedColorSpace(_ report: vq_jpeg_report, path: String) -> DataError {
        let name: String
        switch UInt32(bitPattern: report.color_space) {
        case JCS_CMYK.rawValue: name = "a CMYK"
        case JCS_YCCK.rawValue: name = "a YCCK (Adobe CMYK)"
        default: name = "a \(report.components)-component"
        }
        return DataError(path, "\(name) JPEG is not supported (only gray, YCbCr and RGB); convert it to RGB")
    }
}
