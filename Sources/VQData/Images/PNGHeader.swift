/// The IHDR chunk of a PNG file: size, bit depth, colour type, interlace method, checked against the
/// combinations the PNG specification (ISO/IEC 15948, table 11.1) allows and against
/// `PNGDecoder.maximumPixelCount`.
struct PNGHeader: Equatable {
    enum ColorType: UInt8 {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
    }

    let width: Int
    let height: Int
    /// Bits per sample (per palette index for palette images): 1, 2, 4, 8 or 16.
    let bitDepth: Int
    let colorType: ColorType
    /// Adam7 interlacing (interlace method 1) or none (0).
    let interlaced: Bool

    /// Parses the 13 data bytes of IHDR; `path` names the file in errors.
    init(parsing data: ArraySlice<UInt8>, path: String) throws {
        guard data.count == 13 else { throw DataError(path, "IHDR chunk is \(data.count) bytes, expected 13") }
        let bytes = Array(data)
        let width = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let height = bytes[4..<8].reduce(0) { $0 << 8 | Int($1) }
        guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
            throw DataError(path, "PNG header declares a \(width)x\(height) image (each side must be 1 to 2^31-1)")
        }
        guard width * height <= PNGDecoder.maximumPixelCount else {
            throw DataError(path, "PNG header declares a \(width)x\(height) image, more than the \(PNGDecoder.maximumPixelCount) pixels allowed")
        }
        guard let colorType = ColorType(rawValue: bytes[9]) else {
            throw DataError(path, "PNG colour type \(bytes[9]) is not defined (0, 2, 3, 4 or 6)")
        }
        let bitDepth = Int(bytes[8])
        let allowedDepths: [Int]
        switch colorType {
        case .gray: allowedDepths = [1, 2, 4, 8, 16]
        case .palette: allowedDepths = [1, 2, 4, 8]
        case .rgb, .grayAlpha, .rgba: allowedDepths = [8, 16]
        }
        guard allowedDepths.contains(bitDepth) else {
            throw DataError(path, "PNG bit depth \(bitDepth) is not allowed for colour type \(colorType.rawValue) (allowed: \(allowedDepths))")
        }
        guard bytes[10] == 0 else { throw DataError(path, "PNG compression method \(bytes[10]) is not defined (only 0)") }
        guard bytes[11] == 0 else { throw DataError(path, "PNG filter method \(bytes[11]) is not defined (only 0)") }
        guard bytes[12] <= 1 else { throw DataError(path, "PNG interlace method \(bytes[12]) is not defined (0 or 1)") }
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorType = colorType
        self.interlaced = bytes[12] == 1
    }

    /// Samples per pixel as stored: 1 (gray, palette index), 2 (gray + alpha), 3 (RGB), 4 (RGBA).
    var samplesPerPixel: Int {
        switch colorType {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    var bitsPerPixel: Int { samplesPerPixel * bitDepth }

    /// The byte distance the Sub, Average and Paeth filters look back: one whole pixel, at least 1.
    var filterStride: Int { max(1, bitsPerPixel / 8) }

    /// The bytes of one row of `width` pixels, without its filter byte.
    func rowBytes(width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }

    /// The sub-images stored one after another: the whole image, or Adam7's seven passes
    /// (first column and row, column and row steps), as in the PNG specification, section 8.2.
    var passes: [(x: Int, y: Int, xStep: Int, yStep: Int)] {
        interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
    }

    /// The number of columns and rows of a pass (0 when the image is too small to reach it).
    func passSize(_ pass: (x: Int, y: Int, xStep: Int, yStep: Int)) -> (width: Int, height: Int) {
        let columns = width > pass.x ? (width - pass.x + pass.xStep - 1) / pass.xStep : 0
        let rows = height > pass.y ? (height - pass.y + pass.yStep - 1) / pass.yStep : 0
        return columns == 0 || rows == 0 ? (0, 0) : (columns, rows)
    }

    /// The size of the inflated image data: for each non-empty pass, rows × (1 filter byte + row bytes).
    var filteredDataSize: Int {
        passes.reduce(0) { total, pass in
            let size = passSize(pass)
            return total + size.height * (1 + rowBytes(width: size.width))
        }
    }
}
