/// Reading an image file of any supported format, chosen by its first bytes (not its name): PNG
/// (`PNGDecoder`), PGM/PPM (`PNMDecoder`) or JPEG (`JPEGDecoder`).
public enum ImageFile {
    /// The file name endings the image-folder dataset and `DatasetSource` treat as images (lower case).
    public static let extensions: Set<String> = ["png", "pgm", "ppm", "pnm", "jpg", "jpeg"]

    /// Whether `name` ends with one of `extensions`, in any case.
    public static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Reads and decodes the image file at `path`.
    public static func read(_ path: String) throws -> RasterImage {
        try decode(FileIO.read(path), path: path)
    }

    /// Decodes PNG, PGM/PPM or JPEG bytes; `path` names the file in errors. Like the others, JPEG is
    /// chosen by the first byte alone (0xFF; a JPEG starts FF D8 FF), so a cut or damaged file gets the
    /// decoder's own message ("Premature end of JPEG file", "Not a JPEG file: starts with ...").
    public static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        if bytes.starts(with: VQZFile.magic) {
            throw DataError(path, "is a compressed image (.vqz), not a picture; turn it into one with `vqvae decompress --codec RUN`")
        }
        if bytes.first == 0x89 { return try PNGDecoder.decode(bytes, path: path) }
        if bytes.first == UInt8(ascii: "P") { return try PNMDecoder.decode(bytes, path: path) }
        if bytes.first == 0xFF { return try JPEGDecoder.decode(bytes, path: path) }
        throw DataError(path, "not a PNG, PGM, PPM or JPEG file (unrecognised first bytes)")
    }
}
