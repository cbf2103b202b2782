/// Reading an image file of any supported format, chosen by its first bytes (not its name): PNG
/// (`PNGDecoder`) or PGM/PPM (`PNMDecoder`).
public enum ImageFile {
    /// The file name endings the image-folder dataset and `DatasetSource` treat as images (lower case).
    public static let extensions: Set<String> = ["png", "pgm", "ppm", "pnm"]

    /// Whether `name` ends with one of `extensions`, in any case.
    public static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Reads and decodes the image file at `path`.
    public static func read(_ path: String) throws -> RasterImage {
        try decode(FileIO.read(path), path: path)
    }

    /// Decodes PNG or PGM/PPM bytes; `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RasterImage {
        if bytes.first == 0x89 { return try PNGDecoder.decode(bytes, path: path) }
        if bytes.first == UInt8(ascii: "P") { return try PNMDecoder.decode(bytes, path: path) }
        throw DataError(path, "not a PNG, PGM or PPM file (unrecognised first bytes)")
    }
}
